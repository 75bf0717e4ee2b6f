import type { Kysely } from 'kysely';
import { type AuditFilter, type StoredAuditEvent, listAuditEventsBefore } from '../queries/auth.js';
import type { StateKey } from '../queries/states.js';
import type { Schema } from '../schema.js';

/*
 * The logs a test reads back whole to see what a write recorded; the product reads them only in
 * pages and feeds.
 */

/** The audit log, oldest first, optionally about one subject or by one actor. */
export async function listAuditEvents(db: Kysely<Schema>, filter: AuditFilter = {}): Promise<StoredAuditEvent[]> {
  return (await listAuditEventsBefore(db, filter, undefined, 1_000_000)).reverse();
}

/** A pair's state changes, oldest first. */
export async function listStateHistory(db: Kysely<Schema>, key: StateKey) {
  const rows = await db
    .selectFrom('state_history')
    .select(['old_state', 'new_state', 'changed_at', 'cause'])
    .where('repository_id', '=', key.repositoryId)
    .where('package', '=', key.package)
    .where('vulnerability_id', '=', key.vulnerabilityId)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ oldState: row.old_state, newState: row.new_state, changedAt: row.changed_at, cause: row.cause }));
}
