import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { newSecret, secretHash } from '../base/secret.js';
import { createSession, findLiveSession } from '../store/index.js';
import { backends } from '../test-support/databases.js';
import { createToken, revokeToken } from '../tracker/tokens.js';
import type { FastifyRequest } from 'fastify';
import { ANONYMOUS } from '../engine/index.js';
import { actorName, requireMayActOn, safeReturnPath } from './auth.js';

type Identity = NonNullable<FastifyRequest['secfixIdentity']>;
import { useWebFixture } from './test-support/web-fixture.js';

const ROLES = {
  securityTeam: { emails: ['sec@example.org'], groups: ['alpine/security'] },
  admins: { emails: [], groups: ['alpine/infra'] },
};
const FUTURE = '2999-01-01T00:00:00.000Z';

/*
 * Authentication and CSRF through the real server (inject), on both databases: tokens, sessions
 * (written to the store as a sign-in would), what /api/me says, and what is refused. The sign-in
 * itself, against a real provider in a browser, is in oidc.test.ts.
 */
describe.each(backends)('%s authentication', (backend) => {
  // The issuer is never asked in these tests: every /login here is refused before discovery.
  const web = useWebFixture(backend, { contents: 'schema' }, { auth: { roles: ROLES, oidc: { issuer: 'http://127.0.0.1:9', clientId: 'secfix' } } });

  async function session(email: string, groups: readonly string[] = [], expiresAt = FUTURE): Promise<{ cookie: string; csrf: string }> {
    const id = newSecret();
    await createSession(web().store.db, { idHash: secretHash(id), email, groups, createdAt: '2026-01-01T00:00:00.000Z', expiresAt });
    const me = await web().get('/api/me', { cookie: `secfix_session=${id}` });
    return { cookie: `secfix_session=${id}`, csrf: String(me.json<{ csrfToken?: string }>().csrfToken) };
  }

  it('answers /api/me for nobody, a session (role from the auth config) and a token', async () => {
    expect((await web().get('/api/me')).json()).toEqual({ role: 'anonymous', email: null, via: null, signInAvailable: true });
    const jane = await session('jane@example.org');
    const me = await web().get('/api/me', { cookie: jane.cookie });
    expect(me.headers['cache-control']).toBe('no-store');
    expect(me.json()).toMatchObject({ role: 'maintainer', email: 'jane@example.org', via: 'session', groups: [], logout: '/logout' });
    expect(jane.csrf).toMatch(/^[0-9a-f]{64}$/);
    expect((await web().get('/api/me', { cookie: (await session('x@example.org', ['alpine/security'])).cookie })).json()).toMatchObject({ role: 'security-team' });
    expect((await web().get('/api/me', { cookie: (await session('sec@example.org')).cookie })).json()).toMatchObject({ role: 'security-team' });
    expect((await web().get('/api/me', { cookie: (await session('y@example.org', ['alpine/infra'])).cookie })).json()).toMatchObject({ role: 'admin' });

    const { token } = await createToken(web().store, { name: `bot-${backend}`, role: 'maintainer', email: 'jane@example.org' }, 'test');
    expect((await web().get('/api/me', { authorization: `Bearer ${token}` })).json()).toEqual({
      role: 'maintainer',
      email: 'jane@example.org',
      via: 'token',
      token: `bot-${backend}`,
      signInAvailable: true,
    });
  });

  it('answers 401 to an unknown or revoked token, on pages and the API alike', async () => {
    const { token } = await createToken(web().store, { name: `ci-${backend}`, role: 'security-team', email: null }, 'test');
    expect((await web().get('/api/me', { authorization: `Bearer ${token}` })).statusCode).toBe(200);
    await revokeToken(web().store, `ci-${backend}`, 'test');
    const refused = await web().get('/api/me', { authorization: `Bearer ${token}` });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({ error: { status: 401, message: 'the API token is unknown or revoked' } });
    expect((await web().get('/', { authorization: 'Bearer secfix_made-up' })).statusCode).toBe(401);
  });

  it('treats an expired session as nobody, and refuses its state-changing requests', async () => {
    const old = await session('jane@example.org', [], '2000-01-01T00:00:00.000Z');
    expect((await web().get('/api/me', { cookie: old.cookie })).json()).toMatchObject({ role: 'anonymous' });
    const logout = await web().app.inject({ method: 'POST', url: '/logout', headers: { cookie: old.cookie, 'x-csrf-token': old.csrf } });
    expect(logout.statusCode).toBe(403);
  });

  it('refuses a state-changing request with a session cookie and a missing or wrong CSRF token (403), takes a valid one, and needs none with a token', async () => {
    const jane = await session('jane@example.org');
    const post = (headers: Record<string, string>, payload?: string) =>
      web().app.inject({ method: 'POST', url: '/logout', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, ...(payload === undefined ? {} : { payload }) });
    expect((await post({ cookie: jane.cookie })).statusCode).toBe(403);
    expect((await post({ cookie: jane.cookie }, 'csrf=0000')).statusCode).toBe(403);
    expect((await post({ cookie: jane.cookie, 'x-csrf-token': jane.csrf.replace(/.$/, (c) => (c === '0' ? '1' : '0')) })).statusCode).toBe(403);
    // Another session's token is no good either.
    const other = await session('max@example.org');
    expect((await post({ cookie: jane.cookie }, `csrf=${other.csrf}`)).statusCode).toBe(403);
    // Other POST routes are covered too.
    const data = await web().app.inject({ method: 'POST', url: '/api/branch/3.16/security-data', headers: { cookie: jane.cookie, 'content-type': 'application/json' }, payload: '{"packages":[]}' });
    expect(data.statusCode).toBe(403);
    const { token } = await createToken(web().store, { name: `csrf-${backend}`, role: 'admin', email: null }, 'test');
    const withToken = await web().app.inject({ method: 'POST', url: '/api/branch/3.16/security-data', headers: { cookie: jane.cookie, authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: '{"packages":[]}' });
    expect(withToken.statusCode).not.toBe(403);

    const out = await post({ cookie: jane.cookie }, `csrf=${jane.csrf}`);
    expect(out.statusCode).toBe(303);
    expect(out.headers['set-cookie']).toMatch(/^secfix_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax$/);
    expect(await findLiveSession(web().store.db, secretHash(jane.cookie.split('=')[1]!), '2026-06-01T00:00:00.000Z')).toBeUndefined();
    expect((await web().get('/api/me', { cookie: jane.cookie })).json()).toMatchObject({ role: 'anonymous' });
  });

  it('refuses a return path that leads off the site (400) instead of redirecting there', async () => {
    for (const target of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'evil', '/\r\nSet-Cookie:x', '/\t/evil.example']) {
      const response = await web().get(`/login?return=${encodeURIComponent(target)}`);
      expect(response.statusCode, target).toBe(400);
      expect(response.headers.location, target).toBeUndefined();
    }
  });

  it('links sign-in from the pages, and shows a signed-in browser who it is with a logout form, never from a shared cache', async () => {
    const home = await web().get('/');
    expect(home.body).toContain('<a href="/login?return=%2F">Sign in</a>');
    expect(home.headers.vary).toBe('Accept, Accept-Encoding, Cookie');
    const jane = await session('jane@example.org');
    for (const url of ['/', '/changes', '/no-such-page']) {
      const page = await web().get(url, { cookie: jane.cookie, 'accept-encoding': 'gzip' });
      // Compressed per request, since the cache holds only the page everyone gets.
      const text = page.headers['content-encoding'] === 'gzip' ? gunzipSync(page.rawPayload).toString() : page.body;
      expect(text, url).not.toContain('Sign in');
      expect(text, url).toContain('Signed in as jane@example.org</a> (maintainer)');
      expect(text, url).toContain(`<input type="hidden" name="csrf" value="${jane.csrf}">`);
      expect(page.headers['cache-control'], url).toMatch(/no-store/);
      expect(page.headers.etag, url).toBeUndefined();
    }
    // The anonymous page is unchanged after a signed-in request.
    expect((await web().get('/changes')).body).toContain('<a href="/login?return=%2Fchanges">Sign in</a>');
  });
});

