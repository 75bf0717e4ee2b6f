import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HtmlValue } from './html.js';
import { requestIdentity } from './auth.js';
import { withContext } from './linked-data.js';
import { FORMATS, type Format, MEDIA_TYPES, negotiateFormat } from './negotiate.js';
import { type RawQuery, onlyParams } from './query-params.js';
import { canonicalUrl, respond } from './respond.js';
import { apiPath } from './urls.js';
import { type Alternate, page } from './views/layout.js';
import type { RenderContext, Viewer, WebContext } from './web-context.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The representation this request asked for, so errors answer in it too. */
    secfixFormat?: Format;
  }
}

/**
 * A resource of the tracker: one page at `path`, its JSON at `/api` + `path`, and both answering
 * text/html, application/json and application/ld+json by content negotiation.
 */
export interface Resource<Input, Data> {
  /** Fastify route path, e.g. `/branch/:branch`. */
  readonly path: string;
  /**
   * The query parameters it reads. Under /api any other is a 400 (a client's typo should not
   * pass silently); pages ignore others, so a shared link with `?utm_source=...` still works.
   */
  readonly queryParams: readonly string[];
  /** Reads and checks the route and query parameters; throws `badRequest` (400) on bad ones. */
  readonly parse: (params: Readonly<Record<string, string>>, query: RawQuery) => Input;
  /** Loads the data in a fixed number of queries; throws `notFound` (404) when there is none. */
  readonly load: (web: WebContext, input: Input, context: RenderContext) => Promise<Data>;
  readonly title: (data: Data, input: Input) => string;
  readonly html: (data: Data, context: RenderContext, input: Input) => HtmlValue;
  readonly json: (data: Data, context: RenderContext, input: Input) => unknown;
  /** The JSON-LD body without `@context` (added here); every node needs an `id`. */
  readonly jsonld: (data: Data, context: RenderContext, input: Input) => Record<string, unknown>;
  /** Atom feeds about this resource, linked from the page. */
  readonly feeds?: (data: Data, input: Input) => readonly Alternate[];
  /**
   * Whether the page has forms for its signed-in reader (`context.viewer`): its HTML is then
   * rendered for each session and never cached; anonymous readers share the cached page.
   */
  readonly personal?: boolean;
  /** Whether `/api` + path answers too (the default); false when that path is another API's. */
  readonly api?: boolean;
}

/**
 * Thrown by a resource's `load` or `html` when the answer is another page (a binary package's
 * origin, an exact search hit): the request is sent there with a 303, uncached since the answer
 * follows the data. Under /api the location is under /api too.
 */
export class SeeOther extends Error {
  constructor(readonly location: string) {
    super(`see ${location}`);
    this.name = 'SeeOther';
  }
}

/** A handler that answers a `SeeOther` thrown inside it with its redirect. */
function redirecting(handler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      return await handler(request, reply);
    } catch (error) {
      if (!(error instanceof SeeOther)) throw error;
      const underApi = canonicalUrl(request.url) !== request.url;
      for (const name of ['etag', 'last-modified', 'vary']) reply.removeHeader(name);
      return reply.header('cache-control', 'no-store').redirect(underApi ? apiPath(error.location) : error.location, 303);
    }
  };
}

/**
 * JSON with `<` written as `\u003c`: the same data for any JSON reader, but no byte sequence a
 * browser sniffing the body as HTML could take for a tag.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** Whether a URL is under the JSON API. */
const isApiUrl = (url: string) => url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');

/** The URL a request names with only the query parameters in `known`, as the cache and the page's links know it. */
function urlWithParams(url: string, known: readonly string[]): string {
  const [path = '', search] = url.split(/\?(.*)/s, 2);
  if (search === undefined) return path;
  const params = new URLSearchParams(search);
  for (const name of [...params.keys()]) if (!known.includes(name)) params.delete(name);
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** The format a request asks for: negotiated, with HTML by default for pages and JSON under /api. */
export function requestFormat(request: FastifyRequest): Format {
  const fallback: Format = isApiUrl(request.url) ? 'json' : 'html';
  const format = negotiateFormat(request.headers.accept, fallback) ?? fallback;
  // /api is JSON: an HTML-preferring browser gets JSON there, JSON-LD only when asked by name.
  return fallback === 'json' && format === 'html' ? 'json' : format;
}

export function registerResource<Input, Data>(app: FastifyInstance, web: WebContext, resource: Resource<Input, Data>): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const format = requestFormat(request);
    request.secfixFormat = format;
    const query = request.query as RawQuery;
    if (isApiUrl(request.url)) onlyParams(query, resource.queryParams);
    const known = Object.fromEntries(Object.entries(query).filter(([name]) => resource.queryParams.includes(name)));
    const input = resource.parse(request.params as Record<string, string>, known);
    const base = web.origin();
    const url = canonicalUrl(urlWithParams(request.url, resource.queryParams));
    const viewer = resource.personal === true && format === 'html' ? viewerOf(request) : undefined;
    return respond(web, request, reply, {
      url,
      contentType: MEDIA_TYPES[format],
      variant: format,
      cacheable: viewer === undefined,
      render: async (dataVersion, also) => {
        const context: RenderContext = { site: web.site, base, url, dataVersion, ...(viewer === undefined ? {} : { viewer }) };
        const data = await resource.load(web, input, context);
        const bodies: Record<Format, () => string> = {
          json: () => jsonText(resource.json(data, context, input)),
          jsonld: () => jsonText(withContext(base, resource.jsonld(data, context, input))),
          html: () => {
            // Without an /api twin, the page's own URL answers JSON by the Accept header.
            const dataUrl = (resource.api ?? true) ? apiPath(url) : url;
            const alternates: Alternate[] = [
              { type: 'application/json', href: dataUrl, title: 'JSON' },
              { type: 'application/ld+json', href: dataUrl, title: 'JSON-LD' },
              ...(resource.feeds?.(data, input) ?? []),
            ];
            return page(context, { title: resource.title(data, input), body: resource.html(data, context, input), alternates }).toString();
          },
        };
        // The data is loaded: offer the other formats from it, since clients often ask for several.
        for (const other of FORMATS) if (other !== format) also(other, MEDIA_TYPES[other], bodies[other]);
        return bodies[format]();
      },
    });
  };
  app.get(resource.path, redirecting(handler));
  if (resource.api ?? true) app.get(apiPath(resource.path), redirecting(handler));
}

/** The signed-in reader of a request, with their session's CSRF token; undefined for anyone else. */
export function viewerOf(request: FastifyRequest): Viewer | undefined {
  const identity = requestIdentity(request);
  return identity.kind === 'session' ? { principal: identity.principal, csrfToken: identity.csrfToken } : undefined;
}
