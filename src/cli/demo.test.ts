import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import { runCli } from '../test-support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'secfix-cli-demo-'));

describe('secfix demo --file', () => {
  it('leaves a file alone that is not a demo database: exit 2, one line naming it', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'my notes');
    expect(await runCli(['demo', '--file', text, '--json'])).toEqual({
      status: 2,
      stdout: '',
      stderr: `secfix: --file ${text}: exists and is not a database secfix demo built; choose another path or remove it\n`,
    });
    expect(readFileSync(text, 'utf8')).toBe('my notes');
  });

  it('leaves a synced tracker database alone', async () => {
    const tracker = join(dir, 'tracker.db');
    expect((await runCli(['import', 'secdb', '--db', `sqlite:${tracker}`, repoPath('data', 'alpine-sample', 'secdb', 'v3.16', 'main.json')])).status).toBe(0);
    const before = readFileSync(tracker);
    const result = await runCli(['demo', '--file', tracker, '--no-serve']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^secfix: --file .*tracker\.db: exists and is not a database secfix demo built/);
    expect(readFileSync(tracker).equals(before)).toBe(true);
    expect((await runCli(['query', 'runs', '--db', `sqlite:${tracker}`, '--json'])).stdout).toContain('"secdb"');
  });
});

describe('a port in use', () => {
  const taken = createServer();
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => taken.listen({ port: 0, host: '127.0.0.1' }, resolve));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('demo says so in one line, exit 2, before building anything', async () => {
    const file = join(dir, 'never-built.db');
    const result = await runCli(['demo', '--file', file, '--host', '127.0.0.1', '--port', String(port)]);
    expect(result).toEqual({ status: 2, stdout: '', stderr: `secfix: cannot listen on 127.0.0.1:${port}: the port is in use (choose another with --port)\n` });
    expect(existsSync(file)).toBe(false);
  });

  it('serve says so in one line, exit 2', async () => {
    const db = `sqlite:${join(dir, 'serve.db')}`;
    expect((await runCli(['init', '--db', db])).status).toBe(0);
    const result = await runCli(['serve', '--db', db, '--host', '127.0.0.1', '--port', String(port), '--no-log']);
    expect(result).toEqual({ status: 2, stdout: '', stderr: `secfix: cannot listen on 127.0.0.1:${port}: the port is in use (choose another with --port)\n` });
  });
});
