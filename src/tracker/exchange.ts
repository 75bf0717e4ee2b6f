import { createPublicKey, randomUUID } from 'node:crypto';
import { InputError } from '../base/input-error.js';
import { PEER_AUTHOR_PREFIX } from '../engine/exchange.js';
import { type SignatureKey, contentDigestMatches, parseSignature, verifySignature } from '../formats/http-signature.js';
import { type ExchangeMessage, parseNotificationBody, readExchangeMessage } from '../formats/ldn.js';
import {
  type Peer,
  type PeerKeyType,
  type Store,
  type Suggestion,
  decideSuggestion,
  enqueueReply,
  findPeer,
  findSuggestion,
  insertNotification,
  insertSuggestion,
  recordOutboxAnswer,
  rememberNonce,
  savePeer,
  withWriteLock,
  withdrawSuggestions,
} from '../store/index.js';
import { eventOfActivity } from './outbox.js';
import { recordTriage } from './triage.js';

/** A request that does not prove it comes from a peer: unsigned, forged, replayed, too old, unknown key. */
export class PeerAuthError extends Error {
  override readonly name = 'PeerAuthError';
}

/** The request facts the inbox checks a signature against. */
export interface InboxRequest {
  readonly method: string;
  /** The absolute URL the request was sent to, as this tracker names it. */
  readonly targetUri: string;
  readonly contentDigest: string | undefined;
  readonly signatureInput: string | undefined;
  readonly signature: string | undefined;
  readonly body: string;
}

/** How old (or how far in the future, for clock skew) a signature's `created` may be. */
const SIGNATURE_MAX_AGE_SECONDS = 300;
const CLOCK_SKEW_SECONDS = 60;

/** The key a peer's requests are verified with. */
function verifyKeyOf(peer: Peer): SignatureKey {
  return peer.keyType === 'hmac-sha256' ? { alg: 'hmac-sha256', secret: Buffer.from(peer.key, 'base64') } : { alg: 'ed25519', key: createPublicKey(peer.key) };
}

/**
 * The peer a request comes from: its signature (RFC 9421) must name a configured peer as `keyid`,
 * verify with that peer's key, cover the method, target URI and a `Content-Digest` that matches
 * the body, be at most five minutes old, and carry a nonce the peer has not used before.
 */
export async function authenticatePeer(store: Store, request: InboxRequest, now: Date): Promise<Peer> {
  if (request.signatureInput === undefined || request.signature === undefined || request.contentDigest === undefined) {
    throw new PeerAuthError('unsigned: a notification needs Signature-Input, Signature and Content-Digest headers (RFC 9421)');
  }
  let parsed;
  try {
    parsed = parseSignature(request.signatureInput, request.signature);
  } catch (error) {
    throw new PeerAuthError(error instanceof InputError ? error.message : 'the signature headers cannot be read');
  }
  const peer = await findPeer(store.db, parsed.keyId);
  if (peer === undefined) throw new PeerAuthError(`keyid "${parsed.keyId}" is not a peer of this tracker`);
  if (!contentDigestMatches(request.contentDigest, request.body)) throw new PeerAuthError('Content-Digest does not match the body');
  if (!verifySignature(parsed, { method: request.method, targetUri: request.targetUri, contentDigest: request.contentDigest }, verifyKeyOf(peer))) {
    throw new PeerAuthError('the signature does not verify');
  }
  const seconds = now.getTime() / 1000;
  if (parsed.created < seconds - SIGNATURE_MAX_AGE_SECONDS || parsed.created > seconds + CLOCK_SKEW_SECONDS) throw new PeerAuthError('the signature is too old, or made in the future');
  const forgetBefore = new Date(now.getTime() - 2 * SIGNATURE_MAX_AGE_SECONDS * 1000).toISOString();
  if (!(await rememberNonce(store.db, peer.origin, parsed.nonce, now.toISOString(), forgetBefore))) throw new PeerAuthError('replayed: the nonce was used before');
  return peer;
}

/** What the inbox kept of a notification. */
export interface Received {
  readonly id: string;
  readonly message: ExchangeMessage;
}

/**
 * Stores a peer's notification (bad JSON-LD, a context not allow-listed or a known activity of the
 * wrong shape is an InputError, and nothing is stored). An `Announce` or `Offer` becomes an open
 * suggestion (once per activity); an `Undo` withdraws the open suggestions of the activity it
 * names; an `Accept` or `Reject` of an activity this tracker (`ownOrigin`) sent is noted on its
 * outbox entry. An activity's actor must be the peer that signed it. No state and no triage
 * changes: a person decides on the suggestion.
 */
