import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSecret, secretHash } from '../../base/secret.js';
import { type SignatureKey, signRequest } from '../../formats/http-signature.js';
import { type ExchangeParties, LDP_INBOX, announceActivity, undoActivity } from '../../formats/ldn.js';
import { createSession, listOutbox, listTriageEvents } from '../../store/index.js';
import { backends } from '../../test-support/databases.js';
import { repoPath } from '../../test-support/paths.js';
import { addPeer } from '../../tracker/exchange.js';
import { createToken } from '../../tracker/tokens.js';
import { TEST_BASE_URL, useWebFixture } from '../test-support/web-fixture.js';

const PEER = 'https://b.example';
const SECRET = randomBytes(32);
const KEY: SignatureKey = { alg: 'hmac-sha256', secret: SECRET };
const INBOX = `${TEST_BASE_URL}/inbox`;
const LD_JSON = 'application/ld+json';
const ROLES = { securityTeam: { emails: ['sec@example.org'], groups: [] }, admins: { emails: [], groups: [] } };
/** The body the LDN test suite posts by default (csarven/ldn-tests, formats.md §4.2). */
const LDN_TESTS_BODY = '{ "@id": "http://example.net/note#foo", "http://schema.org/citation": { "@id": "http://example.org/article#results" } }';
const parties: ExchangeParties = { origin: PEER, originInbox: `${PEER}/inbox`, target: TEST_BASE_URL, targetInbox: INBOX };

interface PostOptions {
  readonly contentType?: string;
  readonly key?: SignatureKey;
  readonly keyId?: string;
  readonly created?: number;
  readonly headers?: Record<string, string>;
  readonly unsigned?: boolean;
}

const now = () => Math.floor(Date.now() / 1000);

/*
 * The inbox through the real server (inject) on both databases: what the W3C LDN receiver tests
 * check, the refusals (unsigned, forged, replayed, too old, oversized, wrong type, remote context,
 * bad shape), and suggestions from notifications, accepted and dismissed through the API and forms.
 */
