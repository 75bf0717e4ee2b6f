import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { serverLoader } from './run.js';
import { MAX_REQUEST_PACKAGES, securityDataToJson } from './tracker-api.js';

/** A tracker that answers every branch with 3.17's data, as a misrouted proxy might. */
let server: Server;
let base: string;

beforeAll(async () => {
  const answer = JSON.stringify(securityDataToJson({ kind: 'tracker', branch: '3.17', sources: ['elsewhere'], repos: ['main'], fixes: new Map() }));
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('serverLoader', () => {
  it('refuses an answer for another branch than the one asked', async () => {
    const error = await inputErrorFromAsync(() => serverLoader(base)('3.16', ['busybox']));
    expect(error.message).toBe(`${base}/api/branch/3.16/security-data: $.branch: the tracker answered for branch 3.17, not 3.16`);
  });

  it('says how many origins the system has when they are more than one request may name', async () => {
    const origins = Array.from({ length: MAX_REQUEST_PACKAGES + 1 }, (_, index) => `p${index}`);
    const error = await inputErrorFromAsync(() => serverLoader(base)('3.16', origins));
    expect(error.message).toBe(`${base}: the system has 20001 origin packages; the tracker answers at most 20000`);
  });
});
