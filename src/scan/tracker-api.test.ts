import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputErrorFrom, inputErrorFromAsync } from '../test-support/input-errors.js';
import type { SecurityData } from '../engine/scan-model.js';
import { fetchSecurityData, securityDataFromJson, securityDataToJson, trackerBaseUrl } from './tracker-api.js';

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

const SOURCE = 'http://tracker.test/api/branch/3.16/security-data';

const DATA: SecurityData = {
  kind: 'tracker',
  branch: '3.16',
  sources: ['http://tracker.test'],
  repos: ['community', 'main'],
  fixes: new Map([
    ['busybox', [{ version: '1.35.0-r18', id: 'CVE-2023-42366', repo: 'main' }]],
    [
      'openssl',
      [
        { version: '1.1.1t-r0', id: 'CVE-2023-0286', repo: 'main' },
        { version: '0', id: 'CVE-2022-3602', repo: 'main' },
      ],
    ],
    // An origin named like Object.prototype's accessor must stay plain data both ways.
    ['__proto__', [{ version: '1.0-r1', id: 'CVE-2024-0001', repo: 'community' }]],
  ]),
  open: new Map([['openssl', [{ id: 'CVE-2023-0466', state: 'vulnerable' }]]]),
  rejected: new Map([['busybox', new Set(['CVE-2022-28391', 'CVE-2022-30065'])]]),
  notAffected: new Map([['openssl', new Set(['CVE-2022-3602'])]]),
  published: new Map([
    ['busybox', '1.35.0-r17'],
    ['openssl', '1.1.1s-r0'],
  ]),
  endOfSupport: '2024-05-23',
};

/** The wire form of DATA as a server sends it and a client parses it: through JSON text. */
const wire = (data: SecurityData = DATA): Record<string, unknown> => JSON.parse(JSON.stringify(securityDataToJson(data))) as Record<string, unknown>;

describe('security data on the wire', () => {
  it('round-trips every field, the Maps and Sets included', () => {
    expect(securityDataFromJson(wire(), SOURCE)).toEqual(DATA);
  });

  it('writes maps as objects keyed by origin and leaves out an unknown end of support', () => {
    const withoutEnd: SecurityData = { ...DATA, endOfSupport: undefined };
    const json = wire(withoutEnd);
    expect(json).not.toHaveProperty('endOfSupport');
    expect(json['rejected']).toEqual({ busybox: ['CVE-2022-28391', 'CVE-2022-30065'] });
    expect(json['notAffected']).toEqual({ openssl: ['CVE-2022-3602'] });
    expect(json['published']).toEqual({ busybox: '1.35.0-r17', openssl: '1.1.1s-r0' });
    expect(Object.keys(json['fixes'] as object)).toEqual(['busybox', 'openssl', '__proto__']);
    expect(securityDataFromJson(json, SOURCE)).toEqual(withoutEnd);
  });

  it('writes secdb data without tracker-only maps as empty objects', () => {
    const secdb: SecurityData = { kind: 'secdb', branch: '3.16', sources: ['main.json'], repos: ['main'], fixes: new Map() };
    expect(wire(secdb)).toEqual({ branch: '3.16', repos: ['main'], sources: ['main.json'], fixes: {}, open: {}, rejected: {}, notAffected: {}, published: {} });
  });

  /** Each case changes one field of a valid answer; the error must name the source and that field. */
  const malformed: readonly [string, (json: Record<string, unknown>) => unknown, string, string][] = [
    ['not an object', () => [], '$', 'expected an object, found an array'],
    ['null', () => null, '$', 'expected an object, found null'],
    ['no branch', ({ branch: _branch, ...rest }) => rest, '$.branch', 'missing (expected a string)'],
    ['empty branch', (json) => ({ ...json, branch: '' }), '$.branch', 'expected a non-empty string, found an empty one'],
    ['repos not an array', (json) => ({ ...json, repos: 'main' }), '$.repos', 'expected an array, found a string'],
    ['a repo not a string', (json) => ({ ...json, repos: ['main', 3] }), '$.repos[1]', 'expected a string, found a number'],
    ['no sources', ({ sources: _sources, ...rest }) => rest, '$.sources', 'missing (expected an array)'],
    ['end of support a number', (json) => ({ ...json, endOfSupport: 2024 }), '$.endOfSupport', 'expected a string, found a number'],
    ['fixes an array', (json) => ({ ...json, fixes: [] }), '$.fixes', 'expected an object, found an array'],
    ['no fixes', ({ fixes: _fixes, ...rest }) => rest, '$.fixes', 'missing (expected an object)'],
    ['fix lines not a list', (json) => ({ ...json, fixes: { busybox: {} } }), '$.fixes.busybox', 'expected an array, found an object'],
    ['a fix line a string', (json) => ({ ...json, fixes: { busybox: ['1.35.0-r18'] } }), '$.fixes.busybox[0]', 'expected an object, found a string'],
    ['a fix without version', (json) => ({ ...json, fixes: { busybox: [{ id: 'CVE-1', repo: 'main' }] } }), '$.fixes.busybox[0].version', 'missing (expected a string)'],
    ['a fix id null', (json) => ({ ...json, fixes: { busybox: [{ version: '1', id: null, repo: 'main' }] } }), '$.fixes.busybox[0].id', 'expected a string, found null'],
    ['a fix without repo', (json) => ({ ...json, fixes: { 'py3-a.b': [{ version: '1', id: 'CVE-1' }] } }), '$.fixes["py3-a.b"][0].repo', 'missing (expected a string)'],
    ['open a list', (json) => ({ ...json, open: [] }), '$.open', 'expected an object, found an array'],
    ['an open entry without state', (json) => ({ ...json, open: { openssl: [{ id: 'CVE-1' }] } }), '$.open.openssl[0].state', 'missing (expected a string)'],
    ['rejected ids an object', (json) => ({ ...json, rejected: { busybox: { id: 'CVE-1' } } }), '$.rejected.busybox', 'expected an array, found an object'],
    ['a rejected id a number', (json) => ({ ...json, rejected: { busybox: [1] } }), '$.rejected.busybox[0]', 'expected a string, found a number'],
    ['a not-affected id a number', (json) => ({ ...json, notAffected: { openssl: [3602] } }), '$.notAffected.openssl[0]', 'expected a string, found a number'],
    ['no published', ({ published: _published, ...rest }) => rest, '$.published', 'missing (expected an object)'],
    ['a published version a list', (json) => ({ ...json, published: { busybox: ['1.35.0-r17'] } }), '$.published.busybox', 'expected a string, found an array'],
  ];

  it.each(malformed)('rejects an answer with %s, naming the source and the field', (_name, change, place, problem) => {
    const error = inputErrorFrom(() => securityDataFromJson(change(wire()), SOURCE));
    expect([error.source, error.place, error.problem]).toEqual([SOURCE, place, problem]);
  });
});
