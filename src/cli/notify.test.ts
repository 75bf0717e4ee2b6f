import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGitLab, startFakeGitLab, writeCalls } from '../sources/test-support/fake-gitlab.js';
import { type TestStore, openTestStore } from '../test-support/databases.js';
import { runCli } from '../test-support/cli.js';

/* `secfix notify gitlab` through the command line: the configuration, the token, dry run, exit codes. */

describe('secfix notify gitlab', () => {
  let store: TestStore;
  let gitlab: FakeGitLab;
  const dir = mkdtempSync(join(tmpdir(), 'secfix-cli-notify-'));
  const config = (text: string) => {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, text);
    return path;
  };
  const section = () => `gitlab:\n  url: ${gitlab.url}\n  project: security/issues\n  tokenEnv: SECFIX_TEST_GITLAB_TOKEN\n  graceHours: 0\n  maxPerRun: 2\n`;

  beforeAll(async () => {
    store = await openTestStore('sqlite', { contents: 'demo' });
    await store.db.updateTable('branch').set({ end_of_support: '2099-01-01' }).execute();
    gitlab = await startFakeGitLab('security/issues', 'glpat-cli');
  });
  afterAll(async () => {
    delete process.env['SECFIX_TEST_GITLAB_TOKEN'];
    await gitlab.close();
    await store.close();
  });

  it('refuses a configuration without a gitlab section, and a missing token, with exit 2 and one line', async () => {
    const none = config('distribution: X\n');
    expect(await runCli(['notify', 'gitlab', '--config', none, '--db', store.url])).toEqual({
      status: 2,
      stdout: '',
      stderr: `secfix: ${none}: no gitlab section: notify gitlab needs one (url, project, tokenEnv)\n`,
    });
    const result = await runCli(['notify', 'gitlab', '--config', config(section()), '--db', store.url]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/the environment variable SECFIX_TEST_GITLAB_TOKEN holds no token\n$/);
  });

  it('prints the plan of a dry run without writing, then carries it out', async () => {
    process.env['SECFIX_TEST_GITLAB_TOKEN'] = 'glpat-cli';
    const path = config(section());
    const dry = await runCli(['notify', 'gitlab', '--config', path, '--dry-run', '--json', '--db', store.url]);
    expect(dry.status).toBe(0);
    const plan = JSON.parse(dry.stdout) as { dryRun: boolean; actions: { action: string; done: boolean }[] };
    expect(plan.dryRun).toBe(true);
    expect(plan.actions.map((action) => `${action.action} ${action.done}`)).toEqual(['create false', 'create false']);
    expect(writeCalls(gitlab.calls)).toEqual([]);
    const run = await runCli(['notify', 'gitlab', '--config', path, '--db', store.url]);
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n').filter((line) => line.startsWith('done: create '))).toHaveLength(2);
    expect(gitlab.issues).toHaveLength(2);
  });

  it('exits 1 naming the call when GitLab fails', async () => {
    process.env['SECFIX_TEST_GITLAB_TOKEN'] = 'glpat-wrong';
    const result = await runCli(['notify', 'gitlab', '--config', config(section()), '--db', store.url]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^secfix: GitLab: GET \/issues\?.*: HTTP 401/);
  });
});