describe('requireMayActOn', () => {
  const asking = (identity: Identity) => ({ secfixIdentity: identity }) as FastifyRequest;
  const maintainers = ['Jane Doe <jane@example.org>'];

  it('is 401 for nobody, 403 for another maintainer, and the principal for the package\'s maintainer or the security team', () => {
    expect(() => requireMayActOn(asking({ kind: 'anonymous', principal: ANONYMOUS }), maintainers, 'curl')).toThrow(expect.objectContaining({ status: 401 }) as Error);
    const max = { kind: 'token', principal: { role: 'maintainer', email: 'max@example.org' }, tokenName: 'max' } as const;
    expect(() => requireMayActOn(asking(max), maintainers, 'curl')).toThrow(expect.objectContaining({ status: 403, message: 'max@example.org may not act on curl' }) as Error);
    const jane = { kind: 'token', principal: { role: 'maintainer', email: 'jane@example.org' }, tokenName: 'jane' } as const;
    expect(requireMayActOn(asking(jane), maintainers, 'curl')).toEqual(jane.principal);
    const team = { kind: 'token', principal: { role: 'security-team', email: null }, tokenName: 'ci' } as const;
    expect(requireMayActOn(asking(team), [null], 'stray')).toEqual(team.principal);
    expect(actorName(team)).toBe('token:ci');
    expect(actorName(jane)).toBe('jane@example.org');
  });
});

describe('safeReturnPath', () => {
  it('keeps same-origin paths with their query, and refuses everything else', () => {
    expect(safeReturnPath(undefined)).toBe('/');
    expect(safeReturnPath('/cve/CVE-2024-1?x=1')).toBe('/cve/CVE-2024-1?x=1');
    expect(safeReturnPath('/a/../b')).toBe('/b');
    for (const bad of ['//evil.example', '/\\evil.example', 'http://evil.example', 'javascript:alert(1)', '', ['/'], '/ a']) expect(safeReturnPath(bad), String(bad)).toBeUndefined();
  });
});
