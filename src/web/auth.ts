import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import { newSecret, sameSecret, secretHash } from '../base/secret.js';
import { ANONYMOUS, type Principal, mayActOn, signedInRole } from '../engine/index.js';
import type { AuthConfig } from '../formats/config.js';
import { createSession, findLiveApiToken, findLiveSession, revokeSession, saveLoginAttempt, takeLoginAttempt } from '../store/index.js';
import { HttpError, badRequest } from './errors.js';
import { CALLBACK_PATH, LOGIN_PATH, LOGOUT_PATH, ME_PATH } from './urls.js';
import { signInLink, signedInBar } from './views/layout.js';
import type { WebContext } from './web-context.js';

/** An OpenID Connect provider to sign in with (GitLab is the reference). */
export interface OidcOptions {
  /** The issuer URL; its `/.well-known/openid-configuration` is read at the first sign-in. */
  readonly issuer: string;
  readonly clientId: string;
  /** The client secret; undefined for a public client (PKCE alone). */
  readonly clientSecret?: string;
}

export interface AuthOptions {
  /** Sign-in through a provider; without it only API tokens authenticate. */
  readonly oidc?: OidcOptions;
  /** Who is security team or admin once signed in. */
  readonly roles: AuthConfig;
}

/** Who is asking: nobody, a signed-in browser (with the CSRF token its forms carry), or an API token. */
type Identity =
  | { readonly kind: 'anonymous'; readonly principal: Principal }
  | { readonly kind: 'session'; readonly principal: Principal & { readonly email: string }; readonly groups: readonly string[]; readonly csrfToken: string; readonly sessionHash: string }
  | { readonly kind: 'token'; readonly principal: Principal; readonly tokenName: string };

declare module 'fastify' {
  interface FastifyRequest {
    secfixIdentity?: Identity;
    /** Whether the request carried a session cookie, valid or not. */
    secfixSessionCookie?: boolean;
  }
}

const SESSION_COOKIE = 'secfix_session';
const LOGIN_COOKIE = 'secfix_login';
export const CSRF_FIELD = 'csrf';
const CSRF_HEADER = 'x-csrf-token';
const SESSION_HOURS = 12;
const LOGIN_MINUTES = 10;
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const ANONYMOUS_IDENTITY: Identity = { kind: 'anonymous', principal: ANONYMOUS };

/** The identity the request was authenticated as (anonymous when none). */
export function requestIdentity(request: FastifyRequest): Identity {
  return request.secfixIdentity ?? ANONYMOUS_IDENTITY;
}

/** The principal of a request that must be authenticated: 401 when anonymous. */
export function requireSignedIn(request: FastifyRequest): Principal {
  const { principal } = requestIdentity(request);
  if (principal.role === 'anonymous') throw new HttpError(401, 'sign in, or send Authorization: Bearer TOKEN');
  return principal;
}

/** 401 when anonymous, 403 when the principal may not act on a package these maintainers maintain. */
export function requireMayActOn(request: FastifyRequest, packageMaintainers: readonly (string | null)[], what: string): Principal {
  const principal = requireSignedIn(request);
  if (!mayActOn(principal, packageMaintainers)) throw new HttpError(403, `${principal.email ?? principal.role} may not act on ${what}`);
  return principal;
}

/**
 * A page as a browser should get it: for a signed-in session, the cached page's sign-in link
 * (made for `url`) becomes "signed in as" with the logout form; otherwise the page as it is.
 */
export function personalizePage(request: FastifyRequest, page: string, url: string): string {
  const identity = requestIdentity(request);
  if (identity.kind !== 'session') return page;
  const bar = signedInBar({ email: identity.principal.email, role: identity.principal.role, csrfToken: identity.csrfToken }).toString();
  return page.replace(signInLink(url).toString(), () => bar);
}

/** Whether the request's answer depends on who asks (a signed-in session): then no shared cache may keep it. */
export function isPersonal(request: FastifyRequest): boolean {
  return requestIdentity(request).kind === 'session';
}

/** The name a principal is recorded under (author of a triage event, actor in the audit log). */
export function actorName(identity: Identity): string {
  if (identity.kind === 'token') return identity.principal.email ?? `token:${identity.tokenName}`;
  return identity.principal.email ?? 'anonymous';
}

/** The CSRF token of a session: derived from its secret id, so it needs no storage and dies with it. */
const csrfTokenOf = (sessionId: string) => secretHash(`csrf\u0000${sessionId}`);

function readCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) cookies.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return cookies;
}

function cookie(web: WebContext, name: string, value: string, path: string, maxAgeSeconds: number): string {
  const secure = web.origin().startsWith('https:') ? '; Secure' : '';
  return `${name}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}

/**
 * A same-origin path to return to after signing in, or undefined when `value` could lead
 * elsewhere (`//host`, `/\host`, a scheme, control characters): those are refused, not redirected.
 */
export function safeReturnPath(value: unknown): string | undefined {
  if (value === undefined) return '/';
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\') || [...value].some((char) => char <= ' ' || char === '\u007f')) return undefined;
  const probe = 'http://origin.invalid';
  const url = new URL(value, probe);
  return url.origin === probe ? `${url.pathname}${url.search}` : undefined;
}

/** Finds who a request is: a Bearer token (401 when unknown or revoked), else a live session cookie, else anonymous. */
async function authenticate(web: WebContext, auth: AuthOptions, request: FastifyRequest): Promise<Identity> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined && /^bearer /i.test(authorization)) {
    const token = await findLiveApiToken(web.db, secretHash(authorization.slice('bearer '.length).trim()));
    if (token === undefined) throw new HttpError(401, 'the API token is unknown or revoked');
    return { kind: 'token', principal: { role: token.role, email: token.email }, tokenName: token.name };
  }
  const sessionId = readCookies(request.headers.cookie).get(SESSION_COOKIE);
  if (sessionId === undefined) return ANONYMOUS_IDENTITY;
  request.secfixSessionCookie = true;
  const sessionHash = secretHash(sessionId);
  const session = await findLiveSession(web.db, sessionHash, new Date().toISOString());
  if (session === undefined) return ANONYMOUS_IDENTITY;
  return {
    kind: 'session',
    principal: { role: signedInRole(session.email, session.groups, auth.roles), email: session.email },
    groups: session.groups,
    csrfToken: csrfTokenOf(sessionId),
    sessionHash,
  };
}

/**
 * A state-changing request with a session cookie must carry the session's CSRF token (form
 * field `csrf` or header `X-CSRF-Token`): 403 otherwise, also when the session is gone. Bearer
 * requests need none: a browser never adds that header on another site's behalf.
 */
function checkCsrf(request: FastifyRequest): void {
  if (!STATE_CHANGING.has(request.method) || request.secfixSessionCookie !== true) return;
  const identity = requestIdentity(request);
  if (identity.kind === 'token') return;
  const body = request.body as Record<string, unknown> | undefined;
  const sent = request.headers[CSRF_HEADER] ?? (typeof body === 'object' && body !== null ? body[CSRF_FIELD] : undefined);
  if (identity.kind !== 'session' || typeof sent !== 'string' || !sameSecret(sent, identity.csrfToken)) {
    throw new HttpError(403, 'a missing or invalid CSRF token: reload the page and send the form again');
  }
}

/** What `/api/me` answers: the identity and role, and for a session the CSRF token its requests need. */
function describeIdentity(identity: Identity, signInAvailable: boolean): Record<string, unknown> {
  const common = { role: identity.principal.role, email: identity.principal.email, signInAvailable };
  switch (identity.kind) {
    case 'anonymous':
      return { ...common, via: null };
    case 'session':
      return { ...common, via: 'session', groups: identity.groups, csrfToken: identity.csrfToken, logout: LOGOUT_PATH };
    case 'token':
      return { ...common, via: 'token', token: identity.tokenName };
  }
}

