import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import type { MappingRules, Principal } from '../engine/index.js';
import type { DataVersion, Schema, StoreDialect } from '../store/index.js';
import type { ResponseCache } from './response-cache.js';

/** Requests per client address and minute before the server answers 429. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1_200;

/** Who the tracker is, for page titles and links. */
export interface SiteOptions {
  /** Shown in titles and headings, e.g. `Alpine Linux`. */
  readonly distribution: string;
  /**
   * The public origin (`https://security.example.org`), used for absolute links: JSON-LD `@id`s
   * and vocabulary, feed ids and the OpenAPI server. Without it, the address the server listens
   * on. Never the request's Host header: a client could then choose the links others are served.
   */
  readonly baseUrl?: string;
  /** Whether people can sign in (`serve --oidc-issuer`): pages then link to it. */
  readonly signIn?: boolean;
  /** The purl namespace the exports name packages in (the configuration's `purlNamespace`); `alpine` when absent. */
  readonly purlNamespace?: string;
}

/** A base URL `secfix serve` cannot use, said in one line. */
export class BaseUrlError extends Error {
  override readonly name = 'BaseUrlError';
}

/**
 * The origin a `--base-url` names, without a trailing slash. Pages link from `/`, so a base URL
 * with a path (`https://host/sub/`) is refused rather than half honoured.
 */
export function parseBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BaseUrlError(`base URL "${text}" is not an absolute URL; give an origin such as https://security.example.org`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BaseUrlError(`base URL "${text}" must be http or https`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new BaseUrlError(`base URL "${text}" must be an origin such as https://security.example.org: serving under a path prefix is not supported`);
  }
  return url.origin;
}

/** `http://HOST:PORT` of a listening server: the host as given to listen (an IPv6 address bracketed), the port as bound. */
export function listenOrigin(host: string, address: AddressInfo | string | null): string {
  const name = host.includes(':') ? `[${host}]` : host;
  return typeof address === 'object' && address !== null ? `http://${name}:${address.port}` : `http://${name}`;
}

/** What every route handler gets: the database, the site and its origin, the response cache and the CPE mapping rules. */
export interface WebContext {
  readonly db: Kysely<Schema>;
  /** The database's dialect: with `db`, what writes (triage) need to take the writer lock. */
  readonly dialect: StoreDialect;
  readonly site: SiteOptions;
  /** The canonical origin for absolute links, no trailing slash: the base URL, else the listen address. */
  readonly origin: () => string;
  readonly cache: ResponseCache | undefined;
  /** The rules `/quality` checks with (those of `--config`, else the bundled Alpine rules), read once when first asked for. */
  readonly mappingRules: () => Promise<MappingRules>;
  /** Today (`YYYY-MM-DD`, UTC), which every route asks here once per request: the day end-of-support is judged on. */
  readonly today: () => string;
}

/** Everything a view needs to turn data into a response. */
export interface RenderContext {
  readonly site: SiteOptions;
  /** Absolute origin, no trailing slash. */
  readonly base: string;
  /** The request path and query as received. */
  readonly url: string;
  readonly dataVersion: DataVersion;
  /** The signed-in reader, for a page rendered for them alone (one with forms): see `Resource.personal`. */
  readonly viewer?: Viewer;
}

/** A signed-in reader: who, and the CSRF token the forms on their pages carry. */
export interface Viewer {
  readonly principal: Principal;
  readonly csrfToken: string;
}
