import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { repoPath } from '../test-support/paths.js';
import { type DownloadOptions, acquireSource } from './acquire.js';

const secdbPath = repoPath('data', 'alpine-sample', 'secdb', 'v3.16', 'main.json');
const secdb = readFileSync(secdbPath);
const secdbHash = createHash('sha256').update(secdb).digest('hex');
const ETAG = '"secdb-v1"';
const LAST_MODIFIED = 'Sat, 18 May 2024 00:00:00 GMT';

/** A loopback server like secdb.alpinelinux.org: ETag and Last-Modified, 304 on a match. */
let server: Server;
let base: string;
const requests: { path: string; ifNoneMatch?: string; ifModifiedSince?: string }[] = [];
const flakyCounts = new Map<string, number>();

/** Download options whose waits are recorded instead of slept. */
function recordingWaits(options: DownloadOptions = {}): { options: DownloadOptions; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    options: {
      ...options,
      wait: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    },
  };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push({ path: request.url ?? '', ifNoneMatch: request.headers['if-none-match'], ifModifiedSince: request.headers['if-modified-since'] });
    if (request.url === '/v3.16/main.json') {
      if (request.headers['if-none-match'] === ETAG) {
        response.writeHead(304).end();
        return;
      }
      response.writeHead(200, { etag: ETAG, 'last-modified': LAST_MODIFIED, 'content-type': 'application/json' }).end(secdb);
    } else if (request.url === '/no-etag.json') {
      response.writeHead(200).end(secdb);
    } else if (request.url?.startsWith('/flaky/') === true) {
      // Answers /flaky/<status>/<count>/<retry-after>: `count` times `status`, then the secdb.
      const [, , status = '503', count = '1', retryAfter = ''] = request.url.split('/');
      const seen = (flakyCounts.get(request.url) ?? 0) + 1;
      flakyCounts.set(request.url, seen);
      if (seen <= Number(count)) {
        response.writeHead(Number(status), retryAfter === '' ? {} : { 'retry-after': decodeURIComponent(retryAfter) }).end('busy');
      } else {
        response.writeHead(200).end(secdb);
      }
    } else if (request.url === '/big-declared.json') {
      response.writeHead(200, { 'content-length': String(secdb.length) }).end(secdb);
    } else if (request.url === '/big-chunked.json') {
      // No Content-Length: the cap must stop the stream itself.
      response.writeHead(200);
      response.write(secdb);
      response.end(secdb);
    } else {
      response.writeHead(404, 'Not Found').end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('acquireSource over HTTP', () => {
  it('downloads a new source with its checksum, ETag and Last-Modified', async () => {
    const result = await acquireSource(`${base}/v3.16/main.json`, undefined, 'secdb');
    if (result.status !== 'changed') throw new Error('expected a download');
    expect(result.checksum).toBe(secdbHash);
    expect(result.etag).toBe(ETAG);
    expect(result.lastModified).toBe(LAST_MODIFIED);
    expect(readFileSync(result.path).equals(secdb)).toBe(true);
    await result.dispose();
  });

  it('sends If-None-Match and If-Modified-Since and skips on 304', async () => {
    const result = await acquireSource(`${base}/v3.16/main.json`, { etag: ETAG, lastModified: LAST_MODIFIED, checksum: secdbHash }, 'secdb');
    expect(result).toEqual({ status: 'unchanged', reason: 'not-modified' });
    expect(requests.at(-1)).toEqual({ path: '/v3.16/main.json', ifNoneMatch: ETAG, ifModifiedSince: LAST_MODIFIED });
  });

  it('treats a full answer with the same content as unchanged', async () => {
    expect(await acquireSource(`${base}/no-etag.json`, { checksum: secdbHash }, 'secdb')).toEqual({ status: 'unchanged', reason: 'same-checksum' });
  });

  it('reports an HTTP error naming the URL', async () => {
    const error = await inputErrorFromAsync(() => acquireSource(`${base}/v3.99/main.json`, undefined, 'secdb'));
    expect(error.source).toBe(`${base}/v3.99/main.json`);
    expect(error.problem).toBe('HTTP 404 Not Found');
  });

  it('reports a refused connection', async () => {
    const error = await inputErrorFromAsync(() => acquireSource('http://127.0.0.1:9/x.json', undefined, 'secdb'));
    expect(error.problem).toMatch(/^cannot fetch/);
  });
});

describe('acquireSource retries and caps', () => {
  it('retries a 503 with exponential backoff and takes the 200 that follows', async () => {
    const { options, waits } = recordingWaits({ retryDelayMs: 100 });
    const result = await acquireSource(`${base}/flaky/503/2/`, undefined, 'secdb', options);
    expect(result).toMatchObject({ status: 'changed', checksum: secdbHash });
    expect(flakyCounts.get('/flaky/503/2/')).toBe(3);
    expect(waits).toEqual([100, 200]);
    if (result.status === 'changed') await result.dispose();
  });

  it('waits as a 429 Retry-After says, in seconds or as an HTTP date', async () => {
    const { options, waits } = recordingWaits();
    const seconds = await acquireSource(`${base}/flaky/429/1/7`, undefined, 'secdb', options);
    expect(seconds.status).toBe('changed');
    expect(waits).toEqual([7_000]);
    const date = 'Wed, 21 Oct 2015 07:28:30 GMT';
    // A date already past: retried at once.
    const past = await acquireSource(`${base}/flaky/429/1/${encodeURIComponent(date)}`, undefined, 'secdb', options);
    expect(past.status).toBe('changed');
    expect(waits).toEqual([7_000, 0]);
  });

  it('gives up after the tries, and on a Retry-After longer than it waits, naming the URL', async () => {
    const { options, waits } = recordingWaits({ tries: 3, retryDelayMs: 1 });
    const exhausted = await inputErrorFromAsync(() => acquireSource(`${base}/flaky/502/9/`, undefined, 'secdb', options));
    expect(exhausted.source).toBe(`${base}/flaky/502/9/`);
    expect(exhausted.problem).toBe('HTTP 502 Bad Gateway (after 3 tries)');
    expect(flakyCounts.get('/flaky/502/9/')).toBe(3);
    const patient = await inputErrorFromAsync(() => acquireSource(`${base}/flaky/503/9/3600`, undefined, 'secdb', options));
    expect(patient.problem).toBe('HTTP 503 Service Unavailable: the server asks to retry after 3600 s, longer than the 60 s secfix waits');
    expect(waits).toEqual([1, 2]);
  });

  it('refuses a body over the cap, declared or streamed, naming the URL and the cap', async () => {
    for (const path of ['/big-declared.json', '/big-chunked.json']) {
      const error = await inputErrorFromAsync(() => acquireSource(`${base}${path}`, undefined, 'secdb', { maxBytes: secdb.length - 1 }));
      expect(error.source).toBe(`${base}${path}`);
      expect(error.problem).toBe(`download larger than the ${secdb.length - 1} bytes cap for secdb sources (--max-download-bytes)`);
    }
    const fits = await acquireSource(`${base}/big-declared.json`, undefined, 'secdb', { maxBytes: secdb.length });
    expect(fits).toMatchObject({ status: 'changed', bytes: secdb.length });
    if (fits.status === 'changed') await fits.dispose();
  });
});

describe('acquireSource on local files', () => {
  it('hashes the file and skips it when the checksum is the last one imported', async () => {
    const first = await acquireSource(secdbPath, undefined, 'secdb');
    expect(first).toMatchObject({ status: 'changed', path: secdbPath, checksum: secdbHash, bytes: secdb.length });
    expect(await acquireSource(secdbPath, { checksum: secdbHash }, 'secdb')).toEqual({ status: 'unchanged', reason: 'same-checksum' });
  });

  it('names a missing file', async () => {
    expect((await inputErrorFromAsync(() => acquireSource('/nonexistent/main.json', undefined, 'secdb'))).problem).toBe('no such file');
  });
});
