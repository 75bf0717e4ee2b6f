import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/cli.js';
import { repoPath } from '../test-support/paths.js';

/** `secfix serve` as a user runs it (the built command), on a free port, stopped by SIGTERM. */
describe('secfix serve', () => {
  it('prints its address, serves the tracker there, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secfix-serve-'));
    const db = `sqlite:${join(dir, 'x.db')}`;
    expect((await runCli(['init', '--db', db])).status).toBe(0);
    const server = await spawnServe(db, ['--distribution', 'Test OS']);
    try {
      expect(await (await fetch(`${server.address}/healthz`)).json()).toEqual({ status: 'ok', dataVersion: 1 });
      const home = await fetch(`${server.address}/`);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('<h1>Test OS security tracker</h1>');
      expect(await server.stop()).toBe(0);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** A running `secfix serve` (the built command) and the address it announced. */
interface SpawnedServer {
  readonly address: string;
  /** Sends SIGTERM (once) and returns the exit code. */
  stop(): Promise<number | null>;
}

async function spawnServe(db: string, flags: readonly string[]): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [repoPath('bin', 'secfix.js'), 'serve', '--db', db, '--port', '0', '--host', '127.0.0.1', '--no-log', ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving .* at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match !== null) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
  return {
    address,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      return child.exitCode;
    },
  };
}

/** The statuses of one request per forwarded client address, all sent from 127.0.0.1. */
async function statusesForClients(address: string, clients: readonly string[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const client of clients) statuses.push((await fetch(`${address}/`, { headers: { 'x-forwarded-for': client } })).status);
  return statuses;
}

describe('secfix serve --trust-proxy and --base-url', () => {
  const clients = ['203.0.113.1', '203.0.113.2', '203.0.113.3'];

  async function withServer(flags: readonly string[], check: (address: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'secfix-serve-proxy-'));
    const db = `sqlite:${join(dir, 'x.db')}`;
    expect((await runCli(['init', '--db', db])).status).toBe(0);
    const server = await spawnServe(db, ['--rate-limit', '2', ...flags]);
    try {
      await check(server.address);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('counts each forwarded client apart when the request comes from the trusted proxy', async () => {
    await withServer(['--trust-proxy', '127.0.0.1'], async (address) => {
      expect(await statusesForClients(address, clients)).toEqual([200, 200, 200]);
    });
  }, 60_000);

  it('ignores X-Forwarded-For from any other address, with or without a base URL', async () => {
    await withServer(['--trust-proxy', '10.0.0.1', '--base-url', 'https://security.example.org'], async (address) => {
      expect(await statusesForClients(address, clients)).toEqual([200, 200, 429]);
    });
    await withServer(['--base-url', 'https://security.example.org'], async (address) => {
      expect(await statusesForClients(address, clients)).toEqual([200, 200, 429]);
    });
  }, 60_000);

  it('refuses a base URL with a path and a proxy that is no address, with exit 2, naming the option', async () => {
    for (const flags of [['--base-url', 'https://security.example.org/sub/'], ['--trust-proxy', 'proxy.example.org']]) {
      const child = spawn(process.execPath, [repoPath('bin', 'secfix.js'), 'serve', '--port', '0', '--host', '127.0.0.1', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code, `${flags.join(' ')}: ${stderr}`).toBe(2);
      expect(stderr).toContain(flags[0]);
    }
  }, 60_000);
});