describe.each(backends)('%s inbox', (backend) => {
  const web = useWebFixture(
    backend,
    { contents: 'demo', seed: async (store) => void (await addPeer(store, { origin: PEER, inboxUrl: `${PEER}/inbox`, keyType: 'hmac-sha256', key: SECRET.toString('base64') })) },
    { auth: { roles: ROLES }, exchange: { dialect: backend, bodyLimit: 4096 } },
  );

  function signedHeaders(body: string, options: PostOptions = {}): Record<string, string> {
    if (options.unsigned === true) return {};
    return { ...signRequest({ method: 'POST', targetUri: INBOX, body }, options.key ?? KEY, options.keyId ?? PEER, options.created ?? now(), randomUUID()) };
  }

  const post = (body: string, options: PostOptions = {}, headers = signedHeaders(body, options)) =>
    web().app.inject({ method: 'POST', url: '/inbox', payload: body, headers: { 'content-type': options.contentType ?? LD_JSON, ...headers, ...options.headers } });

  describe('the LDN receiver tests', () => {
    it('an empty inbox is still JSON-LD listing ldp:contains', async () => {
      const response = await web().get('/inbox', { accept: LD_JSON });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/ld\+json/);
      expect(response.json()).toMatchObject({ '@context': 'http://www.w3.org/ns/ldp', '@id': INBOX, contains: [] });
    });

    it('OPTIONS lists POST and Accept-Post with JSON-LD', async () => {
      const response = await web().app.inject({ method: 'OPTIONS', url: '/inbox' });
      expect(response.headers['allow']).toContain('POST');
      expect(String(response.headers['accept-post'])).toContain(LD_JSON);
    });

    it('accepts a POST with a profile and charset (and a Slug): 201 with Location; the listing and the notification are JSON-LD', async () => {
      const response = await post(LDN_TESTS_BODY, { contentType: `${LD_JSON}; profile="http://example.org/profile"; charset=utf-8`, headers: { slug: 'foo' } });
      expect(response.statusCode).toBe(201);
      const location = String(response.headers['location']);
      expect(location.startsWith(`${INBOX}/`)).toBe(true);

      const listing = await web().get('/inbox', { accept: LD_JSON });
      const body = listing.json<{ '@type': string[]; contains: string[] }>();
      expect(body.contains).toContain(location);
      expect(body['@type']).toContain('ldp:BasicContainer');

      const path = new URL(location).pathname;
      for (const accept of [LD_JSON, '*/*', undefined]) {
        const notification = await web().get(path, accept === undefined ? {} : { accept });
        expect(notification.statusCode).toBe(200);
        expect(notification.headers['content-type']).toMatch(/^application\/ld\+json/);
        // Every triple that was sent comes back: the body as posted.
        expect(notification.json()).toEqual(JSON.parse(LDN_TESTS_BODY));
      }
    });

    it('refuses a notification that fails its constraints with 400', async () => {
      expect((await post('{"@id": "x"')).statusCode).toBe(400);
    });

    it('takes the test suite\'s expanded notifications', async () => {
      for (const name of ['assessing', 'comment', 'rsvp']) {
        expect((await post(readFileSync(repoPath('fixtures', 'ldn-tests', 'inbox-expanded', name), 'utf8'))).statusCode).toBe(201);
      }
    });
  });

  it('every page and API answer links to the inbox', async () => {
    for (const url of ['/', '/api/branch/3.16', '/package/busybox', '/suggestions']) {
      const link = String((await web().get(url)).headers['link']);
      expect(link, url).toContain(`<${INBOX}>; rel="${LDP_INBOX}"`);
    }
  });

  describe('refusals', () => {
    const body = LDN_TESTS_BODY;
    it('unsigned, unknown keyid, forged, too old or replayed: 401', async () => {
      expect((await post(body, { unsigned: true })).statusCode).toBe(401);
      expect((await post(body, { keyId: 'https://stranger.example' })).statusCode).toBe(401);
      expect((await post(body, { key: { alg: 'hmac-sha256', secret: randomBytes(32) } })).statusCode).toBe(401);
      expect((await post(body, { created: now() - 3600 })).statusCode).toBe(401);
      const headers = signedHeaders(body);
      expect((await post(body, {}, headers)).statusCode).toBe(201);
      const replay = await post(body, {}, headers);
      expect(replay.statusCode).toBe(401);
      expect(replay.json<{ error: { message: string } }>().error.message).toContain('replayed');
    });

    it('a body signed for another one (digest mismatch): 401', async () => {
      expect((await post('{"@id":"urn:other"}', {}, signedHeaders(body))).statusCode).toBe(401);
    });

    it('oversized: 413; not JSON-LD: 415', async () => {
      const big = JSON.stringify({ '@id': 'urn:big', note: 'x'.repeat(5000) });
      expect((await post(big)).statusCode).toBe(413);
      expect((await post(body, { contentType: 'application/json' })).statusCode).toBe(415);
      expect((await post(body, { contentType: 'text/turtle' })).statusCode).toBe(415);
    });

    describe('a remote context', () => {
      let contextServer: Server;
      let contextUrl = '';
      const requests: string[] = [];
      beforeAll(async () => {
        contextServer = createServer((request, response) => {
          requests.push(request.url ?? '');
          response.setHeader('content-type', LD_JSON);
          response.end('{"@context":{}}');
        });
        await new Promise<void>((resolve) => contextServer.listen(0, '127.0.0.1', resolve));
        contextUrl = `http://127.0.0.1:${(contextServer.address() as AddressInfo).port}/context.jsonld`;
      });
      afterAll(() => new Promise<void>((resolve) => contextServer.close(() => resolve())));

      it('is refused with 400 naming it, and never fetched', async () => {
        const remote = JSON.stringify({ '@context': contextUrl, '@id': 'urn:x', name: 'x' });
        const response = await post(remote);
        expect(response.statusCode).toBe(400);
        expect(response.json<{ error: { message: string } }>().error.message).toContain(contextUrl);
        const nested = JSON.stringify({ ...announceActivity('urn:nested', parties, notAffected, 'x', 'alpine', new Date().toISOString()), object: { '@context': [contextUrl] } });
        expect((await post(nested)).statusCode).toBe(400);
        expect(requests).toEqual([]);
      });
    });

    it('a known activity of the wrong shape: 400 naming the field', async () => {
      const response = await post(JSON.stringify({ '@context': 'https://www.w3.org/ns/activitystreams', id: 'urn:y', type: 'Announce', actor: PEER, context: 'x' }));
      expect(response.statusCode).toBe(400);
      expect(response.json<{ error: { message: string } }>().error.message).toContain('$.object');
    });
  });

  const notAffected = { package: 'busybox', vulnerabilityId: 'CVE-2099-0001', status: 'not-affected' as const, justification: 'component-not-present' as const, version: null, note: 'not built with it' };

  describe('suggestions', () => {
    interface Listed {
      id: number;
      activityId: string;
      state: string;
      package: string;
      status: string;
      decidedBy: string | null;
      triageEventId: number | null;
    }
    const suggestions = async () => (await web().getJson<{ suggestions: Listed[] }>('/suggestions')).suggestions;
    const announce = async (activityId: string, vulnerabilityId: string) => {
      const activity = announceActivity(activityId, parties, { ...notAffected, vulnerabilityId }, `${PEER}/cve/${vulnerabilityId}`, 'alpine', new Date().toISOString());
      expect((await post(JSON.stringify(activity))).statusCode).toBe(201);
      return (await suggestions()).find((suggestion) => suggestion.activityId === activityId)!;
    };

    it('an Announce becomes an open suggestion; accepting records a triage event by the peer', async () => {
      const suggestion = await announce(`${PEER}/outbox#event-1`, 'CVE-2099-0001');
      expect(suggestion).toMatchObject({ state: 'open', package: 'busybox', status: 'not-affected' });
      expect(await listTriageEvents(web().store.db, { vulnerabilityId: 'CVE-2099-0001' })).toEqual([]);

      expect((await web().app.inject({ method: 'POST', url: `/suggestions/${suggestion.id}/accept`, headers: { accept: 'application/json' } })).statusCode).toBe(401);
      const { token } = await createToken(web().store, { name: `sec-${backend}`, role: 'security-team', email: null }, 'test');
      const { token: other } = await createToken(web().store, { name: `maint-${backend}`, role: 'maintainer', email: 'nobody@example.org' }, 'test');
      expect((await web().app.inject({ method: 'POST', url: `/suggestions/${suggestion.id}/accept`, headers: { accept: 'application/json', authorization: `Bearer ${other}` } })).statusCode).toBe(403);
      const accepted = await web().app.inject({ method: 'POST', url: `/suggestions/${suggestion.id}/accept`, headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
      expect(accepted.statusCode).toBe(200);
      const [event] = await listTriageEvents(web().store.db, { vulnerabilityId: 'CVE-2099-0001' });
      expect(event).toMatchObject({ package: 'busybox', status: 'not-affected', justification: 'component-not-present', note: 'not built with it', author: `peer:${PEER}` });
      expect(accepted.json<{ suggestion: Listed }>().suggestion).toMatchObject({ state: 'accepted', decidedBy: `token:sec-${backend}`, triageEventId: event!.id });
      expect((await web().app.inject({ method: 'POST', url: `/suggestions/${suggestion.id}/accept`, headers: { accept: 'application/json', authorization: `Bearer ${token}` } })).statusCode).toBe(409);
    });

    it('the same activity sent twice makes one suggestion; an activity whose actor is not the signer is refused', async () => {
      const activity = announceActivity(`${PEER}/outbox#event-9`, parties, { ...notAffected, vulnerabilityId: 'CVE-2099-0009' }, 'x', 'alpine', new Date().toISOString());
      expect((await post(JSON.stringify(activity))).statusCode).toBe(201);
      expect((await post(JSON.stringify(activity))).statusCode).toBe(201);
      expect((await suggestions()).filter((suggestion) => suggestion.activityId === activity['id'])).toHaveLength(1);
      const impostor = { ...activity, id: 'urn:impostor', actor: { id: 'https://c.example', type: 'Service' } };
      const response = await post(JSON.stringify(impostor));
      expect(response.statusCode).toBe(400);
      expect(response.json<{ error: { message: string } }>().error.message).toContain('$.actor');
    });

    it('an Undo withdraws the open suggestion of the activity it names', async () => {
      const suggestion = await announce(`${PEER}/outbox#event-2`, 'CVE-2099-0002');
      const undo = undoActivity(`${PEER}/outbox#event-3`, parties, `${PEER}/outbox#event-2`, new Date().toISOString());
      expect((await post(JSON.stringify(undo))).statusCode).toBe(201);
      expect((await suggestions()).find((listed) => listed.id === suggestion.id)).toMatchObject({ state: 'withdrawn' });
    });

    it('the page offers the forms to a signed-in security-team member; a form post without the CSRF token is refused', async () => {
      const suggestion = await announce(`${PEER}/outbox#event-4`, 'CVE-2099-0004');
      const id = newSecret();
      await createSession(web().store.db, { idHash: secretHash(id), email: 'sec@example.org', groups: [], createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2999-01-01T00:00:00.000Z' });
      const cookie = `secfix_session=${id}`;
      const page = await web().get('/suggestions', { cookie });
      expect(page.body).toContain(`action="/suggestions/${suggestion.id}/dismiss"`);
      const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(page.body)![1]!;
      const form = (payload: string) =>
        web().app.inject({ method: 'POST', url: `/suggestions/${suggestion.id}/dismiss`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload });
      expect((await form('')).statusCode).toBe(403);
      const dismissed = await form(`csrf=${csrf}`);
      expect(dismissed.statusCode).toBe(303);
      expect(dismissed.headers['location']).toBe(`/suggestions#suggestion-${suggestion.id}`);
      expect((await suggestions()).find((listed) => listed.id === suggestion.id)).toMatchObject({ state: 'dismissed', decidedBy: 'sec@example.org' });
      expect(await listTriageEvents(web().store.db, { vulnerabilityId: 'CVE-2099-0004' })).toEqual([]);
      expect((await listOutbox(web().store.db, 10)).find((entry) => entry.inReplyTo === suggestion.activityId)).toMatchObject({ peerOrigin: PEER, reply: 'Reject', state: 'pending' });
      expect((await web().get('/suggestions')).body).not.toContain('name="csrf"');
    });
  });
});

describe.each(backends)('%s inbox rate limit', (backend) => {
  const web = useWebFixture(
    backend,
    { contents: 'schema', seed: async (store) => void (await addPeer(store, { origin: PEER, inboxUrl: `${PEER}/inbox`, keyType: 'hmac-sha256', key: SECRET.toString('base64') })) },
    { exchange: { dialect: backend, perPeerPerMinute: 2 } },
  );

  it('answers 429 past the peer\'s notifications a minute', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      const body = JSON.stringify({ '@id': `urn:n${index}` });
      const headers = signRequest({ method: 'POST', targetUri: INBOX, body }, KEY, PEER, now(), randomUUID());
      statuses.push((await web().app.inject({ method: 'POST', url: '/inbox', payload: body, headers: { 'content-type': LD_JSON, ...headers } })).statusCode);
    }
    expect(statuses).toEqual([201, 201, 429]);
  });
});
