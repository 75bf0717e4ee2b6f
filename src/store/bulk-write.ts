import type Database from 'better-sqlite3';
import type { Insertable, Kysely, Selectable } from 'kysely';
import { chunks, rowsPerInsert } from './queries/batches.js';
import type { Schema } from './schema.js';

/**
 * Bulk writes. On SQLite, Kysely compiles every multi-row INSERT anew and better-sqlite3 binds its
 * thousands of parameters: several times slower than running one prepared single-row statement
 * per row on the same connection, which is what this module does there. Elsewhere (PostgreSQL,
 * where each statement is a round trip) rows go in multi-row batches through Kysely.
 */

/** The better-sqlite3 connection behind a Kysely instance (the store's, or a write-lock connection's). */
const sqliteConnections = new WeakMap<Kysely<Schema>, Database.Database>();

export function registerSqliteConnection(db: Kysely<Schema>, connection: Database.Database): void {
  sqliteConnections.set(db, connection);
}

/** A Kysely instance derived from `parent` (a held connection) uses the same SQLite connection. */
export function inheritSqliteConnection(parent: Kysely<Schema>, derived: Kysely<Schema>): void {
  const connection = sqliteConnections.get(parent);
  if (connection !== undefined) sqliteConnections.set(derived, connection);
}

type TableName = keyof Schema;
type Row<T extends TableName> = Insertable<Schema[T]>;
type Column<T extends TableName> = keyof Selectable<Schema[T]> & string;

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Columns a row colliding on `conflict` takes from the written one: `update`, by default all the others. */
function updatedColumns(columns: readonly string[], conflict: readonly string[], update: readonly string[] | undefined): readonly string[] {
  return update ?? columns.filter((column) => !conflict.includes(column));
}

/**
 * Rows one SQLite statement inserts when nothing is returned: binding several rows per call costs
 * less than a call per row (255,000 state rows in memory: 0.8 s CPU to 0.55 s).
 */
const SQLITE_ROWS_PER_STATEMENT = 16;

function insertSql(table: string, columns: readonly string[], conflict: readonly string[] | undefined, update: readonly string[] | undefined, returning: readonly string[], rowCount = 1): string {
  const row = `(${columns.map(() => '?').join(', ')})`;
  let text = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values ${Array.from({ length: rowCount }, () => row).join(', ')}`;
  if (conflict !== undefined) {
    const updates = updatedColumns(columns, conflict, update).map((column) => `${quote(column)} = excluded.${quote(column)}`);
    text += ` on conflict (${conflict.map(quote).join(', ')}) ${updates.length === 0 ? 'do nothing' : `do update set ${updates.join(', ')}`}`;
  }
  return returning.length === 0 ? text : `${text} returning ${returning.map(quote).join(', ')}`;
}

/**
 * Inserts `rows` (all with the same columns) into `table`; with `conflict`, a row whose key
 * exists takes the written values of `update` (by default every other column; none: it is left
 * as it is) instead.
 */
export async function writeRows<T extends TableName>(
  db: Kysely<Schema>,
  table: T,
  rows: readonly Row<T>[],
  conflict?: readonly string[],
  update?: readonly Column<T>[],
): Promise<void> {
  await write(db, table, rows, [], conflict, update);
}

/** `writeRows` that returns the `returning` columns of every row written, inserted or updated (not of rows left as they were). */
export function writeRowsReturning<T extends TableName, C extends Column<T>>(
  db: Kysely<Schema>,
  table: T,
  rows: readonly Row<T>[],
  returning: readonly C[],
  conflict?: readonly string[],
  update?: readonly Column<T>[],
): Promise<Pick<Selectable<Schema[T]>, C>[]> {
  return write(db, table, rows, returning, conflict, update) as Promise<Pick<Selectable<Schema[T]>, C>[]>;
}

async function write<T extends TableName>(
  db: Kysely<Schema>,
  table: T,
  rows: readonly Row<T>[],
  returning: readonly string[],
  conflict: readonly string[] | undefined,
  update: readonly string[] | undefined,
): Promise<unknown[]> {
  const first = rows[0];
  if (first === undefined) return [];
  const columns = Object.keys(first);
  const values = (row: Row<T>) => columns.map((column) => (row as Record<string, unknown>)[column]);
  const connection = sqliteConnections.get(db);
  if (connection !== undefined) {
    const statement = connection.prepare(insertSql(table, columns, conflict, update, returning));
    if (returning.length === 0) {
      // Rows in statement order, so a later row meets an earlier one's key as it would one by one.
      let next = 0;
      if (rows.length >= SQLITE_ROWS_PER_STATEMENT) {
        const batch = connection.prepare(insertSql(table, columns, conflict, update, returning, SQLITE_ROWS_PER_STATEMENT));
        const parameters: unknown[] = new Array(SQLITE_ROWS_PER_STATEMENT * columns.length);
        for (; next + SQLITE_ROWS_PER_STATEMENT <= rows.length; next += SQLITE_ROWS_PER_STATEMENT) {
          let at = 0;
          for (let index = next; index < next + SQLITE_ROWS_PER_STATEMENT; index += 1) {
            const row = rows[index] as Record<string, unknown>;
            for (const column of columns) parameters[at++] = row[column];
          }
          batch.run(parameters);
        }
      }
      for (; next < rows.length; next += 1) statement.run(values(rows[next]!));
      return [];
    }
    return rows.map((row) => statement.get(values(row))).filter((row) => row !== undefined);
  }
  const updated = conflict === undefined ? [] : updatedColumns(columns, conflict, update);
  const written: unknown[] = [];
  for (const batch of chunks(rows, rowsPerInsert(columns.length))) {
    // Kysely's types cannot follow a table chosen at run time; the SQL is the same as spelled out.
    const insert = db.insertInto(table).values(batch);
    const query =
      conflict === undefined
        ? insert
        : insert.onConflict((builder) =>
            updated.length === 0
              ? builder.columns(conflict as never).doNothing()
              : builder.columns(conflict as never).doUpdateSet((eb) => Object.fromEntries(updated.map((column) => [column, eb.ref(`excluded.${column}` as never)])) as never),
          );
    if (returning.length === 0) await query.execute();
    else written.push(...(await query.returning(returning as never).execute()));
  }
  return written;
}
