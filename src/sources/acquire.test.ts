import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { repoPath } from '../test-support/paths.js';
import { acquireSource } from './acquire.js';

const secdbPath = repoPath('data', 'alpine-sample', 'secdb', 'v3.16', 'main.json');
const secdb = readFileSync(secdbPath);
const secdbHash = createHash('sha256').update(secdb).digest('hex');
const ETAG = '"secdb-v1"';
const LAST_MODIFIED = 'Sat, 18 May 2024 00:00:00 GMT';

/** A loopback server like secdb.alpinelinux.org: ETag and Last-Modified, 304 on a match. */
let server: Server;
let base: string;
const requests: { path: string; ifNoneMatch?: string; ifModifiedSince?: string }[] = [];

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
    const result = await acquireSource(`${base}/v3.16/main.json`, undefined);
    if (result.status !== 'changed') throw new Error('expected a download');
    expect(result.checksum).toBe(secdbHash);
    expect(result.etag).toBe(ETAG);
    expect(result.lastModified).toBe(LAST_MODIFIED);
    expect(readFileSync(result.path).equals(secdb)).toBe(true);
    await result.dispose();
  });

  it('sends If-None-Match and If-Modified-Since and skips on 304', async () => {
    const result = await acquireSource(`${base}/v3.16/main.json`, { etag: ETAG, lastModified: LAST_MODIFIED, checksum: secdbHash });
    expect(result).toEqual({ status: 'unchanged', reason: 'not-modified' });
    expect(requests.at(-1)).toEqual({ path: '/v3.16/main.json', ifNoneMatch: ETAG, ifModifiedSince: LAST_MODIFIED });
  });

  it('treats a full answer with the same content as unchanged', async () => {
    expect(await acquireSource(`${base}/no-etag.json`, { checksum: secdbHash })).toEqual({ status: 'unchanged', reason: 'same-checksum' });
  });

  it('reports an HTTP error naming the URL', async () => {
    const error = await inputErrorFromAsync(() => acquireSource(`${base}/v3.99/main.json`, undefined));
    expect(error.source).toBe(`${base}/v3.99/main.json`);
    expect(error.problem).toBe('HTTP 404 Not Found');
  });

  it('reports a refused connection', async () => {
    const error = await inputErrorFromAsync(() => acquireSource('http://127.0.0.1:9/x.json', undefined));
    expect(error.problem).toMatch(/^cannot fetch/);
  });
});

describe('acquireSource on local files', () => {
  it('hashes the file and skips it when the checksum is the last one imported', async () => {
    const first = await acquireSource(secdbPath, undefined);
    expect(first).toMatchObject({ status: 'changed', path: secdbPath, checksum: secdbHash, bytes: secdb.length });
    expect(await acquireSource(secdbPath, { checksum: secdbHash })).toEqual({ status: 'unchanged', reason: 'same-checksum' });
  });

  it('names a missing file', async () => {
    expect((await inputErrorFromAsync(() => acquireSource('/nonexistent/main.json', undefined))).problem).toBe('no such file');
  });
});
