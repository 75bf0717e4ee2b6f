import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestStore } from '../test-support/databases.js';
import { runCli } from '../test-support/cli.js';

describe('secfix init', () => {
  it('creates an SQLite database, says where, and is harmless to repeat', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'secfix-cli-init-')), 'secfix.db');
    expect(await runCli(['init', '--db', `sqlite:${path}`])).toEqual({ status: 0, stdout: `SQLite database ${path}: applied 0001-initial, 0002-data-version, 0003-reference-list, 0004-triage, 0005-auth, 0006-search-summary, 0007-cve5-affected, 0009-exchange, 0012-audit-pairs, 0013-package-page-indexes, 0014-triage-queue-indexes, 0015-vulnerability-published-index, 0016-description-words, 0017-vulnerability-published-postgres, 0018-maintainer-work-indexes\n`, stderr: '' });
    expect(await runCli(['init', '--db', `sqlite:${path}`])).toEqual({ status: 0, stdout: `SQLite database ${path}: schema already up to date\n`, stderr: '' });
  });

  describe('on PostgreSQL', () => {
    const store = useTestStore('postgres');

    it('names the server and database, never the credentials', async () => {
      const url = new URL(store().url);
      url.password = 'hunter2';
      const result = await runCli(['init', '--db', url.toString()]);
      expect(result.stdout).toBe(`PostgreSQL database ${url.host}${url.pathname}: schema already up to date\n`);
    });
  });
});
