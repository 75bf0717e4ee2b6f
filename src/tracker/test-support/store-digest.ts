import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Store } from '../../store/index.js';

/** Tables an import always writes, even when it changes no data: its run record and the data-version counter. */
const RUN_TABLES = new Set(['import_run', 'data_version']);

/**
 * A fingerprint of every data table's rows (order-independent), to show an import changed
 * nothing. Run records are left out: every attempt adds one by design.
 */
export async function dataDigest(store: Store): Promise<string> {
  const hash = createHash('sha256');
  const tables = (await store.db.introspection.getTables()).map((table) => table.name).filter((name) => !RUN_TABLES.has(name));
  for (const table of tables.sort()) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(store.db);
    hash.update(`${table}\u0000${rows.map((row) => JSON.stringify(row)).sort().join('\n')}\u0000`);
  }
  return hash.digest('hex');
}
