import { Readable, pipeline } from 'node:stream';
import { createBrotliCompress, createGzip, constants as zlib } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type DataVersion, getDataVersion } from '../store/index.js';
import { isPersonal, personalizePage } from './auth.js';
import { type CachedBody, chooseEncoding, encodedBody } from './response-cache.js';
import type { WebContext } from './web-context.js';

/** How long clients and proxies may reuse an answer without asking again. */
const MAX_AGE_SECONDS = 60;

/** A representation to send: its media type, a key part telling it apart from the URL's other forms, and how to render it. */
export interface Representation {
  /** The resource's path and the query parameters it reads (`/branch/3.16?page=2`), whatever else the request added. */
  readonly url: string;
  readonly contentType: string;
  /** Distinguishes representations of one URL in the cache and the ETag, e.g. `html`, `atom`. */
  readonly variant: string;
  /**
   * Renders the body. `also` offers other representations of the same resource made from the
   * same data, so one load serves every format: the cache keeps them unrendered, and renders
   * one when it is first asked for; one that fails then (a redirect, say) is rendered by its request.
   */
  readonly render: (dataVersion: DataVersion, also: (variant: string, contentType: string, body: () => string) => void) => Promise<string>;
  /** False for a body rendered for one reader (forms with their CSRF token): it is neither taken from nor put in the cache. */
  readonly cacheable?: boolean;
  /** Extra headers (Link) for the 200 answer. */
  readonly headers?: Readonly<Record<string, string>>;
}

const httpDate = (iso: string) => new Date(iso).toUTCString();

/** The page URL a request names: `/api/branch/3.16?x` and `/branch/3.16?x` are one resource. */
export function canonicalUrl(url: string): string {
  if (url !== '/api' && !url.startsWith('/api/') && !url.startsWith('/api?')) return url;
  const rest = url.slice('/api'.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

function notModified(request: FastifyRequest, etag: string, lastModified: string): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*');
  }
  const ifModifiedSince = request.headers['if-modified-since'];
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  // HTTP dates have whole seconds; the data's time has milliseconds.
  return Number.isFinite(since) && Math.floor(Date.parse(lastModified) / 1000) * 1000 <= since;
}

/** Sets the validators of the data version (ETag, Last-Modified) and the caching headers. */
function setValidators(web: WebContext, reply: FastifyReply, dataVersion: DataVersion, variant: string): string {
  const etag = `W/"${dataVersion.version}-${variant}"`;
  reply
    .header('etag', etag)
    .header('last-modified', httpDate(dataVersion.changedAt))
    .header('cache-control', `public, max-age=${MAX_AGE_SECONDS}`)
    .header('vary', web.site.signIn === true ? 'Accept, Accept-Encoding, Cookie' : 'Accept, Accept-Encoding');
  return etag;
}

/** A public representation too large to hold: its media type, its variant (see `Representation`) and its text in pieces. */
export interface StreamedRepresentation {
  readonly contentType: string;
  readonly variant: string;
  readonly render: () => AsyncIterable<string>;
}

/**
 * Sends a large public representation as it is made, compressed on the way when the client
 * accepts it, with the validators of the data version, so a conditional request costs one query.
 * It is not kept in the response cache: holding it is what streaming avoids.
 */
export async function respondStreamed(web: WebContext, request: FastifyRequest, reply: FastifyReply, representation: StreamedRepresentation): Promise<FastifyReply> {
  const dataVersion = await getDataVersion(web.db);
  const etag = setValidators(web, reply, dataVersion, representation.variant);
  if (notModified(request, etag, dataVersion.changedAt)) return reply.code(304).send();
  // The size is unknown until the end: any body is taken as large enough to compress.
  const encoding = chooseEncoding(request.headers['accept-encoding'], Number.POSITIVE_INFINITY);
  const body = Readable.from(representation.render(), { objectMode: false });
  if (encoding !== 'identity') reply.header('content-encoding', encoding);
  const encoder = encoding === 'br' ? createBrotliCompress({ params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } }) : encoding === 'gzip' ? createGzip() : undefined;
  // `pipeline` passes a failure while rendering on to the encoder, which ends the answer.
  return reply.code(200).type(representation.contentType).send(encoder === undefined ? body : pipeline(body, encoder, () => undefined));
}

/**
 * Sends a representation with validators, caching and compression: one query for the data
 * version answers a conditional request (304) or finds the cached body; only a miss renders.
 */
export async function respond(web: WebContext, request: FastifyRequest, reply: FastifyReply, representation: Representation): Promise<FastifyReply> {
  const dataVersion = await getDataVersion(web.db);
  const etag = setValidators(web, reply, dataVersion, representation.variant);
  const personal = isPersonal(request) && representation.contentType.startsWith('text/html');
  // A signed-in page names its reader: nothing may keep it, so nothing can ask to revalidate it.
  if (personal) reply.header('cache-control', 'private, no-store').removeHeader('etag').removeHeader('last-modified');
  else if (notModified(request, etag, dataVersion.changedAt)) return reply.code(304).send();

  // Links use one origin whatever the request's headers say, so the URL alone keys the cache.
  const key = (variant: string) => `${variant}\u0000${representation.url}`;
  const cache = representation.cacheable === false ? undefined : web.cache;
  let entry: CachedBody | undefined = cache?.get(key(representation.variant), dataVersion.version);
  if (entry === undefined) {
    const text = await representation.render(dataVersion, (variant, contentType, render) => {
      web.cache?.set(key(variant), { dataVersion: dataVersion.version, contentType, render });
    });
    entry = { dataVersion: dataVersion.version, contentType: representation.contentType, body: Buffer.from(text) };
    cache?.set(key(representation.variant), entry);
  }
  if (personal) {
    const body = Buffer.from(personalizePage(request, entry.body.toString(), representation.url));
    entry = { dataVersion: entry.dataVersion, contentType: entry.contentType, body };
  }
  const encoding = chooseEncoding(request.headers['accept-encoding'], entry.body.length);
  const before = (entry.gzip?.length ?? 0) + (entry.br?.length ?? 0);
  const body = encodedBody(entry, encoding);
  if (!personal) web.cache?.grew((entry.gzip?.length ?? 0) + (entry.br?.length ?? 0) - before);
  if (encoding !== 'identity') reply.header('content-encoding', encoding);
  for (const [name, value] of Object.entries(representation.headers ?? {})) reply.header(name, value);
  return reply.code(200).type(entry.contentType).send(body);
}
