import type { Kysely } from 'kysely';
import type { DirtyKind, Schema } from '../schema.js';
import { writeRows } from '../bulk-write.js';
import { IN_LIST_SIZE, chunks } from './batches.js';

/*
 * Dirty marks say what changed since the last `update`. Keys are opaque to the store: the code
 * that writes them and the code that reads them agree on their format.
 */

/** Marks keys as changed; marking an already marked key is a no-op. */
export async function markDirty(db: Kysely<Schema>, kind: DirtyKind, keys: readonly string[]): Promise<void> {
  await writeRows(db, 'dirty', [...new Set(keys)].map((key) => ({ kind, key })), ['kind', 'key']);
}

/** The keys of one kind currently marked, sorted. */
export async function listDirty(db: Kysely<Schema>, kind: DirtyKind): Promise<string[]> {
  const rows = await db.selectFrom('dirty').select('key').where('kind', '=', kind).orderBy('key').execute();
  return rows.map((row) => row.key);
}

/** Removes every mark: a full update recomputes whatever they name. */
export async function clearAllDirty(db: Kysely<Schema>): Promise<void> {
  await db.deleteFrom('dirty').execute();
}

/** Removes exactly these marks, so marks added after they were read survive. */
export async function clearDirty(db: Kysely<Schema>, kind: DirtyKind, keys: readonly string[]): Promise<void> {
  for (const batch of chunks([...new Set(keys)], IN_LIST_SIZE)) {
    await db.deleteFrom('dirty').where('kind', '=', kind).where('key', 'in', batch).execute();
  }
}
