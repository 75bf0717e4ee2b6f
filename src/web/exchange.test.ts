import { type KeyObject, generateKeyPairSync, randomUUID } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SignatureKey, signRequest } from '../formats/http-signature.js';
import { AS2_CONTEXT, announceActivity } from '../formats/ldn.js';
import { type OutboxEntry, type Suggestion, listOutbox, listTriageEvents } from '../store/index.js';
import { type Backend, type TestStore, backends, openTestStore } from '../test-support/databases.js';
import { addPeer } from '../tracker/exchange.js';
import { recordTriage } from '../tracker/triage.js';
import { createToken } from '../tracker/tokens.js';
import { listen } from './listen.js';

type RunningServer = Awaited<ReturnType<typeof listen>>;

interface Tracker {
  readonly store: TestStore;
  readonly keys: { readonly privateKey: KeyObject; readonly publicKey: KeyObject };
  port: number;
  server: RunningServer | undefined;
}

const HOST = '127.0.0.1';
const LD_JSON = 'application/ld+json';
const origin = (tracker: Tracker) => `http://${HOST}:${tracker.port}`;

async function start(tracker: Tracker, backend: Backend): Promise<void> {
  tracker.server = await listen(tracker.store, {
    port: tracker.port,
    host: HOST,
    site: { distribution: `Tracker (${backend})` },
    rateLimitPerMinute: false,
    sender: { signingKey: tracker.keys.privateKey, intervalMs: 25, retryBaseMs: 25, maxDelayMs: 100 },
  });
  tracker.port = new URL(tracker.server.address).port === '' ? 80 : Number(new URL(tracker.server.address).port);
}

async function stop(tracker: Tracker): Promise<void> {
  await tracker.server?.close();
  tracker.server = undefined;
}

/** Polls until `probe` gives a value: deliveries happen in the background, a few sender ticks later. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
}

const suggestionsOf = async (tracker: Tracker) =>
  (await (await fetch(`${origin(tracker)}/suggestions`, { headers: { accept: 'application/json' } })).json()) as { suggestions: Suggestion[] };

/*
 * Two secfix servers on loopback (the app `serve` runs, really listening), each the other's peer
 * with Ed25519 keys: decisions on A reach B as suggestions through the outbox, B accepts one, an
 * Undo withdraws another, the outbox survives A's restart, and B refuses what a peer must not send.
 */
