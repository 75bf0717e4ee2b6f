import { type KeyObject, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DEFAULT_PURL_NAMESPACE } from '../base/export.js';
import type { TriageEvent } from '../base/triage.js';
import { isSentToPeers, retractedBy } from '../engine/exchange.js';
import { type SignatureKey, signRequest } from '../formats/http-signature.js';
import { AS2_CONTEXT, type ExchangeDecision, type ExchangeParties, announceActivity, replyActivity, undoActivity } from '../formats/ldn.js';
import { type OutboxEntry, type Peer, type Schema, type Store, enqueueOutbox, findPeer, listDueOutbox, listTriageEvents, recordOutboxAttempt } from '../store/index.js';

/** Paths of the exchange, the same on every secfix tracker. */
export const INBOX_PATH = '/inbox';
export const OUTBOX_PATH = '/outbox';

/** The IRI of the activity that tells peers of triage event `eventId`: its entry on the outbox page. */
const activityIri = (origin: string, eventId: number) => `${origin}${OUTBOX_PATH}#event-${eventId}`;

/** The triage event an activity IRI of this tracker's names, if it is one. */
export function eventOfActivity(origin: string, iri: string): number | undefined {
  const prefix = activityIri(origin, 0).slice(0, -1);
  const id = iri.startsWith(prefix) ? iri.slice(prefix.length) : '';
  return /^\d{1,15}$/.test(id) ? Number(id) : undefined;
}

/** The IRI of an answer (`Accept`, `Reject`) to a peer: its outbox entry. */
const replyIri = (origin: string, entryId: number) => `${origin}${OUTBOX_PATH}#reply-${entryId}`;

/**
 * Queues the events peers must hear of (see isSentToPeers) for every configured peer, in the
 * transaction that recorded them, so an event is never recorded without its notifications.
 */
export async function queueForPeers(db: Kysely<Schema>, events: readonly TriageEvent[]): Promise<number> {
  if (events.length === 0 || (await db.selectFrom('exchange_peer').select('origin').limit(1).executeTakeFirst()) === undefined) return 0;
  const withdrawals = events.filter((event) => event.status === 'withdrawn');
  const pairEvents = withdrawals.length === 0 ? [] : await listTriageEvents(db, { packages: withdrawals.map((event) => event.package) });
  const sent = events.filter((event) => isSentToPeers(pairEvents.filter((other) => other.package === event.package && other.vulnerabilityId === event.vulnerabilityId), event));
  return enqueueOutbox(
    db,
    sent.map((event) => event.id),
    new Date().toISOString(),
  );
}

/** How this tracker sends: who it is, how it signs, how often and how long it retries. */
export interface SenderOptions {
  /** This tracker's origin: the actor of its activities and the `keyid` of its signatures. */
  readonly origin: string;
  /** The purl namespace of its packages; `alpine` unless told. */
  readonly purlNamespace?: string;
  /** The Ed25519 private key for peers that verify with this tracker's public key. */
  readonly signingKey?: KeyObject | undefined;
  /** The delay before the second attempt; each later one doubles it, up to `maxDelayMs`. */
  readonly retryBaseMs?: number;
  readonly maxDelayMs?: number;
  /** Attempts before an entry is given up as failed. */
  readonly maxAttempts?: number;
  /** Milliseconds an inbox has to answer. */
  readonly timeoutMs?: number;
}

const DEFAULT_RETRY_BASE_MS = 30_000;
const DEFAULT_MAX_DELAY_MS = 6 * 3_600_000;
const DEFAULT_MAX_ATTEMPTS = 12;
const DEFAULT_TIMEOUT_MS = 10_000;
const BATCH = 50;

/** The key this tracker signs requests to `peer` with: their shared secret, or its own Ed25519 key. */
function signingKeyFor(peer: Peer, options: SenderOptions): SignatureKey {
  if (peer.keyType === 'hmac-sha256') return { alg: 'hmac-sha256', secret: Buffer.from(peer.key, 'base64') };
  if (options.signingKey === undefined) throw new Error(`peer ${peer.origin} verifies Ed25519 signatures, and no signing key is configured (--signing-key)`);
  return { alg: 'ed25519', key: options.signingKey };
}

