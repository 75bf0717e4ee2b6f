import type { Kysely } from 'kysely';
import { type JsonText, anyJson, readJsonColumn } from '../json-column.js';
import type { Schema } from '../schema.js';

/*
 * Page summaries: what a page shows that depends only on the data, kept as JSON per name with
 * the data version it was built from. A body of another version is never read back, so a
 * summary cannot show stale data; the caller builds a fresh one instead.
 */

/** The body of summary `name` if it was built at `dataVersion`, else undefined. One primary-key lookup. */
export async function readPageSummary(db: Kysely<Schema>, name: string, dataVersion: number): Promise<unknown> {
  const row = await db.selectFrom('page_summary').select('body').where('name', '=', name).where('data_version', '=', dataVersion).executeTakeFirst();
  return row === undefined ? undefined : readJsonColumn(row.body, anyJson, `page_summary ${name}`);
}

/** The body of summary `name` whatever data version it was built at, or undefined when there is none. */
export async function readAnyPageSummary(db: Kysely<Schema>, name: string): Promise<unknown> {
  const row = await db.selectFrom('page_summary').select('body').where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : readJsonColumn(row.body, anyJson, `page_summary ${name}`);
}

/** The data version summary `name` was built at, or undefined when there is none. */
export async function pageSummaryVersion(db: Kysely<Schema>, name: string): Promise<number | undefined> {
  const row = await db.selectFrom('page_summary').select('data_version').where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : Number(row.data_version);
}

/** Stores summary `name` as built at `dataVersion`, replacing any other version of it. */
export async function writePageSummary(db: Kysely<Schema>, name: string, dataVersion: number, body: unknown): Promise<void> {
  const row = { name, data_version: dataVersion, built_at: new Date().toISOString(), body: JSON.stringify(body) as JsonText<unknown> };
  await db
    .insertInto('page_summary')
    .values(row)
    .onConflict((conflict) => conflict.column('name').doUpdateSet({ data_version: row.data_version, built_at: row.built_at, body: row.body }))
    .execute();
}

/**
 * Moves the summaries among `names` built at the data version before `dataVersion` on to it,
 * unchanged: for a write that moved the data version without changing what they are built from.
 */
export async function carryPageSummaries(db: Kysely<Schema>, names: readonly string[], dataVersion: number): Promise<void> {
  if (names.length === 0) return;
  await db.updateTable('page_summary').set({ data_version: dataVersion }).where('name', 'in', [...names]).where('data_version', '=', dataVersion - 1).execute();
}