/** Authentication for every request, the CSRF check, `/api/me`, and with a provider the sign-in routes. */
export async function registerAuth(app: FastifyInstance, web: WebContext, auth: AuthOptions): Promise<void> {
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  app.addHook('onRequest', async (request) => {
    request.secfixIdentity = await authenticate(web, auth, request);
  });
  app.addHook('preHandler', (request, _reply, done) => {
    try {
      checkCsrf(request);
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  app.get(ME_PATH, async (request, reply) =>
    reply.header('cache-control', 'no-store').send(describeIdentity(requestIdentity(request), auth.oidc !== undefined)),
  );
  if (auth.oidc !== undefined) registerSignIn(app, web, auth.oidc);
}

/** A plain-http issuer is only for tests and development on this machine. */
function isLoopbackHttp(issuer: URL): boolean {
  return issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
}

/** The issuer URL `serve --oidc-issuer` may use; an error message otherwise. */
export function issuerProblem(issuer: string): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return `"${issuer}" is not a URL`;
  }
  return url.protocol === 'https:' || isLoopbackHttp(url) ? undefined : 'the issuer must be https (plain http only on loopback, for testing)';
}

function registerSignIn(app: FastifyInstance, web: WebContext, options: OidcOptions): void {
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    const issuer = new URL(options.issuer);
    discovered ??= oidc
      .discovery(issuer, options.clientId, options.clientSecret, options.clientSecret === undefined ? oidc.None() : undefined, isLoopbackHttp(issuer) ? { execute: [oidc.allowInsecureRequests] } : {})
      .catch((error: unknown) => {
        // The next sign-in tries again: the provider may only have been down.
        discovered = undefined;
        throw new HttpError(502, `the sign-in provider cannot be reached: ${(error as Error).message}`);
      });
    return discovered;
  };
  const redirectUri = () => `${web.origin()}${CALLBACK_PATH}`;

  app.get(LOGIN_PATH, async (request, reply) => {
    const returnTo = safeReturnPath((request.query as Record<string, unknown>)['return']);
    if (returnTo === undefined) throw badRequest('the return path must be a path on this site, such as /cve/CVE-2024-1234');
    const config = await configuration();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const now = Date.now();
    await saveLoginAttempt(web.db, secretHash(state), { codeVerifier, nonce, returnTo }, new Date(now).toISOString(), new Date(now + LOGIN_MINUTES * 60_000).toISOString());
    const target = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri(),
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    // The state also goes into a cookie, so a callback only completes in the browser that began it.
    return reply.header('cache-control', 'no-store').header('set-cookie', cookie(web, LOGIN_COOKIE, state, CALLBACK_PATH, LOGIN_MINUTES * 60)).redirect(target.href, 303);
  });

  app.get(CALLBACK_PATH, async (request, reply) => {
    const cookies = readCookies(request.headers.cookie);
    const state = cookies.get(LOGIN_COOKIE);
    const attempt = state === undefined ? undefined : await takeLoginAttempt(web.db, secretHash(state), new Date().toISOString());
    if (state === undefined || attempt === undefined) throw badRequest('this sign-in is unknown or expired; sign in again');
    const config = await configuration();
    let claims: oidc.IDToken | undefined;
    let userInfo: oidc.UserInfoResponse | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, new URL(request.url, web.origin()), {
        pkceCodeVerifier: attempt.codeVerifier,
        expectedState: state,
        expectedNonce: attempt.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
      // GitLab puts email, email_verified and groups_direct in the ID token; other providers may keep e-mail for userinfo.
      if (claims !== undefined && typeof claims['email'] !== 'string') userInfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    } catch (error) {
      throw new HttpError(403, `sign-in failed: ${(error as Error).message}`);
    }
    const source: Record<string, unknown> = { ...claims, ...userInfo };
    const email = source['email'];
    if (typeof email !== 'string' || source['email_verified'] !== true) throw new HttpError(403, 'the provider does not vouch for your e-mail address (email_verified); verify it there and sign in again');
    const groupsClaim = source['groups_direct'];
    const groups = Array.isArray(groupsClaim) ? groupsClaim.filter((group): group is string => typeof group === 'string') : [];

    // A new session id at every sign-in; the browser's earlier session, if any, ends.
    const previous = cookies.get(SESSION_COOKIE);
    const now = Date.now();
    if (previous !== undefined) await revokeSession(web.db, secretHash(previous), new Date(now).toISOString());
    const sessionId = newSecret();
    await createSession(web.db, {
      idHash: secretHash(sessionId),
      email: email.toLowerCase(),
      groups,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + SESSION_HOURS * 3_600_000).toISOString(),
    });
    return reply
      .header('cache-control', 'no-store')
      .header('set-cookie', [cookie(web, SESSION_COOKIE, sessionId, '/', SESSION_HOURS * 3600), cookie(web, LOGIN_COOKIE, '', CALLBACK_PATH, 0)])
      .redirect(attempt.returnTo, 303);
  });

  // The CSRF check has run (preHandler): only the session's own pages can end it.
  app.post(LOGOUT_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    const identity = requestIdentity(request);
    if (identity.kind === 'session') await revokeSession(web.db, identity.sessionHash, new Date().toISOString());
    return reply.header('cache-control', 'no-store').header('set-cookie', cookie(web, SESSION_COOKIE, '', '/', 0)).redirect('/', 303);
  });
}
