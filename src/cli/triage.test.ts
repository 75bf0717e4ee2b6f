import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { backends, openTestStore, useTestStore } from '../test-support/databases.js';
import { runCli } from '../test-support/cli.js';
import { addTriageSample } from '../tracker/test-support/triage-sample.js';

/* `triage set|log|queue`, `export rejections` and the triage fields of `query states`, in-process on both databases. */

async function runJson<T>(argv: string[], today?: string): Promise<T> {
  const result = await runCli(argv, today);
  expect(result, argv.join(' ')).toMatchObject({ status: 0, stderr: '' });
  return JSON.parse(result.stdout) as T;
}

describe.each(backends)('%s secfix triage', (backend) => {
  const store = useTestStore(backend);
  const dir = mkdtempSync(join(tmpdir(), `secfix-cli-triage-${backend}-`));
  const db = () => ['--db', store().url];
  beforeEach(() => addTriageSample(store().db));

  it('sets a status on every pair of the comma lists and prints the events', async () => {
    const events = await runJson<{ package: string; vulnerabilityId: string; status: string; branches: string[] | null }[]>([
      'triage', 'set', 'openssl,curl', 'CVE-2019-0190,CVE-2023-0001', 'under-investigation', '--branch', 'v3.16', '--author', 'ann@example.org', '--json', ...db(),
    ]);
    expect(events.map((event) => `${event.package} ${event.vulnerabilityId} ${event.status} ${event.branches?.join()}`)).toEqual([
      'openssl CVE-2019-0190 under-investigation 3.16',
      'openssl CVE-2023-0001 under-investigation 3.16',
      'curl CVE-2019-0190 under-investigation 3.16',
      'curl CVE-2023-0001 under-investigation 3.16',
    ]);
  });

  it.each([
    [['httpd', 'CVE-2019-0190', 'affected'], 'secfix: triage request: package: unknown package "httpd"\n'],
    [['openssl', 'CVE-2019-0190', 'not-affected'], 'secfix: triage request: justification: not-affected needs a justification'],
    [['openssl', 'CVE-2019-0190', 'fixed', '--version', 'x'], 'secfix: triage request: version: "x" is not a valid apk version\n'],
    [['openssl', 'CVE-2019-0190', 'affected', '--branch', '3.99'], 'secfix: triage request: branch: unknown branch "3.99"\n'],
  ])('exits 2 with one line for bad input: %o', async (argv, message) => {
    const result = await runCli(['triage', 'set', ...argv, '--author', 'ann@example.org', ...db()]);
    expect(result.status).toBe(2);
    expect(result.stderr.startsWith(message)).toBe(true);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('logs oldest first, shows the triage in query states, and queues what stays open', async () => {
    expect(await runCli(['triage', 'set', 'openssl', 'CVE-2019-0190', 'not-affected', '--justification', 'component-not-present', '--note', 'mod_ssl is httpd', '--author', 'ann@example.org', ...db()])).toMatchObject({ status: 0, stdout: 'recorded 1 event\n' });
    expect(await runCli(['triage', 'set', 'curl', 'CVE-2023-0001', 'fixed', '--version', '8.4.0-r0', '--author', 'bob@example.org', ...db()])).toMatchObject({ status: 0 });
    const log = await runJson<{ author: string; status: string }[]>(['triage', 'log', '--json', ...db()]);
    expect(log.map((event) => [event.author, event.status])).toEqual([['ann@example.org', 'not-affected'], ['bob@example.org', 'fixed']]);
    expect(await runJson<unknown[]>(['triage', 'log', '--author', 'bob@example.org', '--package', 'openssl', '--json', ...db()])).toEqual([]);
    expect((await runCli(['triage', 'log', '--since', 'yesterday', ...db()])).status).toBe(2);

    const states = await runJson<{ cve: string; computedState: string; status: string; triage: { status: string; note: string | null; author: string } | null }[]>(['query', 'states', '--json', ...db()]);
    expect(states.map((row) => [row.cve, row.computedState, row.status, row.triage?.author ?? null])).toEqual([
      ['CVE-2023-0001', 'vulnerable', 'fix-pending-publication', 'bob@example.org'],
      ['CVE-2023-38545', 'vulnerable', 'vulnerable', null],
      ['CVE-2019-0190', 'vulnerable', 'not-affected', 'ann@example.org'],
    ]);
    expect(states[2]?.triage).toMatchObject({ status: 'not-affected', note: 'mod_ssl is httpd' });

    const queue = await runJson<{ cve: string; severity: string }[]>(['triage', 'queue', '--branch', '3.16', '--json', ...db()]);
    expect(queue.map((row) => row.cve)).toEqual(['CVE-2023-38545']);
    expect((await runCli(['triage', 'queue', ...db()])).stdout).toBe('3.16/main  curl  CVE-2023-38545  CRITICAL  vulnerable\n1 open pairs\n');
  });

  it('query summary has an OPEN column: triage takes pairs out, and a branch past its end of support shows end-of-life from the day after its end', async () => {
    expect(await runCli(['triage', 'set', 'openssl', 'CVE-2019-0190', 'not-affected', '--justification', 'component-not-present', '--author', 'ann@example.org', ...db()])).toMatchObject({ status: 0 });
    const summary = async (today: string) => {
      const result = await runCli(['query', 'summary', ...db()], today);
      expect(result).toMatchObject({ status: 0, stderr: '' });
      return result.stdout.split('\n').slice(1, 2).map((line) => line.split(/\s+/).slice(0, 4).join(' '))[0];
    };
    // The sample's three vulnerable pairs, one triaged not-affected: two open.
    expect((await runCli(['query', 'summary', ...db()], '2026-01-01')).stdout.split('\n')[0]).toMatch(/^BRANCH\s+REPO\s+OPEN\s+VULNERABLE\s+FIXED/);
    expect(await summary('2026-01-01')).toBe('3.16 main 2 3');
    await store().db.updateTable('branch').set({ end_of_support: '2026-01-31' }).where('name', '=', '3.16').execute();
    expect(await summary('2026-01-31')).toBe('3.16 main 2 3');
    expect(await summary('2026-02-01')).toBe('3.16 main end-of-life 3');
    const rows = await runJson<{ branch: string; open: number; endOfLife: boolean }[]>(['query', 'summary', '--json', ...db()], '2026-02-01');
    expect(rows.map(({ branch, open, endOfLife }) => ({ branch, open, endOfLife }))).toEqual([{ branch: '3.16', open: 0, endOfLife: true }]);

    const states = await runJson<{ cve: string; status: string; resolution: string }[]>(['query', 'states', '--json', ...db()], '2026-02-01');
    expect(states.map((row) => [row.cve, row.status, row.resolution])).toEqual([
      ['CVE-2023-0001', 'end-of-life', 'end-of-life'],
      ['CVE-2023-38545', 'end-of-life', 'end-of-life'],
      ['CVE-2019-0190', 'not-affected', 'resolved'],
    ]);
    expect(await runJson<unknown[]>(['triage', 'queue', '--json', ...db()], '2026-02-01')).toEqual([]);
    expect(await runJson<unknown[]>(['triage', 'queue', '--json', ...db()], '2026-01-31')).toHaveLength(2);
  });

  it('exports rejections that a fresh database imports as the same decisions', async () => {
    await runCli(['triage', 'set', 'openssl', 'CVE-2019-0190', 'not-affected', '--justification', 'vulnerable-code-not-in-execute-path', '--note', 'mod_ssl is httpd', '--author', 'ann@example.org', ...db()]);
    const exported = await runCli(['export', 'rejections', '--repo', 'main', ...db()]);
    expect(exported).toEqual({ status: 0, stdout: '"openssl":\n  # justification: vulnerable-code-not-in-execute-path\n  # mod_ssl is httpd\n  - "CVE-2019-0190"\n', stderr: '' });
    const file = join(dir, 'main.yaml');
    writeFileSync(file, exported.stdout);
    const fresh = await openTestStore(backend);
    try {
      expect((await runCli(['import', 'rejections', '--db', fresh.url, file])).status).toBe(0);
      expect(await runCli(['export', 'rejections', '--db', fresh.url])).toEqual(exported);
    } finally {
      await fresh.dispose();
    }
  });
});
