import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { backends, openTestStore } from '../test-support/databases.js';
import { openApiDocument } from './openapi.js';
import { chooseEncoding } from './response-cache.js';
import { buildServer } from './server.js';
import { TEST_BASE_URL, useWebFixture } from './test-support/web-fixture.js';
import { BaseUrlError, listenOrigin, parseBaseUrl } from './web-context.js';

const FORGED = 'evil.example';

describe.each(backends)('%s canonical origin', (backend) => {
  const web = useWebFixture(backend, { contents: 'demo' }, { site: { distribution: 'Alpine Linux' }, cache: { maxEntries: 100, maxBytes: 64 * 1024 * 1024 } });

  it('builds no link and no cache key from the Host header: the listen address names every absolute link', async () => {
    const origin = listenOrigin('localhost', null);
    const ld = await web().get('/', { accept: 'application/ld+json', host: FORGED });
    expect(ld.statusCode).toBe(200);
    expect(ld.json<{ '@context': string; id: string }>()).toMatchObject({ '@context': `${origin}/ns/v1.jsonld`, id: `${origin}/` });
    expect(ld.body).not.toContain(FORGED);
    // Another Host is the same resource: the cached body, after one query for the data version.
    web().queries.count = 0;
    const again = await web().get('/', { accept: 'application/ld+json', host: `other.${FORGED}` });
    expect(again.body).toBe(ld.body);
    expect(web().queries.count).toBe(1);
    const context = (await web().get('/ns/v1.jsonld', { host: FORGED })).json<{ '@context': { sec: string } }>();
    expect(context['@context'].sec).toBe(`${origin}/ns#`);
    const openApi = (await web().get('/openapi.json', { host: FORGED })).json<{ servers: { url: string }[] }>();
    expect(openApi.servers).toEqual([{ url: origin }]);
    const feed = await web().get('/feed.atom', { host: FORGED });
    expect(feed.body).toContain(`<id>${origin}/feed.atom</id>`);
    expect(feed.body).not.toContain(FORGED);
  });
});

describe('listenOrigin and parseBaseUrl', () => {
  it('names the listen address with the bound port, and takes a base URL only as an origin', () => {
    expect(listenOrigin('127.0.0.1', { address: '127.0.0.1', family: 'IPv4', port: 8123 })).toBe('http://127.0.0.1:8123');
    expect(listenOrigin('::1', { address: '::1', family: 'IPv6', port: 8123 })).toBe('http://[::1]:8123');
    expect(parseBaseUrl('https://security.example.org/')).toBe('https://security.example.org');
    expect(() => parseBaseUrl('https://host/sub/')).toThrow(/serving under a path prefix is not supported/);
    expect(() => parseBaseUrl('https://host/?x=1')).toThrow(BaseUrlError);
    expect(() => parseBaseUrl('ftp://host')).toThrow(/must be http or https/);
    expect(() => parseBaseUrl('host')).toThrow(/not an absolute URL/);
  });

  it('refuses to build a server whose base URL has a path', async () => {
    const store = await openTestStore('sqlite');
    try {
      await expect(buildServer({ db: store.db, dialect: store.dialect, site: { distribution: 'x', baseUrl: 'https://host/sub/' } })).rejects.toThrow(BaseUrlError);
    } finally {
      await store.dispose();
    }
  });
});

