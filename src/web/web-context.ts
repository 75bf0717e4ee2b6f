import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { MappingRules } from '../engine/index.js';
import type { DataVersion, Schema } from '../store/index.js';
import type { ResponseCache } from './response-cache.js';

/** Requests per client address and minute before the server answers 429. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1_200;

/** Who the tracker is, for page titles and links. */
export interface SiteOptions {
  /** Shown in titles and headings, e.g. `Alpine Linux`. */
  readonly distribution: string;
  /**
   * The public origin (`https://security.example.org`), used for absolute links: JSON-LD `@id`s
   * and feed entries. Without it, each request's own Host header is used.
   */
  readonly baseUrl?: string;
}

/** What every route handler gets: the database, the site, the response cache and the CPE mapping rules. */
export interface WebContext {
  readonly db: Kysely<Schema>;
  readonly site: SiteOptions;
  readonly cache: ResponseCache | undefined;
  /** The rules `/quality` checks with (those of `--config`, else the bundled Alpine rules), read once when first asked for. */
  readonly mappingRules: () => Promise<MappingRules>;
}

/** The absolute origin for links in a response: the configured base URL, else the request's. */
export function requestBase(site: SiteOptions, request: FastifyRequest): string {
  if (site.baseUrl !== undefined) return site.baseUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}

/** Everything a view needs to turn data into a response. */
export interface RenderContext {
  readonly site: SiteOptions;
  /** Absolute origin, no trailing slash. */
  readonly base: string;
  /** The request path and query as received. */
  readonly url: string;
  readonly dataVersion: DataVersion;
}
