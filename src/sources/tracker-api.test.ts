import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { fetchSecurityData, trackerBaseUrl } from './tracker-api.js';

/** What the stand-in tracker received last. */
let received: { method: string; url: string; contentType: string | undefined; body: unknown } | undefined;

/** Answers by the branch in the path, so each test picks the answer it needs. */
function answer(request: IncomingMessage, response: ServerResponse, body: string): void {
  received = { method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'], body: JSON.parse(body) as unknown };
  const branch = /^\/(?:[^/]+\/)*api\/branch\/([^/]+)\/security-data$/.exec(request.url ?? '')?.[1];
  const json = (status: number, value: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  };
  switch (branch) {
    case '3.16':
      return json(200, { branch: '3.16' });
    case 'gone':
      return json(404, { error: { status: 404, message: 'no security data for branch gone (it has 3.16)' } });
    case 'broken':
      return json(500, { error: { status: 500, message: 'internal error' } });
    case 'proxy':
      response.writeHead(502, 'Bad Gateway', { 'content-type': 'text/html' }).end('<h1>502</h1>');
      return;
    case 'html':
      response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>hello</h1>');
      return;
    case 'slow':
      // Never answers: the client's timeout must end the wait.
      return;
    default:
      response.writeHead(404).end();
  }
}

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => answer(request, response, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

describe('trackerBaseUrl', () => {
  it('takes an origin or a base path, with or without trailing slashes', () => {
    expect(trackerBaseUrl('http://localhost:8080')).toBe('http://localhost:8080');
    expect(trackerBaseUrl('http://localhost:8080/')).toBe('http://localhost:8080');
    expect(trackerBaseUrl('https://security.example.org/tracker//')).toBe('https://security.example.org/tracker');
  });

  it.each([
    ['localhost:8080', /expected an http:\/\/ or https:\/\/ address/],
    ['not a url', /is not a URL/],
    ['ftp://tracker.example/', /expected an http:\/\/ or https:\/\/ address/],
    ['https://user:secret@tracker.example/', /must not contain a user name or password/],
    ['https://tracker.example/?branch=3.16', /without a query or fragment/],
  ])('refuses %s', (text, message) => {
    expect(() => trackerBaseUrl(text)).toThrow(message);
  });
});

describe('fetchSecurityData', () => {
  it('POSTs the origins as JSON under the base path and returns the parsed answer with the URL asked', async () => {
    const answer = await fetchSecurityData(`${base}/tracker`, '3.16', ['busybox', 'openssl']);
    expect(answer).toEqual({ url: `${base}/tracker/api/branch/3.16/security-data`, body: { branch: '3.16' } });
    expect(received).toEqual({ method: 'POST', url: '/tracker/api/branch/3.16/security-data', contentType: 'application/json', body: { packages: ['busybox', 'openssl'] } });
  });

  it("says the tracker has no such branch on 404, with the tracker's own message", async () => {
    const error = await inputErrorFromAsync(() => fetchSecurityData(base, 'gone', ['busybox']));
    expect(error.message).toBe(`${base}/api/branch/gone/security-data: the tracker has no branch gone (HTTP 404: no security data for branch gone (it has 3.16))`);
  });

  it('says the URL answered 404 when the route itself is missing: not a secfix tracker, or a wrong path', async () => {
    const error = await inputErrorFromAsync(() => fetchSecurityData(base, 'unrouted', ['busybox']));
    expect(error.problem).toBe("the URL answered 404 (HTTP 404: Not Found); it may not be a secfix tracker's address");
  });

  it("names the status and the tracker's message on other errors, or the status text when the body is not the tracker's", async () => {
    expect((await inputErrorFromAsync(() => fetchSecurityData(base, 'broken', []))).problem).toBe('HTTP 500: internal error');
    expect((await inputErrorFromAsync(() => fetchSecurityData(base, 'proxy', []))).problem).toBe('HTTP 502: Bad Gateway');
  });

  it('refuses a 200 answer that is not JSON', async () => {
    expect((await inputErrorFromAsync(() => fetchSecurityData(base, 'html', []))).problem).toBe('the answer is not JSON (text/html)');
  });

  it('gives up after the timeout', async () => {
    const error = await inputErrorFromAsync(() => fetchSecurityData(base, 'slow', [], { timeoutMs: 200 }));
    expect(error.message).toBe(`${base}/api/branch/slow/security-data: cannot reach the tracker: no answer within 0.2 s`);
  });

  it('says why when nothing listens at the address', async () => {
    // A port just freed: nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await inputErrorFromAsync(() => fetchSecurityData(`http://127.0.0.1:${port}`, '3.16', []));
    expect(error.message).toBe(`http://127.0.0.1:${port}/api/branch/3.16/security-data: cannot reach the tracker: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('says so when fetch refuses the port before connecting', async () => {
    const error = await inputErrorFromAsync(() => fetchSecurityData('http://127.0.0.1:1', '3.16', []));
    expect(error.problem).toBe('cannot reach the tracker: fetch refuses port 1, which belongs to another protocol');
  });
});
