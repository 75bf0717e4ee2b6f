import type { Kysely, Selectable } from 'kysely';
import type { TriageJustification, TriageStatus } from '../../base/triage.js';
import type { ExchangeSuggestionTable, IsoTime, OutboxEntryTable, OutboxState, PeerKeyType, Schema, SuggestionState } from '../schema.js';

/*
 * Peers, received notifications, the suggestions they make and the outbox. Nothing here decides
 * what a notification means or when to retry: callers say.
 */

export interface Peer {
  readonly origin: string;
  readonly inboxUrl: string;
  readonly keyType: PeerKeyType;
  readonly key: string;
  readonly addedAt: IsoTime;
}

const peerOf = (row: Selectable<Schema['exchange_peer']>): Peer => ({ origin: row.origin, inboxUrl: row.inbox_url, keyType: row.key_type, key: row.key, addedAt: row.added_at });

export async function listPeers(db: Kysely<Schema>): Promise<Peer[]> {
  return (await db.selectFrom('exchange_peer').selectAll().orderBy('origin').execute()).map(peerOf);
}

export async function findPeer(db: Kysely<Schema>, origin: string): Promise<Peer | undefined> {
  const row = await db.selectFrom('exchange_peer').selectAll().where('origin', '=', origin).executeTakeFirst();
  return row === undefined ? undefined : peerOf(row);
}

/** Adds a peer, or replaces the inbox and key of the one with that origin. */
export async function savePeer(db: Kysely<Schema>, peer: Peer): Promise<void> {
  const row = { origin: peer.origin, inbox_url: peer.inboxUrl, key_type: peer.keyType, key: peer.key, added_at: peer.addedAt };
  await db
    .insertInto('exchange_peer')
    .values(row)
    .onConflict((conflict) => conflict.column('origin').doUpdateSet({ inbox_url: row.inbox_url, key_type: row.key_type, key: row.key }))
    .execute();
}

