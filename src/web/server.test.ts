import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadMappingRules } from '../sources/config.js';
import { withWriteLock } from '../store/index.js';
import { backends } from '../test-support/databases.js';
import { refreshPageSummaries } from '../tracker/summaries.js';
import { CONTEXT_PATH } from './linked-data.js';
import { STYLESHEET_PATH } from './views/layout.js';
import { TEST_BASE_URL, useWebFixture } from './test-support/web-fixture.js';

describe.each(backends)('%s server', (backend) => {
  const web = useWebFixture(backend);

  it('serves the home page as HTML by default, with the branches and their counts', async () => {
    const response = await web().get('/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('<a href="/branch/3.16">3.16</a>');
    expect(response.body).toMatch(/<svg viewBox="0 0 720 240" role="img"/);
  });

  it('answers JSON and JSON-LD by content negotiation and under /api', async () => {
    const json = await web().getJson<{ branches: { name: string; repositories: { name: string; counts: Record<string, number> }[] }[] }>('/');
    const v316 = json.branches.find((branch) => branch.name === '3.16');
    expect(v316?.repositories.map((repository) => repository.name)).toEqual(['community', 'main']);
    expect(v316?.repositories[1]?.counts['vulnerable']).toBeGreaterThan(0);
    expect(await web().getJson('/api')).toEqual(json);
    expect(await web().getJson('/api/', '*/*')).toEqual(json);
    const ld = await web().getJson('/', 'application/ld+json');
    expect(ld['@context']).toBe(`${TEST_BASE_URL}${CONTEXT_PATH}`);
    expect(ld['id']).toBe(`${TEST_BASE_URL}/`);
    const ldResponse = await web().get('/api', { accept: 'application/ld+json' });
    expect(ldResponse.headers['content-type']).toBe('application/ld+json; charset=utf-8');
  });

  it('answers unknown paths with 404 in the asked format', async () => {
    const page = await web().get('/no/such/page');
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<h1>Not found</h1>');
    const json = await web().get('/no/such/page', { accept: 'application/json' });
    expect(json.statusCode).toBe(404);
    expect(json.json()).toEqual({ error: { status: 404, message: 'no page at /no/such/page' } });
    expect((await web().get('/api/nothing')).headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('ignores unknown query parameters on pages, keeps 400 for bad values of known ones, and answers 400 to unknown ones under /api', async () => {
    const page = await web().get('/branch/3.16?utm_source=mail&sort=severity');
    expect(page.statusCode).toBe(200);
    expect(page.body).toBe((await web().get('/branch/3.16?sort=severity')).body);
    expect((await web().get('/branch/3.16?utm_source=mail', { accept: 'application/json' })).statusCode).toBe(200);
    expect((await web().get('/feed.atom?utm_source=reader')).statusCode).toBe(200);
    const badValue = await web().get('/branch/3.16?utm_source=mail&sort=bogus');
    expect(badValue.statusCode).toBe(400);
    expect(badValue.body).toContain('query parameter &quot;sort&quot; must be one of');
    const json = await web().get('/api?bogus=1');
    expect(json.statusCode).toBe(400);
    expect(json.json<{ error: { message: string } }>().error.message).toMatch(/unknown query parameter "bogus"/);
  });

  it('sends validators and answers 304 to a matching If-None-Match or If-Modified-Since', async () => {
    const first = await web().get('/');
    const etag = first.headers['etag'] as string;
    const lastModified = first.headers['last-modified'] as string;
    expect(etag).toMatch(/^W\/"\d+-html"$/);
    expect(first.headers['cache-control']).toBe('public, max-age=60');
    expect(first.headers['vary']).toBe('Accept, Accept-Encoding');
    const byTag = await web().get('/', { 'if-none-match': etag });
    expect(byTag.statusCode).toBe(304);
    expect(byTag.body).toBe('');
    expect((await web().get('/', { 'if-modified-since': lastModified })).statusCode).toBe(304);
    expect((await web().get('/', { 'if-none-match': 'W/"0-html"' })).statusCode).toBe(200);
    expect((await web().get('/api', { 'if-none-match': etag })).statusCode).toBe(200);
  });

  it('compresses with brotli or gzip as the client accepts', async () => {
    const plain = await web().get('/');
    const br = await web().get('/', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(plain.body);
    const gzip = await web().get('/', { 'accept-encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.rawPayload).toString()).toBe(plain.body);
  });

  it('sends security headers, with a CSP that forbids inline scripts and styles', async () => {
    const response = await web().get('/');
    const csp = response.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.body).not.toMatch(/<script|style=/);
  });

  it('serves the stylesheet, the JSON-LD context and the vocabulary', async () => {
    const css = await web().get(STYLESHEET_PATH);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toContain('immutable');
    const context = await web().get(CONTEXT_PATH);
    expect(context.headers['access-control-allow-origin']).toBe('*');
    expect(context.json<{ '@context': Record<string, unknown> }>()['@context']['sec']).toBe(`${TEST_BASE_URL}/ns#`);
    expect((await web().getJson<{ '@graph': unknown[] }>('/ns'))['@graph'].length).toBeGreaterThan(5);
  });

  it('reports health and Prometheus metrics', async () => {
    expect(await web().getJson('/healthz')).toEqual({ status: 'ok', dataVersion: expect.any(Number) as number });
    await web().get('/');
    const metrics = await web().get('/metrics');
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/secfix_http_requests_total\{method="GET",route="\/",status="200"\} \d+/);
    expect(metrics.body).toContain('secfix_http_request_duration_seconds_bucket');
  });

  it('reads the home page in a fixed number of queries: its counts and trend from the summary update stored', async () => {
    const { queries, store } = web();
    const newDataVersion = () => withWriteLock(store, () => Promise.resolve());
    await newDataVersion();
    await refreshPageSummaries(store, await loadMappingRules());
    let before = queries.count;
    const stored = await web().getJson<{ branches: unknown[] }>('/');
    // The data version, the branches with their repositories and architectures, the stored summary.
    expect(queries.count - before).toBe(5);
    // After a write no update followed, the page counts the states, the open pairs (the open
    // states per place, the triaged pairs and their events) and the history itself.
    await newDataVersion();
    before = queries.count;
    expect(await web().getJson<{ branches: unknown[] }>('/')).toEqual(stored);
    expect(queries.count - before).toBe(9);
  });
});

describe('server with cache and rate limit', () => {
  const web = useWebFixture('sqlite', { contents: 'demo' }, { cache: { maxEntries: 10, maxBytes: 1_000_000 }, rateLimitPerMinute: 5 });

  it('serves repeated requests from the cache with one query, and limits the rate per client', async () => {
    const { queries } = web();
    const first = await web().get('/');
    const before = queries.count;
    const second = await web().get('/');
    expect(queries.count - before).toBe(1);
    expect(second.body).toBe(first.body);
    // The page's load also rendered its JSON and JSON-LD: /api costs only the data-version lookup.
    const json = await web().get('/api', { accept: 'application/ld+json' });
    expect(json.headers['content-type']).toBe('application/ld+json; charset=utf-8');
    expect(queries.count - before).toBe(2);
    const statuses = [];
    for (let index = 0; index < 5; index += 1) statuses.push((await web().get('/api')).statusCode);
    expect(statuses).toContain(429);
    const limited = await web().get('/api');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });
});
