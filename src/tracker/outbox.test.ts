import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSignature, verifySignature } from '../formats/http-signature.js';
import { readExchangeMessage, parseNotificationBody } from '../formats/ldn.js';
import { appendTriageEvents, listOutbox } from '../store/index.js';
import { backends, useTestStore } from '../test-support/databases.js';
import { addPeer } from './exchange.js';
import { deliverDue, queueForPeers } from './outbox.js';
import { type RecordingInbox, startRecordingInbox } from './test-support/recording-inbox.js';

const SECRET = randomBytes(32);
const A = 'https://a.example';

/*
 * The outbox against a real inbox on loopback (a node:http server answering what the test says):
 * what is queued, the signed request, retries on 503 and giving up on 400, on both databases.
 */
describe.each(backends)('%s outbox', (backend) => {
  const store = useTestStore(backend);
  let inbox: RecordingInbox;
  beforeAll(async () => {
    inbox = await startRecordingInbox();
  });
  afterAll(() => inbox.close());

  const base = { package: 'busybox', vulnerabilityId: 'CVE-2024-1', branches: null, justification: null, version: null, note: null, author: 'sec@example.org', computedDigests: {} };
  const options = { origin: A, retryBaseMs: 0, maxAttempts: 3 };

  it('queues announced decisions and their withdrawal for each peer, and sends them signed', async () => {
    inbox.received.length = 0;
    await addPeer(store(), { origin: new URL(inbox.url).origin, inboxUrl: inbox.url, keyType: 'hmac-sha256', key: SECRET.toString('base64') });
    const events = await appendTriageEvents(store().db, [
      { ...base, status: 'not-affected', justification: 'disputed', createdAt: '2026-01-01T00:00:01.000Z' },
      { ...base, status: 'affected', createdAt: '2026-01-01T00:00:02.000Z' },
      { ...base, status: 'withdrawn', createdAt: '2026-01-01T00:00:03.000Z' },
      { ...base, status: 'withdrawn', createdAt: '2026-01-01T00:00:04.000Z' },
    ]);
    // The first withdrawal retracts `affected` (never announced); the second retracts the not-affected decision.
    expect(await queueForPeers(store().db, events)).toBe(2);
    expect(await deliverDue(store(), options)).toEqual({ sent: 2, retrying: 0, failed: 0 });

    const messages = inbox.received.map((request) => readExchangeMessage(parseNotificationBody(request.body)));
    expect(messages).toEqual([
      { kind: 'proposal', type: 'Announce', id: `${A}/outbox#event-${events[0]!.id}`, actor: A, decision: expect.objectContaining({ status: 'not-affected', justification: 'vulnerable-code-not-present' }) as unknown },
      { kind: 'undo', id: `${A}/outbox#event-${events[3]!.id}`, actor: A, undoes: `${A}/outbox#event-${events[0]!.id}` },
    ]);
    for (const request of inbox.received) {
      const signature = parseSignature(String(request.headers['signature-input']), String(request.headers['signature']));
      expect(signature.keyId).toBe(A);
      expect(verifySignature(signature, { method: 'POST', targetUri: inbox.url, contentDigest: String(request.headers['content-digest']) }, { alg: 'hmac-sha256', secret: SECRET })).toBe(true);
      expect(request.headers['content-type']).toMatch(/^application\/ld\+json/);
    }
    expect((await listOutbox(store().db, 10)).map((entry) => [entry.state, entry.lastStatus, entry.location])).toEqual([
      ['sent', 201, `${inbox.url}/2`],
      ['sent', 201, `${inbox.url}/1`],
    ]);
  });

  it('retries what a busy inbox refused and gives up on what it called bad', async () => {
    await addPeer(store(), { origin: new URL(inbox.url).origin, inboxUrl: inbox.url, keyType: 'hmac-sha256', key: SECRET.toString('base64') });
    const [busy, bad] = await appendTriageEvents(store().db, [
      { ...base, status: 'not-affected', justification: 'disputed', createdAt: '2026-01-01T00:00:01.000Z' },
      { ...base, vulnerabilityId: 'CVE-2024-2', status: 'fixed', version: '1.0-r1', createdAt: '2026-01-01T00:00:02.000Z' },
    ]);
    await queueForPeers(store().db, [busy!, bad!]);
    inbox.answers.push(503, 400);
    expect(await deliverDue(store(), options)).toEqual({ sent: 0, retrying: 1, failed: 1 });
    inbox.answers.push(503);
    expect(await deliverDue(store(), options)).toEqual({ sent: 0, retrying: 1, failed: 0 });
    // The third attempt is the last one (maxAttempts 3).
    inbox.answers.push(503);
    expect(await deliverDue(store(), options)).toEqual({ sent: 0, retrying: 0, failed: 1 });
    const entries = await listOutbox(store().db, 10);
    expect(entries.map((entry) => [entry.triageEventId, entry.state, entry.attempts, entry.lastStatus])).toEqual([
      [bad!.id, 'failed', 1, 400],
      [busy!.id, 'failed', 3, 503],
    ]);
    expect(await deliverDue(store(), options)).toEqual({ sent: 0, retrying: 0, failed: 0 });
  });
});