/** Removes a peer and its undelivered outbox entries; whether it existed. */
export async function removePeer(db: Kysely<Schema>, origin: string): Promise<boolean> {
  await db.deleteFrom('outbox_entry').where('peer_origin', '=', origin).where('state', '=', 'pending').execute();
  const result = await db.deleteFrom('exchange_peer').where('origin', '=', origin).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Records a signature nonce of a peer; false when the peer used it before (a replay). Nonces
 * older than `forgetBefore` are dropped meanwhile: their signatures are too old to be accepted anyway.
 */
export async function rememberNonce(db: Kysely<Schema>, peerOrigin: string, nonce: string, now: IsoTime, forgetBefore: IsoTime): Promise<boolean> {
  await db.deleteFrom('exchange_nonce').where('created_at', '<', forgetBefore).execute();
  const result = await db
    .insertInto('exchange_nonce')
    .values({ peer_origin: peerOrigin, nonce, created_at: now })
    .onConflict((conflict) => conflict.columns(['peer_origin', 'nonce']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export interface InboxNotification {
  readonly id: string;
  readonly peerOrigin: string;
  readonly activityId: string | null;
  readonly activityType: string | null;
  readonly receivedAt: IsoTime;
  readonly body: string;
}

export async function insertNotification(db: Kysely<Schema>, notification: InboxNotification): Promise<void> {
  await db
    .insertInto('inbox_notification')
    .values({
      id: notification.id,
      peer_origin: notification.peerOrigin,
      activity_id: notification.activityId,
      activity_type: notification.activityType,
      received_at: notification.receivedAt,
      body: notification.body,
    })
    .execute();
}

/** The ids of the inbox's notifications, oldest first. */
export async function listNotificationIds(db: Kysely<Schema>): Promise<string[]> {
  return (await db.selectFrom('inbox_notification').select('id').orderBy('received_at').orderBy('id').execute()).map((row) => row.id);
}

export async function findNotification(db: Kysely<Schema>, id: string): Promise<InboxNotification | undefined> {
  const row = await db.selectFrom('inbox_notification').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined
    ? undefined
    : { id: row.id, peerOrigin: row.peer_origin, activityId: row.activity_id, activityType: row.activity_type, receivedAt: row.received_at, body: row.body };
}

export interface Suggestion {
  readonly id: number;
  readonly notificationId: string;
  readonly peerOrigin: string;
  readonly activityId: string;
  readonly package: string;
  readonly vulnerabilityId: string;
  readonly status: TriageStatus;
  readonly justification: TriageJustification | null;
  readonly version: string | null;
  readonly note: string | null;
  readonly receivedAt: IsoTime;
  readonly state: SuggestionState;
  readonly decidedAt: IsoTime | null;
  readonly decidedBy: string | null;
  readonly triageEventId: number | null;
}

export type NewSuggestion = Omit<Suggestion, 'id' | 'state' | 'decidedAt' | 'decidedBy' | 'triageEventId'>;

const suggestionOf = (row: Selectable<ExchangeSuggestionTable>): Suggestion => ({
  id: Number(row.id),
  notificationId: row.notification_id,
  peerOrigin: row.peer_origin,
  activityId: row.activity_id,
  package: row.package,
  vulnerabilityId: row.vulnerability_id,
  status: row.status,
  justification: row.justification,
  version: row.version,
  note: row.note,
  receivedAt: row.received_at,
  state: row.state,
  decidedAt: row.decided_at,
  decidedBy: row.decided_by,
  triageEventId: row.triage_event_id === null ? null : Number(row.triage_event_id),
});

/**
 * Adds an open suggestion, unless the peer's activity already made one (a sender that timed out
 * sends the same activity again); whether it was added.
 */
export async function insertSuggestion(db: Kysely<Schema>, suggestion: NewSuggestion): Promise<boolean> {
  const existing = await db
    .selectFrom('exchange_suggestion')
    .select('id')
    .where('peer_origin', '=', suggestion.peerOrigin)
    .where('activity_id', '=', suggestion.activityId)
    .executeTakeFirst();
  if (existing !== undefined) return false;
  await db
    .insertInto('exchange_suggestion')
    .values({
      notification_id: suggestion.notificationId,
      peer_origin: suggestion.peerOrigin,
      activity_id: suggestion.activityId,
      package: suggestion.package,
      vulnerability_id: suggestion.vulnerabilityId,
      status: suggestion.status,
      justification: suggestion.justification,
      version: suggestion.version,
      note: suggestion.note,
      received_at: suggestion.receivedAt,
      state: 'open',
    })
    .execute();
  return true;
}

/** Suggestions in `states`, newest first, at most `limit`. */
export async function listSuggestions(db: Kysely<Schema>, states: readonly SuggestionState[], limit: number): Promise<Suggestion[]> {
  const rows = await db.selectFrom('exchange_suggestion').selectAll().where('state', 'in', [...states]).orderBy('id', 'desc').limit(limit).execute();
  return rows.map(suggestionOf);
}

export async function findSuggestion(db: Kysely<Schema>, id: number): Promise<Suggestion | undefined> {
  const row = await db.selectFrom('exchange_suggestion').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : suggestionOf(row);
}

/** Closes an open suggestion (accepted, dismissed); false when it was no longer open. */
export async function decideSuggestion(
  db: Kysely<Schema>,
  id: number,
  decision: { readonly state: SuggestionState; readonly at: IsoTime; readonly by: string; readonly triageEventId: number | null },
): Promise<boolean> {
  const result = await db
    .updateTable('exchange_suggestion')
    .set({ state: decision.state, decided_at: decision.at, decided_by: decision.by, triage_event_id: decision.triageEventId })
    .where('id', '=', id)
    .where('state', '=', 'open')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Marks the open suggestions a peer's activity made as withdrawn (the peer undid it); how many. */
export async function withdrawSuggestions(db: Kysely<Schema>, peerOrigin: string, activityId: string, at: IsoTime): Promise<number> {
  const result = await db
    .updateTable('exchange_suggestion')
    .set({ state: 'withdrawn', decided_at: at, decided_by: `peer:${peerOrigin}` })
    .where('peer_origin', '=', peerOrigin)
    .where('activity_id', '=', activityId)
    .where('state', '=', 'open')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface OutboxEntry {
  readonly id: number;
  readonly peerOrigin: string;
  /** The triage event it tells of; null for a reply. */
  readonly triageEventId: number | null;
  readonly reply: 'Accept' | 'Reject' | null;
  readonly inReplyTo: string | null;
  readonly createdAt: IsoTime;
  readonly state: OutboxState;
  readonly attempts: number;
  readonly nextAttemptAt: IsoTime;
  readonly lastAttemptAt: IsoTime | null;
  readonly lastStatus: number | null;
  readonly lastResult: string | null;
  readonly location: string | null;
  readonly answer: 'Accept' | 'Reject' | null;
}

const outboxOf = (row: Selectable<OutboxEntryTable>): OutboxEntry => ({
  id: Number(row.id),
  peerOrigin: row.peer_origin,
  triageEventId: row.triage_event_id === null ? null : Number(row.triage_event_id),
  reply: row.reply,
  inReplyTo: row.in_reply_to,
  createdAt: row.created_at,
  state: row.state,
  attempts: Number(row.attempts),
  nextAttemptAt: row.next_attempt_at,
  lastAttemptAt: row.last_attempt_at,
  lastStatus: row.last_status,
  lastResult: row.last_result,
  location: row.location,
  answer: row.answer,
});

/** One pending entry per peer and event, due at once. */
export async function enqueueOutbox(db: Kysely<Schema>, triageEventIds: readonly number[], at: IsoTime): Promise<number> {
  if (triageEventIds.length === 0) return 0;
  const peers = await db.selectFrom('exchange_peer').select('origin').orderBy('origin').execute();
  const rows = triageEventIds.flatMap((eventId) =>
    peers.map((peer) => ({ peer_origin: peer.origin, triage_event_id: eventId, created_at: at, state: 'pending' as const, next_attempt_at: at })),
  );
  if (rows.length > 0) await db.insertInto('outbox_entry').values(rows).execute();
  return rows.length;
}

/** Queues an answer (`Accept` or `Reject`) to a peer's activity, due at once. */
export async function enqueueReply(db: Kysely<Schema>, peerOrigin: string, reply: 'Accept' | 'Reject', inReplyTo: string, at: IsoTime): Promise<void> {
  await db.insertInto('outbox_entry').values({ peer_origin: peerOrigin, reply, in_reply_to: inReplyTo, created_at: at, state: 'pending', next_attempt_at: at }).execute();
}

/** Pending entries due at `now`, oldest first. */
export async function listDueOutbox(db: Kysely<Schema>, now: IsoTime, limit: number): Promise<OutboxEntry[]> {
  const rows = await db
    .selectFrom('outbox_entry')
    .selectAll()
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(outboxOf);
}

/** The outbox, newest first, at most `limit` entries. */
export async function listOutbox(db: Kysely<Schema>, limit: number): Promise<OutboxEntry[]> {
  return (await db.selectFrom('outbox_entry').selectAll().orderBy('id', 'desc').limit(limit).execute()).map(outboxOf);
}

/** Records one delivery attempt and what follows: sent, failed for good, or pending until `nextAttemptAt`. */
export async function recordOutboxAttempt(
  db: Kysely<Schema>,
  id: number,
  attempt: { readonly state: OutboxState; readonly at: IsoTime; readonly nextAttemptAt: IsoTime; readonly status: number | null; readonly result: string; readonly location: string | null },
): Promise<void> {
  const current = await db.selectFrom('outbox_entry').select('attempts').where('id', '=', id).executeTakeFirstOrThrow();
  await db
    .updateTable('outbox_entry')
    .set({
      state: attempt.state,
      attempts: Number(current.attempts) + 1,
      last_attempt_at: attempt.at,
      next_attempt_at: attempt.nextAttemptAt,
      last_status: attempt.status,
      last_result: attempt.result,
      location: attempt.location,
    })
    .where('id', '=', id)
    .execute();
}

/** The maintainers an origin package has in any branch (for who may decide on a suggestion about it). */
export async function listOriginMaintainers(db: Kysely<Schema>, pkg: string): Promise<(string | null)[]> {
  return (await db.selectFrom('source_package').select('maintainer').where('name', '=', pkg).execute()).map((row) => row.maintainer);
}

/** Records a peer's answer to what triage event `triageEventId` made this tracker send it; how many entries it concerned. */
export async function recordOutboxAnswer(db: Kysely<Schema>, peerOrigin: string, triageEventId: number, answer: 'Accept' | 'Reject'): Promise<number> {
  const result = await db.updateTable('outbox_entry').set({ answer }).where('peer_origin', '=', peerOrigin).where('triage_event_id', '=', triageEventId).executeTakeFirst();
  return Number(result.numUpdatedRows);
}
