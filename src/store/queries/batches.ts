/** Bound parameters per statement, under SQLite's limit (32,766) and PostgreSQL's (65,535). */
const MAX_PARAMETERS = 30_000;

/** Rows per statement that stays fast on SQLite, where each statement is prepared anew. */
const MAX_ROWS_PER_STATEMENT = 1_000;

/** Values in one `in (...)` list. */
export const IN_LIST_SIZE = 5_000;

/** Rows per multi-row INSERT for a table written with `columns` values per row. */
export function rowsPerInsert(columns: number): number {
  return Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / columns)));
}

/** Splits a list into consecutive pieces of at most `size` items. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const pieces: T[][] = [];
  for (let start = 0; start < items.length; start += size) pieces.push(items.slice(start, start + size));
  return pieces;
}

/** The current time in the store's time format. */
export function nowIso(): string {
  return new Date().toISOString();
}

