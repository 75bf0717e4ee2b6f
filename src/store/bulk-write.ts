import type Database from 'better-sqlite3';
import type { Insertable, Kysely } from 'kysely';
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

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

function insertSql(table: string, columns: readonly string[], conflict: readonly string[] | undefined): string {
  const base = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values (${columns.map(() => '?').join(', ')})`;
  if (conflict === undefined) return base;
  const updates = columns.filter((column) => !conflict.includes(column)).map((column) => `${quote(column)} = excluded.${quote(column)}`);
  return `${base} on conflict (${conflict.map(quote).join(', ')}) do update set ${updates.join(', ')}`;
}

/**
 * Inserts `rows` (all with the same columns) into `table`; with `conflict`, a row whose key
 * exists replaces the stored values instead.
 */
export async function writeRows<T extends TableName>(
  db: Kysely<Schema>,
  table: T,
  rows: readonly Row<T>[],
  conflict?: readonly string[],
): Promise<void> {
  const first = rows[0];
  if (first === undefined) return;
  const columns = Object.keys(first);
  const connection = sqliteConnections.get(db);
  if (connection !== undefined) {
    const statement = connection.prepare(insertSql(table, columns, conflict));
    for (const row of rows) statement.run(columns.map((column) => (row as Record<string, unknown>)[column]));
    return;
  }
  const updated = conflict === undefined ? [] : columns.filter((column) => !conflict.includes(column));
  for (const batch of chunks(rows, rowsPerInsert(columns.length))) {
    // Kysely's types cannot follow a table chosen at run time; the SQL is the same as spelled out.
    const query = db.insertInto(table).values(batch);
    await (conflict === undefined
      ? query
      : query.onConflict((builder) =>
          builder.columns(conflict as never).doUpdateSet((eb) => Object.fromEntries(updated.map((column) => [column, eb.ref(`excluded.${column}` as never)])) as never),
        )
    ).execute();
  }
}