export async function receiveNotification(store: Store, peer: Peer, body: string, now: Date, ownOrigin: string): Promise<Received> {
  const document = parseNotificationBody(body);
  const message = readExchangeMessage(document);
  if (message.kind !== 'other' && message.actor !== peer.origin) throw new InputError('notification', '$.actor', `"${message.actor}" is not the peer that signed it (${peer.origin})`);
  const id = randomUUID();
  const receivedAt = now.toISOString();
  await withWriteLock(
    store,
    async (db) => {
      const type = message.kind === 'other' ? message.type : message.kind === 'undo' ? 'Undo' : message.type;
      await insertNotification(db, { id, peerOrigin: peer.origin, activityId: message.id, activityType: type, receivedAt, body });
      if (message.kind === 'proposal') {
        await insertSuggestion(db, { ...message.decision, notificationId: id, peerOrigin: peer.origin, activityId: message.id, receivedAt });
      } else if (message.kind === 'undo') await withdrawSuggestions(db, peer.origin, message.undoes, receivedAt);
      else if (message.kind === 'reply') {
        const eventId = eventOfActivity(ownOrigin, message.inReplyTo);
        if (eventId !== undefined) await recordOutboxAnswer(db, peer.origin, eventId, message.type);
      }
    },
    { changedData: () => false },
  );
  return { id, message };
}

/** The author a suggestion's triage event is recorded under. */
const peerAuthor = (origin: string) => `${PEER_AUTHOR_PREFIX}${origin}`;

async function openSuggestion(store: Store, id: number): Promise<Suggestion> {
  const suggestion = await findSuggestion(store.db, id);
  if (suggestion === undefined) throw new InputError('suggestion', String(id), 'no such suggestion');
  if (suggestion.state !== 'open') throw new InputError('suggestion', String(id), `already ${suggestion.state}`);
  return suggestion;
}

/** Closes a suggestion and, if its sender is still a peer, queues the answer (`Accept` or `Reject`) to its activity. */
async function decide(store: Store, suggestion: Suggestion, decision: { readonly state: 'accepted' | 'dismissed'; readonly by: string; readonly triageEventId: number | null }): Promise<void> {
  const at = new Date().toISOString();
  await withWriteLock(
    store,
    async (db) => {
      if (!(await decideSuggestion(db, suggestion.id, { ...decision, at }))) return;
      if ((await findPeer(db, suggestion.peerOrigin)) !== undefined) await enqueueReply(db, suggestion.peerOrigin, decision.state === 'accepted' ? 'Accept' : 'Reject', suggestion.activityId, at);
    },
    { changedData: () => false },
  );
}

/**
 * Accepts a suggestion: records its decision as a triage event authored by the peer
 * (`peer:ORIGIN`), notes who accepted it and answers the peer `Accept`. An unknown package or a
 * malformed decision is an InputError, as for any triage request.
 */
export async function acceptSuggestion(store: Store, id: number, acceptedBy: string): Promise<Suggestion> {
  const suggestion = await openSuggestion(store, id);
  const [event] = await recordTriage(
    store,
    {
      packages: [suggestion.package],
      vulnerabilities: [suggestion.vulnerabilityId],
      status: suggestion.status,
      justification: suggestion.justification ?? undefined,
      version: suggestion.version ?? undefined,
      note: suggestion.note ?? undefined,
    },
    peerAuthor(suggestion.peerOrigin),
  );
  await decide(store, suggestion, { state: 'accepted', by: acceptedBy, triageEventId: event?.id ?? null });
  return (await findSuggestion(store.db, id))!;
}

/** Dismisses a suggestion: it stays listed as dismissed, the peer is answered `Reject`, and nothing else changes. */
export async function dismissSuggestion(store: Store, id: number, dismissedBy: string): Promise<Suggestion> {
  await decide(store, await openSuggestion(store, id), { state: 'dismissed', by: dismissedBy, triageEventId: null });
  return (await findSuggestion(store.db, id))!;
}

const PEER = 'peer';

/** The origin of a peer's URL (`https://host[:port]`), refusing anything else. */
export function peerOrigin(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(PEER, 'origin', `"${text}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InputError(PEER, 'origin', `"${text}" is not http or https`);
  if (url.origin !== text.replace(/\/$/, '')) throw new InputError(PEER, 'origin', `"${text}" is not an origin such as https://tracker.example (no path)`);
  return url.origin;
}

/** Adds (or updates) a peer after checking its inbox URL and key. */
export async function addPeer(store: Store, peer: { readonly origin: string; readonly inboxUrl: string; readonly keyType: PeerKeyType; readonly key: string }): Promise<Peer> {
  const origin = peerOrigin(peer.origin);
  let inbox: URL;
  try {
    inbox = new URL(peer.inboxUrl);
  } catch {
    throw new InputError(PEER, 'inbox', `"${peer.inboxUrl}" is not a URL`);
  }
  if (inbox.protocol !== 'https:' && inbox.protocol !== 'http:') throw new InputError(PEER, 'inbox', `"${peer.inboxUrl}" is not http or https`);
  const saved: Peer = { origin, inboxUrl: inbox.href, keyType: peer.keyType, key: peer.key, addedAt: new Date().toISOString() };
  try {
    verifyKeyOf(saved);
  } catch (error) {
    throw new InputError(PEER, 'key', `not an Ed25519 public key in PEM: ${(error as Error).message}`);
  }
  if (peer.keyType === 'hmac-sha256' && Buffer.from(peer.key, 'base64').length < 32) throw new InputError(PEER, 'key', 'a shared key needs at least 32 bytes (base64)');
  if (peer.keyType === 'ed25519' && createPublicKey(peer.key).asymmetricKeyType !== 'ed25519') throw new InputError(PEER, 'key', 'the public key is not an Ed25519 key');
  await withWriteLock(store, (db) => savePeer(db, saved), { changedData: () => false });
  return saved;
}