describe.each(backends)('%s two trackers', (backend) => {
  const a: Tracker = { store: undefined as unknown as TestStore, keys: generateKeyPairSync('ed25519'), port: 0, server: undefined };
  const b: Tracker = { store: undefined as unknown as TestStore, keys: generateKeyPairSync('ed25519'), port: 0, server: undefined };

  beforeAll(async () => {
    const [storeA, storeB] = await Promise.all([openTestStore(backend, { contents: 'demo' }), openTestStore(backend, { contents: 'demo' })]);
    Object.assign(a, { store: storeA });
    Object.assign(b, { store: storeB });
    await start(a, backend);
    await start(b, backend);
    const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
    await addPeer(a.store, { origin: origin(b), inboxUrl: `${origin(b)}/inbox`, keyType: 'ed25519', key: pem(b.keys.publicKey) });
    await addPeer(b.store, { origin: origin(a), inboxUrl: `${origin(a)}/inbox`, keyType: 'ed25519', key: pem(a.keys.publicKey) });
  }, 120_000);
  afterAll(async () => {
    await stop(a);
    await stop(b);
    await a.store?.dispose();
    await b.store?.dispose();
  });

  const decide = (tracker: Tracker, vulnerability: string, request: { status: string; justification?: string; version?: string; note?: string }) =>
    recordTriage(tracker.store, { packages: ['busybox'], vulnerabilities: [vulnerability], ...request }, 'sec@a.example');
  const suggestionFor = (activityId: string, state?: string) =>
    eventually(async () => (await suggestionsOf(b)).suggestions.find((suggestion) => suggestion.activityId === activityId && (state === undefined || suggestion.state === state)), `suggestion ${activityId} ${state ?? ''}`);

  it('a not-affected decision on A becomes a suggestion on B, which B accepts as a triage event by the peer', async () => {
    const [event] = await decide(a, 'CVE-2099-1000', { status: 'not-affected', justification: 'vulnerable-code-not-present', note: 'the applet is not built' });
    const suggestion = await suggestionFor(`${origin(a)}/outbox#event-${event!.id}`);
    expect(suggestion).toMatchObject({ peerOrigin: origin(a), package: 'busybox', vulnerabilityId: 'CVE-2099-1000', status: 'not-affected', justification: 'vulnerable-code-not-present', note: 'the applet is not built', state: 'open' });
    // A suggestion changes nothing by itself.
    expect(await listTriageEvents(b.store.db, { vulnerabilityId: 'CVE-2099-1000' })).toEqual([]);
    const sent = await eventually(async () => (await listOutbox(a.store.db, 10)).find((entry: OutboxEntry) => entry.triageEventId === event!.id && entry.state === 'sent'), 'A marks it sent');
    expect(sent).toMatchObject({ peerOrigin: origin(b), lastStatus: 201, attempts: 1 });
    expect(sent.location?.startsWith(`${origin(b)}/inbox/`)).toBe(true);

    const { token } = await createToken(b.store, { name: 'security', role: 'security-team', email: null }, 'test');
    const accepted = await fetch(`${origin(b)}/suggestions/${suggestion.id}/accept`, { method: 'POST', headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
    expect(accepted.status).toBe(200);
    const [recorded] = await listTriageEvents(b.store.db, { vulnerabilityId: 'CVE-2099-1000' });
    expect(recorded).toMatchObject({ status: 'not-affected', justification: 'vulnerable-code-not-present', author: `peer:${origin(a)}` });
    // What B took from A is not announced back to A: B only answers it, and the answer reaches A's inbox.
    expect((await listOutbox(b.store.db, 10)).map((entry) => [entry.triageEventId, entry.reply, entry.inReplyTo])).toEqual([[null, 'Accept', suggestion.activityId]]);
    const answer = await eventually(async () => {
      const listing = (await (await fetch(`${origin(a)}/inbox`, { headers: { accept: LD_JSON } })).json()) as { contains: string[] };
      const notifications = await Promise.all(listing.contains.map(async (url) => (await (await fetch(url, { headers: { accept: LD_JSON } })).json()) as Record<string, unknown>));
      return notifications.find((notification) => notification['type'] === 'Accept');
    }, 'A receives the Accept');
    expect(answer).toMatchObject({ inReplyTo: suggestion.activityId, actor: { id: origin(b) } });
    expect((await listOutbox(a.store.db, 10)).find((entry) => entry.triageEventId === event!.id)).toMatchObject({ answer: 'Accept' });
  });

  it('the undo of a decision on A withdraws its suggestion on B', async () => {
    const [fixed] = await decide(a, 'CVE-2099-1001', { status: 'fixed', version: '1.36.1-r2' });
    expect(await suggestionFor(`${origin(a)}/outbox#event-${fixed!.id}`)).toMatchObject({ status: 'fixed', version: '1.36.1-r2', state: 'open' });
    await decide(a, 'CVE-2099-1001', { status: 'withdrawn' });
    expect(await suggestionFor(`${origin(a)}/outbox#event-${fixed!.id}`, 'withdrawn')).toMatchObject({ decidedBy: `peer:${origin(a)}` });
  });

  it('what A queued while it was stopped is sent once it runs again', async () => {
    await stop(a);
    const [event] = await decide(a, 'CVE-2099-1002', { status: 'not-affected', justification: 'component-not-present' });
    expect((await listOutbox(a.store.db, 10)).find((entry) => entry.triageEventId === event!.id)).toMatchObject({ state: 'pending', attempts: 0 });
    await start(a, backend);
    expect(await suggestionFor(`${origin(a)}/outbox#event-${event!.id}`)).toMatchObject({ vulnerabilityId: 'CVE-2099-1002' });
  });

  describe('B refuses', () => {
    let contextServer: Server;
    const contacted: string[] = [];
    beforeAll(async () => {
      contextServer = createServer((request, response) => {
        contacted.push(request.url ?? '');
        response.end('{"@context":{}}');
      });
      await new Promise<void>((resolve) => contextServer.listen(0, HOST, resolve));
    });
    afterAll(() => new Promise<void>((resolve) => contextServer.close(() => resolve())));

    const inbox = () => `${origin(b)}/inbox`;
    const signedBy = (key: SignatureKey, body: string): Record<string, string> => ({ ...signRequest({ method: 'POST', targetUri: inbox(), body }, key, origin(a), Math.floor(Date.now() / 1000), randomUUID()) });
    const send = async (body: string, headers: Record<string, string>, contentType = LD_JSON) => {
      const response = await fetch(inbox(), { method: 'POST', body, headers: { 'content-type': contentType, ...headers } });
      return response.status;
    };
    const activity = () =>
      JSON.stringify(
        announceActivity(
          `urn:uuid:${randomUUID()}`,
          { origin: origin(a), originInbox: `${origin(a)}/inbox`, target: origin(b), targetInbox: inbox() },
          { package: 'busybox', vulnerabilityId: 'CVE-2099-1003', status: 'not-affected', justification: 'component-not-present', version: null, note: null },
          `${origin(a)}/cve/CVE-2099-1003`,
          'alpine',
          new Date().toISOString(),
        ),
      );

    it('a forged (another key), unsigned, oversized, wrong-type or remote-context notification, contacting nobody', async () => {
      const own: SignatureKey = { alg: 'ed25519', key: a.keys.privateKey };
      const body = activity();
      expect(await send(body, signedBy({ alg: 'ed25519', key: generateKeyPairSync('ed25519').privateKey }, body))).toBe(401);
      expect(await send(body, {})).toBe(401);
      const big = JSON.stringify({ '@context': AS2_CONTEXT, id: 'urn:big', content: 'x'.repeat(70 * 1024) });
      expect(await send(big, signedBy(own, big))).toBe(413);
      expect(await send(body, signedBy(own, body), 'application/json')).toBe(415);
      const contextUrl = `http://${HOST}:${(contextServer.address() as AddressInfo).port}/context.jsonld`;
      const remote = JSON.stringify({ ...(JSON.parse(body) as Record<string, unknown>), '@context': [AS2_CONTEXT, contextUrl] });
      expect(await send(remote, signedBy(own, remote))).toBe(400);
      expect(contacted).toEqual([]);
      // The same activity, properly signed, is taken: the refusals were for what they said.
      expect(await send(body, signedBy(own, body))).toBe(201);
    });
  });
});
