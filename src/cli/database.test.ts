import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import { runCli } from '../test-support/cli.js';

const MAIN = repoPath('data', 'alpine-sample', 'secdb', 'v3.16', 'main.json');
const INSTALLED = repoPath('data', 'alpine-sample', 'apkindex', 'installed', 'syft-multiple-2.installed');

/** Every command that reads a database, with the arguments it needs besides --db. */
const READERS = [
  ['update'],
  ['query', 'states'],
  ['query', 'summary'],
  ['query', 'runs'],
  ['check'],
  ['serve', '--port', '0', '--host', '127.0.0.1', '--no-log'],
  ['scan', '--installed', INSTALLED, '--branch', '3.16'],
].map((command) => ({ name: command.filter((word) => !word.startsWith('-')).slice(0, 2).join(' '), command }));

describe('a missing SQLite database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secfix-cli-database-'));

  it.each(READERS)('$name refuses it with exit 2, naming it, and creates nothing', async ({ command }) => {
    const path = join(dir, 'mistyped.db');
    const result = await runCli([...command, '--db', `sqlite:${path}`]);
    expect(result).toEqual({ status: 2, stdout: '', stderr: `secfix: no SQLite database at ${path} (only init, import, sync and demo create a database)\n` });
    expect(existsSync(path)).toBe(false);
  });

  it('init and import create it', async () => {
    for (const [name, command] of [['init.db', ['init']], ['import.db', ['import', 'secdb', MAIN]]] as const) {
      const path = join(dir, name);
      expect((await runCli([...command, '--db', `sqlite:${path}`])).status).toBe(0);
      expect(existsSync(path)).toBe(true);
      expect((await runCli(['query', 'summary', '--db', `sqlite:${path}`])).status).toBe(0);
    }
  });
});

describe('a missing PostgreSQL database', () => {
  const admin = process.env['SECFIX_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
  const names: string[] = [];
  /** A database name no test has used, dropped after the tests. */
  const fresh = () => {
    const name = `secfix_missing_${process.pid}_${randomBytes(4).toString('hex')}`;
    names.push(name);
    const url = new URL(admin);
    url.pathname = `/${name}`;
    return { name, url: url.toString() };
  };
  const exists = async (name: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      return (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
    } finally {
      await client.end();
    }
  };
  afterAll(async () => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      for (const name of names) await client.query(`drop database if exists ${name} with (force)`);
    } finally {
      await client.end();
    }
  });

  it.each(READERS)('$name refuses it with exit 2, naming it, and creates nothing', async ({ command }) => {
    const { name, url } = fresh();
    const result = await runCli([...command, '--db', url]);
    const host = new URL(url).host;
    expect(result).toEqual({ status: 2, stdout: '', stderr: `secfix: no PostgreSQL database at ${host}/${name} (only init, import, sync and demo create a database)\n` });
    expect(await exists(name)).toBe(false);
  });

  it('init, import and sync create it on the server, as the README example needs', async () => {
    for (const command of [['init'], ['import', 'secdb', MAIN], ['sync', '--config', repoPath('data', 'demo.yaml')]]) {
      const { name, url } = fresh();
      const result = await runCli([...command, '--db', url]);
      expect(result, result.stderr).toMatchObject({ status: 0, stderr: '' });
      expect(await exists(name)).toBe(true);
      expect((await runCli(['query', 'summary', '--db', url])).status).toBe(0);
    }
  }, 120_000);
});
