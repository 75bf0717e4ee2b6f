import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import helmet from 'helmet';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { MappingRules } from '../engine/index.js';
import { dayOf } from '../engine/end-of-support.js';
import { loadMappingRules } from '../sources/config.js';
import { type Schema, type StoreDialect, getDataVersion } from '../store/index.js';
import { type AuthOptions, personalizePage, registerAuth } from './auth.js';
import { HttpError } from './errors.js';
import { registerMetrics } from './metrics.js';
import { MEDIA_TYPES } from './negotiate.js';
import { rejectControlCharacters } from './query-params.js';
import { jsonText, requestFormat } from './resource.js';
import { ResponseCache } from './response-cache.js';
import { type ExchangeOptions, advertiseInbox, registerInboxRoutes } from './routes/inbox.js';
import { registerRoutes } from './routes/index.js';
import type { SecurityDataOptions } from './routes/security-data.js';
import { registerSuggestionRoutes } from './routes/suggestions.js';
import type { ExternalLink } from './urls.js';
import { errorPage } from './views/error.js';
import { DEFAULT_RATE_LIMIT_PER_MINUTE, type SiteOptions, type WebContext, listenOrigin, parseBaseUrl } from './web-context.js';

export interface ServerOptions {
  /** The database to read; tests pass one wrapped in a query counter. */
  readonly db: Kysely<Schema>;
  /** The dialect of `db`; triage writes take the writer lock the dialect's way. */
  readonly dialect: StoreDialect;
  readonly site: SiteOptions;
  /** The host the server will listen on, which names the origin when the site has no base URL (default localhost). */
  readonly host?: string;
  /** Fastify's logger: JSON lines (pino) when true or given options, one per request. Off by default. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Requests per client address and minute before 429; `false` turns the limit off. */
  readonly rateLimitPerMinute?: number | false;
  /**
   * Addresses or CIDR ranges of proxies whose `X-Forwarded-For` names the client (for the rate
   * limit and the logs). Empty or absent: the connection's own address, whatever a client sends.
   */
  readonly trustProxy?: readonly string[];
  /** CPE mapping rules for the data-quality page; the bundled Alpine rules when not given. */
  readonly mappingRules?: MappingRules;
  /** Rendered responses kept in memory; `false` renders every request. */
  readonly cache?: { readonly maxEntries: number; readonly maxBytes: number } | false;
  /** Sign-in and roles; without it, API tokens still authenticate and nobody is security team or admin. */
  readonly auth?: AuthOptions;
  /** Exchange with peer trackers (inbox, suggestions, outbox); without it the server has none. */
  readonly exchange?: ExchangeOptions;
  /**
   * How `POST /api/branch/:branch/security-data` builds a branch's answers: origins per slice, and
   * how often a listening server checks for new data to build every branch's answers ahead.
   */
  readonly securityData?: SecurityDataOptions;
  /** Today as `YYYY-MM-DD`, for end-of-support; the clock's UTC day when absent (tests pass a day from their data). */
  readonly today?: () => string;
}

const NOBODY = { emails: [], groups: [] };

const DEFAULT_CACHE = { maxEntries: 2_000, maxBytes: 128 * 1024 * 1024 };

/** The methods a path may be asked with; those its routes do not take answer 405. */
const HTTP_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;

/** Security headers of every answer, also those the router refuses before any hook runs. */
const securityHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  // Linked data is meant to be read by other origins' tools.
  crossOriginResourcePolicy: { policy: 'cross-origin' },
});

/** What the router says before a route is found, in words that do not repeat the path back. */
const ROUTER_ERRORS: Readonly<Record<string, { status: number; message: string }>> = {
  FST_ERR_BAD_URL: { status: 400, message: 'the path has a percent-encoding that is not valid UTF-8' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, message: 'a path segment is longer than 100 characters' },
};

/** The one log line of a request: who asked what, the answer's status and how long it took. */
function logRequest(request: FastifyRequest, reply: FastifyReply): void {
  request.log.info(
    { method: request.method, url: request.url, ip: request.ip, statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime * 10) / 10 },
    'request',
  );
}

