import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { MappingRules } from '../engine/index.js';
import { loadMappingRules } from '../sources/config.js';
import { type Schema, getDataVersion } from '../store/index.js';
import { HttpError } from './errors.js';
import { registerMetrics } from './metrics.js';
import { MEDIA_TYPES } from './negotiate.js';
import { jsonText, requestFormat } from './resource.js';
import { ResponseCache } from './response-cache.js';
import { registerRoutes } from './routes/index.js';
import { errorPage } from './views/error.js';
import { DEFAULT_RATE_LIMIT_PER_MINUTE, type SiteOptions, type WebContext, requestBase } from './web-context.js';

export interface ServerOptions {
  /** The database to read; tests pass one wrapped in a query counter. */
  readonly db: Kysely<Schema>;
  readonly site: SiteOptions;
  /** Fastify's logger: JSON lines (pino) when true or given options. Off by default. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Requests per client address and minute before 429; `false` turns the limit off. */
  readonly rateLimitPerMinute?: number | false;
  /** CPE mapping rules for the data-quality page; the bundled Alpine rules when not given. */
  readonly mappingRules?: MappingRules;
  /** Rendered responses kept in memory; `false` renders every request. */
  readonly cache?: { readonly maxEntries: number; readonly maxBytes: number } | false;
}

const DEFAULT_CACHE = { maxEntries: 2_000, maxBytes: 128 * 1024 * 1024 };

/** Builds the tracker's HTTP server over a database; call `listen` (or `inject` in tests) on it. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false, trustProxy: options.site.baseUrl !== undefined, routerOptions: { ignoreTrailingSlash: true } });
  const cacheOptions = options.cache ?? DEFAULT_CACHE;
  let rules: Promise<MappingRules> | undefined;
  const web: WebContext = {
    db: options.db,
    site: options.site,
    cache: cacheOptions === false ? undefined : new ResponseCache(cacheOptions.maxEntries, cacheOptions.maxBytes),
    mappingRules: () => (rules ??= options.mappingRules === undefined ? loadMappingRules() : Promise.resolve(options.mappingRules)),
  };

  await app.register(helmet, {
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
  const perMinute = options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
  if (perMinute !== false) await app.register(rateLimit, { max: perMinute, timeWindow: 60_000 });
  const metrics = registerMetrics(app);

  app.setErrorHandler(async (error, request, reply) => {
    const status = error instanceof HttpError ? error.status : typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const message = status >= 500 ? 'internal error' : (error as Error).message;
    return sendError(web, request, reply, status, message);
  });
  app.setNotFoundHandler(async (request, reply) => sendError(web, request, reply, 404, `no page at ${request.url.split('?')[0]}`));

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

  registerRoutes(app, web);
  return app;
}

/** An error in the format the request asked for: a page for browsers, `{error}` for JSON clients. */
async function sendError(web: WebContext, request: FastifyRequest, reply: FastifyReply, status: number, message: string): Promise<FastifyReply> {
  const format = request.secfixFormat ?? requestFormat(request);
  reply.code(status).header('cache-control', 'no-store').type(MEDIA_TYPES[format]);
  if (format !== 'html') return reply.send(jsonText({ error: { status, message } }));
  // The error may be that the database is unreachable; the page then goes without the data version.
  const dataVersion = await getDataVersion(web.db).catch(() => undefined);
  return reply.send(errorPage({ site: web.site, base: requestBase(web.site, request), url: request.url, dataVersion }, status, message).toString());
}
