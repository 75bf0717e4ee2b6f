import { type Kysely, PostgresAdapter, sql } from 'kysely';
import type { Schema } from './schema.js';

/** A secondary index as the catalog defines it: its name (and schema, on PostgreSQL) and its CREATE statement. */
interface IndexDefinition {
  readonly schema: string | null;
  readonly name: string;
  readonly definition: string;
}

/**
 * The indexes of `table` that back no constraint (not its primary key, nor a unique constraint),
 * as the catalog holds them: the migrations that created them stay their one definition.
 */
async function secondaryIndexes(db: Kysely<Schema>, table: keyof Schema): Promise<IndexDefinition[]> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const { rows } = await sql<{ schema: string; name: string; definition: string }>`
      select schemaname as schema, indexname as name, indexdef as definition
      from pg_indexes
      where schemaname = current_schema() and tablename = ${table}
        and not exists (select 1 from pg_constraint where conindid = format('%I.%I', schemaname, indexname)::regclass)
      order by indexname`.execute(db);
    return rows;
  }
  // The indexes SQLite makes for constraints have no SQL text.
  const { rows } = await sql<{ name: string; definition: string }>`
    select name, sql as definition from sqlite_master
    where type = 'index' and tbl_name = ${table} and sql is not null
    order by name`.execute(db);
  return rows.map((row) => ({ schema: null, ...row }));
}

/**
 * Runs `fn` with the secondary indexes of `table` dropped, and creates them again after, as they
 * were: filling an empty table and then building each index once costs far less than keeping
 * every index up to date row by row (SQLite's own work for the state table's 765,000 rows at
 * about full size: 5.6 s CPU to 4.5 s, in the sqlite3 shell).
 * Call it inside a transaction, so that a failure anywhere leaves the indexes as they were. On
 * PostgreSQL, dropping an index locks its table against readers until the transaction ends.
 */
export async function withIndexesDeferred<T>(db: Kysely<Schema>, table: keyof Schema, fn: () => Promise<T>): Promise<T> {
  const indexes = await secondaryIndexes(db, table);
  for (const index of indexes) await sql`drop index ${index.schema === null ? sql.id(index.name) : sql.id(index.schema, index.name)}`.execute(db);
  const result = await fn();
  for (const index of indexes) await sql.raw(index.definition).execute(db);
  return result;
}
