import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretHash } from '../base/secret.js';
import { findLiveApiToken, openDatabase } from '../store/index.js';
import { runCli } from '../test-support/cli.js';
import { listAuditEvents } from '../store/test-support/history.js';

/* `token create|list|revoke` in-process on an SQLite file: the token printed once, its hash stored, every action audited. */
describe('secfix token', () => {
  const db = `sqlite:${join(mkdtempSync(join(tmpdir(), 'secfix-token-')), 'secfix.db')}`;

  it('creates, lists and revokes tokens, storing only the hash and auditing each action', async () => {
    expect((await runCli(['init', '--db', db])).status).toBe(0);
    const created = await runCli(['token', 'create', '--db', db, '--name', 'ci', '--role', 'security-team', '--json']);
    expect(created).toMatchObject({ status: 0, stderr: '' });
    const { name, role, token } = JSON.parse(created.stdout) as { name: string; role: string; token: string };
    expect({ name, role }).toEqual({ name: 'ci', role: 'security-team' });
    expect(token).toMatch(/^secfix_[A-Za-z0-9_-]{43}$/);

    const plain = await runCli(['token', 'create', '--db', db, '--name', 'jane-bot', '--role', 'maintainer', '--email', 'Jane@Example.org']);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toMatch(/^secfix_\S+\n$/);

    const listed = await runCli(['token', 'list', '--db', db, '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([
      { name: 'ci', role: 'security-team', email: null, createdAt: expect.any(String) as string, revokedAt: null },
      { name: 'jane-bot', role: 'maintainer', email: 'jane@example.org', createdAt: expect.any(String) as string, revokedAt: null },
    ]);
    expect(listed.stdout).not.toContain(token);

    expect(await runCli(['token', 'revoke', '--db', db, 'ci'])).toMatchObject({ status: 0, stdout: 'secfix: token "ci" revoked\n' });
    expect(await runCli(['token', 'revoke', '--db', db, 'ci'])).toMatchObject({ status: 2, stderr: 'secfix: no live token named "ci"\n' });

    const store = await openDatabase(db);
    try {
      const rows = await store.db.selectFrom('api_token').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(rows.find((row) => row.name === 'ci')?.token_hash).toBe(secretHash(token));
      expect(await findLiveApiToken(store.db, secretHash(token))).toBeUndefined();
      expect((await listAuditEvents(store.db)).map((event) => `${event.action} ${event.subject}`)).toEqual([
        'token.create token:ci',
        'token.create token:jane-bot',
        'token.list token:*',
        'token.revoke token:ci',
      ]);
    } finally {
      await store.close();
    }
  });

  it('refuses a taken name, a bad name, a bad role and a maintainer token without an e-mail, with exit 2', async () => {
    expect((await runCli(['token', 'create', '--db', db, '--name', 'dup', '--role', 'admin'])).status).toBe(0);
    expect(await runCli(['token', 'create', '--db', db, '--name', 'dup', '--role', 'admin'])).toMatchObject({ status: 2, stderr: 'secfix: a token named "dup" exists already (revoked tokens keep their names)\n' });
    expect((await runCli(['token', 'create', '--db', db, '--name', '../x', '--role', 'admin'])).stderr).toMatch(/is not a token name/);
    expect((await runCli(['token', 'create', '--db', db, '--name', 'r', '--role', 'root'])).status).toBe(2);
    expect(await runCli(['token', 'create', '--db', db, '--name', 'm', '--role', 'maintainer'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/needs --email/) as string });
  });
});
