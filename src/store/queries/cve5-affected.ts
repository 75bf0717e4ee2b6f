import type { Kysely } from 'kysely';
import { writeRows } from '../bulk-write.js';
import type { Cve5Affected } from '../../formats/cve5.js';
import { cve5AffectedShape, jsonText, readJsonColumn } from '../json-column.js';
import type { Schema } from '../schema.js';
import { IN_LIST_SIZE, chunks } from './batches.js';

/**
 * Stores the CVE 5 `affected` entries of each vulnerability, replacing earlier ones; returns the
 * ids whose entries changed (new or different), so re-importing the same records writes nothing.
 */
export async function putCve5Affected(db: Kysely<Schema>, affectedById: ReadonlyMap<string, readonly Cve5Affected[]>): Promise<string[]> {
  const stored = new Map<string, string>();
  for (const batch of chunks([...affectedById.keys()], IN_LIST_SIZE)) {
    for (const row of await db.selectFrom('cve5_affected').select(['vulnerability_id', 'affected']).where('vulnerability_id', 'in', batch).execute()) {
      stored.set(row.vulnerability_id, row.affected);
    }
  }
  const rows = [...affectedById]
    .map(([id, affected]) => ({ vulnerability_id: id, affected: jsonText(affected) }))
    .filter((row) => stored.get(row.vulnerability_id) !== row.affected);
  await writeRows(db, 'cve5_affected', rows, ['vulnerability_id']);
  return rows.map((row) => row.vulnerability_id);
}

/** The stored CVE 5 `affected` entries among `ids`, by id; ids without any are left out. */
export async function getCve5Affected(db: Kysely<Schema>, ids: readonly string[]): Promise<Map<string, readonly Cve5Affected[]>> {
  const result = new Map<string, readonly Cve5Affected[]>();
  for (const batch of chunks([...new Set(ids)], IN_LIST_SIZE)) {
    for (const row of await db.selectFrom('cve5_affected').select(['vulnerability_id', 'affected']).where('vulnerability_id', 'in', batch).execute()) {
      result.set(row.vulnerability_id, readJsonColumn(row.affected, cve5AffectedShape, 'cve5_affected.affected'));
    }
  }
  return result;
}
