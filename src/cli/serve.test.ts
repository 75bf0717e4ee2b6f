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
    const child = spawn(process.execPath, [repoPath('bin', 'secfix.js'), 'serve', '--db', db, '--port', '0', '--host', '127.0.0.1', '--no-log', '--distribution', 'Test OS'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      const address = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /serving .* at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match !== null) resolve(match[1]!);
        });
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
      });
      expect(await (await fetch(`${address}/healthz`)).json()).toEqual({ status: 'ok', dataVersion: 1 });
      const home = await fetch(`${address}/`);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('<h1>Test OS security tracker</h1>');
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