/** The activity for one outbox entry, or undefined when its event no longer calls for one. */
async function activityFor(db: Kysely<Schema>, entry: OutboxEntry, peer: Peer, options: SenderOptions): Promise<Record<string, unknown> | undefined> {
  const parties: ExchangeParties = { origin: options.origin, originInbox: `${options.origin}${INBOX_PATH}`, target: peer.origin, targetInbox: peer.inboxUrl };
  if (entry.reply !== null && entry.inReplyTo !== null) return replyActivity(entry.reply, replyIri(options.origin, entry.id), parties, entry.inReplyTo, entry.createdAt);
  const [event] = entry.triageEventId === null ? [] : await listTriageEvents(db, { ids: [entry.triageEventId] });
  if (event === undefined) return undefined;
  const id = activityIri(options.origin, event.id);
  if (event.status === 'withdrawn') {
    const pairEvents = await listTriageEvents(db, { packages: [event.package], vulnerabilityId: event.vulnerabilityId });
    const retracted = retractedBy(pairEvents, event);
    return retracted === undefined ? undefined : undoActivity(id, parties, activityIri(options.origin, retracted.id), event.createdAt);
  }
  if (event.status !== 'fixed' && event.status !== 'not-affected') return undefined;
  const decision: ExchangeDecision = { ...event, status: event.status };
  // The vulnerability's page, as vulnerabilityPath in src/web/urls.ts names it (the tracker does not import the web).
  return announceActivity(id, parties, decision, `${options.origin}/cve/${encodeURIComponent(event.vulnerabilityId)}`, options.purlNamespace ?? DEFAULT_PURL_NAMESPACE, event.createdAt);
}

/** What one delivery attempt gave. */
interface AttemptResult {
  readonly status: number | null;
  readonly result: string;
  readonly location: string | null;
  /** Whether sending the same again could succeed (a network failure, 429, 5xx, 401 from a key not yet configured). */
  readonly retry: boolean;
}

async function post(peer: Peer, body: string, options: SenderOptions, now: Date): Promise<AttemptResult> {
  const headers = signRequest({ method: 'POST', targetUri: peer.inboxUrl, body }, signingKeyFor(peer, options), options.origin, Math.floor(now.getTime() / 1000), randomUUID());
  try {
    // Only configured inboxes are posted to, and redirects are not followed: no request ever goes where a notification says.
    const response = await fetch(peer.inboxUrl, {
      method: 'POST',
      headers: { 'content-type': `application/ld+json; profile="${AS2_CONTEXT}"`, ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    const text = (await response.text()).slice(0, 500);
    const ok = response.status === 201 || response.status === 202;
    return {
      status: response.status,
      result: ok ? 'delivered' : `refused: ${text}`,
      location: response.headers.get('location'),
      retry: !ok && ![400, 403, 404, 413, 415].includes(response.status),
    };
  } catch (error) {
    return { status: null, result: `not reached: ${(error as Error).message}`, location: null, retry: true };
  }
}

/** Delivers every due outbox entry once (oldest first); how many were delivered, retried later and given up. */
export async function deliverDue(store: Store, options: SenderOptions): Promise<{ sent: number; retrying: number; failed: number }> {
  const counts = { sent: 0, retrying: 0, failed: 0 };
  const due = await listDueOutbox(store.db, new Date().toISOString(), BATCH);
  for (const entry of due) {
    const now = new Date();
    const peer = await findPeer(store.db, entry.peerOrigin);
    const activity = peer === undefined ? undefined : await activityFor(store.db, entry, peer, options);
    let attempt: AttemptResult;
    if (peer === undefined || activity === undefined) attempt = { status: null, result: 'nothing to send: the peer or the event is gone', location: null, retry: false };
    else {
      try {
        attempt = await post(peer, JSON.stringify(activity), options, now);
      } catch (error) {
        attempt = { status: null, result: (error as Error).message, location: null, retry: true };
      }
    }
    const attempts = entry.attempts + 1;
    const giveUp = attempt.retry && attempts >= (options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    const state = attempt.status === 201 || attempt.status === 202 ? 'sent' : attempt.retry && !giveUp ? 'pending' : 'failed';
    const delay = Math.min((options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS) * 2 ** (attempts - 1), options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
    await recordOutboxAttempt(store.db, entry.id, {
      state,
      at: now.toISOString(),
      nextAttemptAt: new Date(now.getTime() + delay).toISOString(),
      status: attempt.status,
      result: attempt.result,
      location: attempt.location,
    });
    counts[state === 'sent' ? 'sent' : state === 'pending' ? 'retrying' : 'failed'] += 1;
  }
  return counts;
}

/** A sender running in the background until stopped. */
export interface OutboxSender {
  stop(): Promise<void>;
}

/**
 * Delivers due entries every `intervalMs` until stopped. The outbox is a table, so what a
 * stopped sender left is sent by the next one (after a restart, or by `secfix peers flush`).
 */
export function startOutboxSender(store: Store, options: SenderOptions & { readonly intervalMs: number; readonly onError: (error: unknown) => void }): OutboxSender {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = deliverDue(store, options)
      .then(() => undefined)
      .catch(options.onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs);
      });
  };
  timer = setTimeout(tick, 0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
