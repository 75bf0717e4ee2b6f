import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { repoPath } from '../../test-support/paths.js';

/**
 * A loopback HTTP server that answers every request with half a body and then stalls, and a
 * way to signal the built CLI once its download is under way: for the interruption tests of
 * `sync` and `import`.
 */
interface StallingServer {
  readonly base: string;
  close(): Promise<void>;
}

const stalled: ServerResponse[] = [];

async function startStallingServer(): Promise<StallingServer> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-length': String(1 << 20) });
    response.write(Buffer.alloc(64 * 1024, 0x20));
    stalled.push(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const response of stalled) response.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A stalling server for the test file: started before its tests, closed after them. Read `.base` inside tests. */
export function useStallingServer(): { readonly base: string } {
  let server: StallingServer | undefined;
  beforeAll(async () => {
    server = await startStallingServer();
  });
  afterAll(() => server?.close());
  return {
    get base() {
      if (server === undefined) throw new Error('the stalling server starts in beforeAll');
      return server.base;
    },
  };
}

/** How the interrupted CLI ended, and what its temporary folder still held. */
export interface InterruptedRun {
  readonly code: number | null;
  readonly stderr: string;
  readonly leftInTemp: readonly string[];
}

/**
 * Runs `secfix ARGS...` with its own TMPDIR below `dir`, waits until its download is under way
 * (its temporary folder exists and the server holds its answer), sends `signal` and waits for it
 * to end.
 */
export async function interruptMidDownload(dir: string, args: readonly string[], signal: NodeJS.Signals): Promise<InterruptedRun> {
  const temp = mkdtempSync(join(dir, 'tmp-'));
  const child = spawn(process.execPath, [repoPath('bin', 'secfix.js'), ...args], {
    env: { ...process.env, TMPDIR: temp, SECFIX_DB: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const stalledBefore = stalled.length;
  while (readdirSync(temp).length === 0 || stalled.length === stalledBefore) await new Promise((resolve) => setTimeout(resolve, 20));
  child.kill(signal);
  const code = await exited;
  return { code, stderr, leftInTemp: readdirSync(temp) };
}