describe('rate limit and X-Forwarded-For', () => {
  const untrusted = useWebFixture('sqlite', { contents: 'demo' }, { rateLimitPerMinute: 2 });
  const trusting = useWebFixture('sqlite', { contents: 'demo' }, { rateLimitPerMinute: 2, trustProxy: ['127.0.0.1'] });

  it("counts a client by its connection, whatever X-Forwarded-For it sends, even with a base URL", async () => {
    const statuses: number[] = [];
    for (const forwarded of ['1.1.1.1', '2.2.2.2', '3.3.3.3']) {
      statuses.push((await untrusted().app.inject({ url: '/healthz', remoteAddress: '10.9.9.9', headers: { 'x-forwarded-for': forwarded } })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("counts the client a trusted proxy names", async () => {
    const get = (forwarded: string) => trusting().app.inject({ url: '/healthz', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': forwarded } });
    expect([(await get('1.1.1.1')).statusCode, (await get('2.2.2.2')).statusCode, (await get('3.3.3.3')).statusCode]).toEqual([200, 200, 200]);
    expect((await get('1.1.1.1')).statusCode).toBe(200);
    expect((await get('1.1.1.1')).statusCode).toBe(429);
  });
});

interface DocumentedParameter {
  readonly name: string;
  readonly in: string;
  readonly example?: string;
}

/** Every documented GET URL with examples, with one parameter holding a NUL, as the API and, for a resource, as its page. */
function urlsWithNul(): string[] {
  const urls: string[] = [];
  const pages: string[] = [];
  const { paths } = openApiDocument(TEST_BASE_URL) as { paths: Record<string, { get?: { parameters?: DocumentedParameter[]; responses: Record<string, { content?: Record<string, unknown> }> } }> };
  for (const [template, { get }] of Object.entries(paths)) {
    const parameters = get?.parameters ?? [];
    // The feeds give no example of their path parameter; they are listed below.
    if (get === undefined || parameters.some((parameter) => parameter.example === undefined)) continue;
    const path = (nulIn?: string) =>
      template.replace(/\{(\w+)\}/g, (_match, name: string) => {
        const example = parameters.find((parameter) => parameter.name === name)!.example!;
        return encodeURIComponent(name === nulIn ? `a\u0000${example}` : example);
      });
    const withNul = [...parameters.map((parameter) => (parameter.in === 'path' ? path(parameter.name) : `${path()}?${parameter.name}=a%00b`)), `${path()}?unknown=a%00b`];
    urls.push(...withNul);
    // A resource (JSON and JSON-LD) is also a page at the path without `/api`.
    if (get.responses['200']?.content?.['application/ld+json'] !== undefined) pages.push(...withNul.map((url) => url.replace(/^\/api(\/|$)/, '/')));
  }
  return [...urls, ...pages, '/package/a%00b/feed.atom', '/branch/a%00b/feed.atom', '/maintainer/a%00b/feed.atom', '/search?q=a%00b'];
}

describe.each(backends)('%s control characters', (backend) => {
  const web = useWebFixture(backend);

  it.each(urlsWithNul())('answers 400 to %s', async (url) => {
    const response = await web().get(url, { accept: 'application/json' });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json<{ error: { message: string } }>().error.message).toMatch(/parameter "\w+" has a control character/);
  });

  it('answers 400 to a control character in the security-data branch', async () => {
    const response = await web().app.inject({ method: 'POST', url: '/api/branch/3.16%01/security-data', payload: { packages: [] } });
    expect(response.statusCode).toBe(400);
  });
});

describe('router errors, methods and encodings', () => {
  const web = useWebFixture('sqlite');

  it('answers bad UTF-8 in a path 400 and an over-long segment 414, in the asked format, with the security headers, without echoing the path', async () => {
    const badUtf8 = await web().get('/package/%E0%A4%A');
    expect(badUtf8.statusCode).toBe(400);
    expect(badUtf8.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(badUtf8.headers['content-security-policy']).toContain("default-src 'self'");
    const long = `<script>alert(1)</script>${'a'.repeat(120)}`;
    const tooLong = await web().get(`/api/package/${encodeURIComponent(long)}`);
    expect(tooLong.statusCode).toBe(414);
    expect(tooLong.json()).toEqual({ error: { status: 414, message: 'a path segment is longer than 100 characters' } });
    expect(tooLong.headers['x-content-type-options']).toBe('nosniff');
    const page = await web().get(`/package/${encodeURIComponent(long)}`);
    expect(page.statusCode).toBe(414);
    expect(page.body).not.toContain('<script>alert');
  });

  it('answers a method a path does not take 405 with Allow', async () => {
    const response = await web().app.inject({ method: 'DELETE', url: '/' });
    expect(response.statusCode).toBe(405);
    expect(response.headers['allow']).toBe('GET, HEAD');
    const post = await web().app.inject({ method: 'GET', url: '/api/branch/3.16/security-data' });
    expect(post.statusCode).toBe(405);
    expect(post.headers['allow']).toBe('POST');
    expect((await web().app.inject({ method: 'DELETE', url: '/nowhere' })).statusCode).toBe(404);
  });

  it('reads Accept-Encoding as RFC 9110 says: q=0 refuses, * stands for the codings not named', () => {
    const size = 10_000;
    expect(chooseEncoding('gzip;q=0, *', size)).toBe('br');
    expect(chooseEncoding('gzip;q=0, br;q=0, *', size)).toBe('identity');
    expect(chooseEncoding('*;q=0, gzip', size)).toBe('gzip');
    expect(chooseEncoding('gzip;q=0.5, br;q=0.8', size)).toBe('br');
    expect(chooseEncoding('gzip;q=0.5', size)).toBe('gzip');
    expect(chooseEncoding('identity, gzip;q=0.5', size)).toBe('identity');
    expect(chooseEncoding('', size)).toBe('identity');
    expect(chooseEncoding('GZIP', size)).toBe('gzip');
  });
});

describe('request log', () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
      callback();
    },
  });
  const web = useWebFixture('sqlite', { contents: 'demo' }, { logger: { level: 'info', stream } });

  it('writes one line per request, with its status and time', async () => {
    lines.length = 0;
    await web().get('/');
    await web().get('/nowhere');
    await web().get('/package/%E0%A4%A');
    const entries = lines.map((line) => JSON.parse(line) as { statusCode: number; responseTimeMs: number; url: string });
    expect(entries.map((entry) => [entry.url, entry.statusCode])).toEqual([
      ['/', 200],
      ['/nowhere', 404],
      ['/package/%E0%A4%A', 400],
    ]);
    for (const entry of entries) expect(typeof entry.responseTimeMs).toBe('number');
  });
});

it('keeps TEST_BASE_URL an origin the server takes', () => {
  expect(parseBaseUrl(TEST_BASE_URL)).toBe(TEST_BASE_URL);
});