/** Builds the tracker's HTTP server over a database; call `listen` (or `inject` in tests) on it. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const baseOrigin = options.site.baseUrl === undefined ? undefined : parseBaseUrl(options.site.baseUrl);
  const trusted = options.trustProxy ?? [];
  const app = Fastify({
    logger: options.logger ?? false,
    // Fastify's own two lines (received, completed) give way to logRequest's one.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: trusted.length === 0 ? false : [...trusted],
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: (error, request, reply) => {
      securityHeaders(request.raw, reply.raw, () => undefined);
      reply.raw.once('finish', () => logRequest(request, reply));
      const known = ROUTER_ERRORS[error.code];
      void sendError(context, request, reply, known?.status ?? 400, known?.message ?? 'the request could not be routed');
    },
  });
  const cacheOptions = options.cache ?? DEFAULT_CACHE;
  let rules: Promise<MappingRules> | undefined;
  const host = options.host ?? 'localhost';
  const context: WebContext = {
    db: options.db,
    dialect: options.dialect,
    site: options.auth?.oidc === undefined ? options.site : { ...options.site, signIn: true },
    origin: () => baseOrigin ?? listenOrigin(host, app.server.address()),
    cache: cacheOptions === false ? undefined : new ResponseCache(cacheOptions.maxEntries, cacheOptions.maxBytes),
    mappingRules: () => (rules ??= options.mappingRules === undefined ? loadMappingRules() : Promise.resolve(options.mappingRules)),
    today: options.today ?? (() => dayOf(new Date())),
  };

  app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined)));
  app.addHook('onResponse', (request, reply, done) => {
    logRequest(request, reply);
    done();
  });
  if (options.exchange !== undefined) app.addHook('onSend', advertiseInbox(context));
  const perMinute = options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
  if (perMinute !== false) await app.register(rateLimit, { max: perMinute, timeWindow: 60_000 });
  const metrics = registerMetrics(app);
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      rejectControlCharacters(request.params, request.query);
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  app.setErrorHandler(async (error, request, reply) => {
    const status = error instanceof HttpError ? error.status : typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const message = status >= 500 ? 'internal error' : (error as Error).message;
    return sendError(context, request, reply, status, message, error instanceof HttpError ? error.links : []);
  });
  app.setNotFoundHandler(async (request, reply) => sendError(context, request, reply, 404, `no page at ${request.url.split('?')[0]}`));

  // Every route's path and methods, to answer the other methods 405 with the allowed ones.
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = methodsByPath.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsByPath.set(route.url, methods);
  });

  app.get('/healthz', async (_request, reply) => {
    try {
      await sql`select 1`.execute(options.db);
      const { version } = await getDataVersion(options.db);
      return reply.header('cache-control', 'no-store').send({ status: 'ok', dataVersion: version });
    } catch (error) {
      return reply.code(503).header('cache-control', 'no-store').send({ status: 'unavailable', error: (error as Error).message });
    }
  });
  app.get('/metrics', async (_request, reply) =>
    reply.header('cache-control', 'no-store').type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  await registerAuth(app, context, options.auth ?? { roles: { securityTeam: NOBODY, admins: NOBODY } });
  registerRoutes(app, context, options.securityData);
  if (options.exchange !== undefined) {
    registerInboxRoutes(app, context, options.exchange);
    registerSuggestionRoutes(app, context, options.exchange);
  }
  // Registered last, so the routes of scopes registered before it are known.
  await app.register((scope, _options, done) => {
    for (const [path, methods] of [...methodsByPath]) {
      const allowed = [...methods].sort();
      const others = HTTP_METHODS.filter((method) => !methods.has(method));
      if (others.length === 0) continue;
      scope.route({
        method: others,
        url: path,
        handler: (request, reply) => sendError(context, request, reply.header('allow', allowed.join(', ')), 405, `${request.method} is not allowed here; allowed: ${allowed.join(', ')}`),
      });
    }
    done();
  });
  return app;
}

/**
 * An error in the format the request asked for: a page for browsers, `{error}` for JSON clients;
 * `links` (other sites to look at) go in both.
 */
async function sendError(
  web: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
  links: readonly ExternalLink[] = [],
): Promise<FastifyReply> {
  const format = request.secfixFormat ?? requestFormat(request);
  reply.code(status).header('cache-control', 'no-store').type(MEDIA_TYPES[format]);
  if (format !== 'html') return reply.send(jsonText({ error: { status, message, ...(links.length === 0 ? {} : { links }) } }));
  // The error may be that the database is unreachable; the page then goes without the data version.
  const dataVersion = await getDataVersion(web.db).catch(() => undefined);
  return reply.send(personalizePage(request, errorPage({ site: web.site, base: web.origin(), url: request.url, dataVersion }, status, message, links).toString(), request.url));
}
