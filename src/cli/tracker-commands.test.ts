import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { STATE_NAMES } from '../engine/index.js';
import { createDemoDatabase, isDemoDatabase, openDatabase } from '../store/index.js';
import { repoPath } from '../test-support/paths.js';
import { compareVersions } from '../version/index.js';
import { runCli } from '../test-support/cli.js';

/*
 * `update`, `query`, `check`, `sync` and `demo` run in-process through `main`, on SQLite files in
 * a temporary folder, with the real v3.16 sample.
 */

/** Runs a command that must succeed silently on stderr and print one JSON document. */
async function runJson<T>(argv: string[]): Promise<T> {
  const result = await runCli(argv);
  expect(result, argv.join(' ')).toMatchObject({ status: 0, stderr: '' });
  return JSON.parse(result.stdout) as T;
}

const SAMPLE = repoPath('data', 'alpine-sample');
const INDEX = join(SAMPLE, 'apkindex', 'v3.16-main-x86_64', 'APKINDEX.tar.gz');
const KEYS = join(SAMPLE, 'keys');
const MAIN = join(SAMPLE, 'secdb', 'v3.16', 'main.json');
const COMMUNITY = join(SAMPLE, 'secdb', 'v3.16', 'community.json');
const NVD_2023 = join(SAMPLE, 'nvd', 'feed-1.1', 'nvdcve-1.1-2023.json');
const NVD_2_0 = join(SAMPLE, 'nvd', 'api-2.0', 'nvdcve-2.0-sample.json');
const dir = mkdtempSync(join(tmpdir(), 'secfix-cli-tracker-'));

interface StateRow {
  branch: string;
  repo: string;
  package: string;
  version: string | null;
  cve: string;
  state: string;
  fixedVersion: string | null;
  evidence: { kind: string; version?: string }[];
}

interface UpdateJson {
  mode: string;
  branches: number;
  originsRecomputed: number;
  pairs: number;
  written: number;
  transitions: number;
  deleted: number;
}

interface SummaryRow {
  branch: string;
  repo: string;
  counts: Record<string, number>;
}

interface SecdbFile {
  packages: { pkg: { name: string; secfixes: Record<string, string[] | null> | null } }[];
}

describe('secfix update, query and check on the v3.16 sample', () => {
  const db = `sqlite:${join(dir, 'tracker.db')}`;
  let firstUpdate: UpdateJson;

  beforeAll(async () => {
    for (const argv of [
      ['import', 'apkindex', '--db', db, '--branch', '3.16', '--repo', 'main', '--keys', KEYS, INDEX],
      ['import', 'secdb', '--db', db, MAIN],
      ['import', 'secdb', '--db', db, COMMUNITY],
      ['import', 'nvd', '--db', db, NVD_2023, NVD_2_0],
    ]) {
      expect(await runCli(argv)).toMatchObject({ status: 0, stderr: '' });
    }
    firstUpdate = await runJson<UpdateJson>(['update', '--db', db, '--json']);
  });

  it('update --json prints the summary; a second update has nothing to do, --full rewrites nothing', async () => {
    // Every pair is new: each one written is a first state, so a transition; over no states the update is full.
    expect(firstUpdate).toMatchObject({ mode: 'full', branches: 1, deleted: 0 });
    expect(firstUpdate.pairs).toBeGreaterThan(0);
    expect(firstUpdate.written).toBe(firstUpdate.pairs);
    expect(firstUpdate.transitions).toBe(firstUpdate.written);
    expect(await runJson<UpdateJson>(['update', '--db', db, '--json'])).toMatchObject({ mode: 'incremental', pairs: 0, written: 0 });
    expect(await runJson<UpdateJson>(['update', '--db', db, '--full', '--json'])).toMatchObject({ mode: 'full', pairs: firstUpdate.pairs, written: 0, transitions: 0, deleted: 0 });
    const text = await runCli(['update', '--db', db]);
    expect(text).toMatchObject({ status: 0, stderr: '' });
    expect(text.stdout).toMatch(/^incremental update in \d+ ms: 0 packages recomputed over 0 branches, 0 pairs, 0 states written, 0 state changes, 0 removed\n$/);
  });

  it('query states --json gives one row per pair with its fields; v3.16 and a lower-case id are accepted', async () => {
    const rows = await runJson<StateRow[]>(['query', 'states', '--db', db, '--json', '--branch', 'v3.16', '--package', 'busybox', '--cve', 'cve-2023-42366']);
    // busybox lists CVE-2023-42366 under 1.35.0-r18; the index publishes 1.35.0-r17.
    expect(rows).toEqual([
      {
        branch: '3.16',
        repo: 'main',
        package: 'busybox',
        version: '1.35.0-r17',
        cve: 'CVE-2023-42366',
        state: 'vulnerable',
        fixedVersion: '1.35.0-r18',
        evidence: [
          { kind: 'secfix', repo: 'main', version: '1.35.0-r18', text: 'CVE-2023-42366' },
          { kind: 'published-version', repo: 'main', version: '1.35.0-r17' },
        ],
        // No triage: the computed state rules, and a vulnerable pair is open.
        computedState: 'vulnerable',
        triage: null,
        status: 'vulnerable',
        resolution: 'open',
        needsReview: false,
      },
    ]);
    expect(Object.keys(rows[0] ?? {})).toEqual(['branch', 'repo', 'package', 'version', 'cve', 'state', 'fixedVersion', 'evidence', 'computedState', 'triage', 'status', 'resolution', 'needsReview']);
  });

  it('query states filters by state and repository', async () => {
    // openssh publishes 9.0_p1-r2: every secfix line above it is a vulnerable pair fixed in that line.
    const secdb = JSON.parse(readFileSync(MAIN, 'utf8')) as SecdbFile;
    const openssh = secdb.packages.find((entry) => entry.pkg.name === 'openssh')?.pkg.secfixes ?? {};
    const pending = Object.entries(openssh).filter(([version]) => version !== '0' && compareVersions(version, '9.0_p1-r2') > 0);
    expect(pending.length).toBeGreaterThan(0);
    const vulnerable = await runJson<StateRow[]>(['query', 'states', '--db', db, '--json', '--package', 'openssh', '--state', 'vulnerable']);
    expect(vulnerable.every((row) => row.package === 'openssh' && row.state === 'vulnerable' && row.version === '9.0_p1-r2')).toBe(true);
    for (const [version, ids] of pending) {
      for (const entry of ids ?? []) {
        const id = entry.split(/\s+/)[0];
        expect(vulnerable.find((row) => row.cve === id), `${id} ${version}`).toBeDefined();
      }
    }
    expect(vulnerable.find((row) => row.cve === 'CVE-2023-48795')?.fixedVersion).toBe('9.0_p1-r5');

    // Community has no index: its pairs have no version, so none is judged vulnerable or fixed.
    const community = await runJson<StateRow[]>(['query', 'states', '--db', db, '--json', '--repo', 'community']);
    expect(community.length).toBeGreaterThan(0);
    expect(community.every((row) => row.repo === 'community' && row.version === null && row.state !== 'vulnerable' && row.state !== 'fixed')).toBe(true);
    expect(community.find((row) => row.package === 'sudo' && row.cve === 'CVE-2021-3156')).toMatchObject({ fixedVersion: '1.9.5p2-r0' });

    // The text form prints a table and the number of pairs, the same as the JSON rows.
    const text = await runCli(['query', 'states', '--db', db, '--package', 'openssh', '--state', 'vulnerable']);
    expect(text.status).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^BRANCH +REPO +PACKAGE +VERSION +CVE +STATE +FIXED IN +STATUS$/);
    expect(lines.at(-1)).toBe(`${vulnerable.length} pairs`);
    expect(lines).toHaveLength(vulnerable.length + 2);
  });

  it('query summary --json counts the pairs query states lists, per repository and state', async () => {
    const all = await runJson<StateRow[]>(['query', 'states', '--db', db, '--json']);
    const summary = await runJson<SummaryRow[]>(['query', 'summary', '--db', db, '--json']);
    expect(summary.map(({ branch, repo }) => `${branch}/${repo}`)).toEqual(['3.16/community', '3.16/main']);
    for (const { branch, repo, counts } of summary) {
      // Every state name is present, zero or not.
      expect(Object.keys(counts)).toEqual([...STATE_NAMES]);
      for (const name of STATE_NAMES) {
        expect(counts[name], `${branch}/${repo} ${name}`).toBe(all.filter((row) => row.branch === branch && row.repo === repo && row.state === name).length);
      }
    }
    expect(all.length).toBe(firstUpdate.written);
  });

  it('check exits 1 listing its findings and the repositories it could not check', async () => {
    const result = await runCli(['check', '--db', db]);
    expect(result).toMatchObject({ status: 1, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    // expat publishes 2.5.0-r0; its 2.6.0-r0 line is newer than anything the index had.
    expect(lines).toContain('3.16/main expat: fix-version-not-in-index: expat 2.6.0-r0 never appeared in an index of 3.16');
    // NVD 2023 lists CVE-2023-39418 for PostgreSQL 15.0 to 15.4 only; postgresql14's fix is below that.
    expect(lines).toContain('3.16/main postgresql14: fix-below-affected-range: fix 14.9 is older than every NVD range of CVE-2023-39418 for postgresql14: >=15.0 <15.4');
    expect(lines).toContain('3.16/community: not checked, no index imported');
    const report = await runCli(['check', '--db', db, '--json']);
    expect(report.status).toBe(1);
    const { findings, skipped } = JSON.parse(report.stdout) as { findings: { kind: string }[]; skipped: unknown[] };
    expect(skipped).toEqual([{ branch: '3.16', repo: 'community' }]);
    // One line per finding, one per skipped repo, and the totals: notes to confirm apart from problems.
    const notes = findings.filter((finding) => finding.kind === 'introduced-after-published' || finding.kind === 'sources-disagree').length;
    expect(lines.at(-1)).toBe(`${findings.length - notes} problems found, ${notes} notes to confirm`);
    expect(lines).toHaveLength(findings.length + skipped.length + 1);
  });

  it('check exits 0 when nothing can be found: without an index every repository is skipped', async () => {
    const bare = `sqlite:${join(dir, 'secdb-only.db')}`;
    expect((await runCli(['import', 'secdb', '--db', bare, MAIN])).status).toBe(0);
    expect(await runCli(['check', '--db', bare])).toEqual({ status: 0, stdout: '3.16/main: not checked, no index imported\n0 problems found, 0 notes to confirm\n', stderr: '' });
  });

  it('query runs lists the import runs newest first, with their counts; --limit bounds them', async () => {
    const runs = await runJson<{ kind: string; status: string; counts: Record<string, number> | null; source: string }[]>(['query', 'runs', '--db', db, '--json']);
    // The four imports of the set-up (NVD's two files are two runs), newest first.
    expect(runs.map((run) => `${run.kind} ${run.status}`)).toEqual(['nvd ok', 'nvd ok', 'secdb ok', 'secdb ok', 'apkindex ok']);
    expect(runs[0]?.source).toBe(NVD_2_0);
    expect(runs.at(-1)?.counts).toMatchObject({ originVersions: expect.any(Number) as number });
    const text = await runCli(['query', 'runs', '--db', db, '--limit', '2']);
    expect(text).toMatchObject({ status: 0, stderr: '' });
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +STARTED +KIND +STATUS +MS +SOURCE +ERROR$/);
    expect(lines.slice(1).map((line) => line.split(/ +/)[2])).toEqual(['nvd', 'nvd']);
    expect((await runCli(['query', 'runs', '--db', db, '--limit', '0'])).status).toBe(2);
  });

  it('query states --state with an unknown state exits 2 naming the allowed ones', async () => {
    const result = await runCli(['query', 'states', '--db', db, '--state', 'bogus']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe("secfix: option '--state <state>' argument 'bogus' is invalid. Allowed choices are vulnerable, fixed, not-affected, rejected, unknown; see --help\n");
  });
});

describe('secfix sync and demo', () => {
  it('sync --config imports the local files a config names (relative to its folder), then finds them unchanged', async () => {
    const configDir = mkdtempSync(join(dir, 'config-'));
    const local = (path: string) => relative(configDir, path);
    const config = join(configDir, 'secfix.yaml');
    writeFileSync(
      config,
      `keys: ${local(KEYS)}
branches:
  - name: "3.16"
    architectures: [x86_64]
    repositories:
      - name: main
        index: ${local(join(SAMPLE, 'apkindex', 'v3.16-main-{arch}', 'APKINDEX.tar.gz'))}
        secdb: ${local(MAIN)}
nvd:
  - ${local(NVD_2_0)}
`,
    );
    const db = `sqlite:${join(dir, 'sync.db')}`;
    const first = await runJson<{ sources: { kind: string; location: string; status: string }[]; update: UpdateJson }>(['sync', '--config', config, '--db', db, '--json']);
    // Paths are read from the config's folder, and reported absolute.
    expect(first.sources.map(({ kind, location, status }) => `${kind} ${status} ${location}`)).toEqual([`apkindex imported ${INDEX}`, `secdb imported ${MAIN}`, `nvd imported ${NVD_2_0}`]);
    expect(first.update).toMatchObject({ mode: 'full', branches: 1 });
    expect(first.update.pairs).toBeGreaterThan(0);
    // The 2.0 sample holds CVE-2021-42374: busybox's line 1.34.0-r0 fixes it in 1.35.0-r17.
    const busybox = await runJson<StateRow[]>(['query', 'states', '--db', db, '--json', '--package', 'busybox', '--cve', 'CVE-2021-42374']);
    expect(busybox).toMatchObject([{ state: 'fixed', fixedVersion: '1.34.0-r0' }]);

    const second = await runCli(['sync', '--config', config, '--db', db]);
    expect(second).toMatchObject({ status: 0, stderr: '' });
    expect(second.stdout.split('\n').filter((line) => line.includes(' unchanged '))).toHaveLength(3);
    expect(second.stdout).toMatch(/\n {2}update {5}0 pairs decided, 0 states written, 0 changes, 0 removed \(\d+ ms\)\n$/);
  });

  it('sync exits 2 when a source fails, after importing the others and updating, with a line per source', async () => {
    const configDir = mkdtempSync(join(dir, 'config-'));
    const missing = join(configDir, 'missing-nvd.json');
    const config = join(configDir, 'secfix.yaml');
    writeFileSync(config, `branches:\n  - name: "3.16"\n    architectures: [x86_64]\n    repositories:\n      - name: main\n        secdb: ${MAIN}\nnvd:\n  - ${missing}\n  - ${NVD_2_0}\n`);
    const result = await runCli(['sync', '--config', config, '--db', `sqlite:${join(dir, 'sync-failed.db')}`]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('secfix: 1 of 3 sources failed; the others were imported and states updated\n');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^ {2}secdb {6}imported {3}${MAIN} \\(`));
    expect(lines[1]).toBe(`  nvd        failed     ${missing}: ${missing}: no such file`);
    expect(lines[2]).toMatch(/^ {2}nvd {8}imported /);
    expect(lines[3]).toMatch(/^ {2}update {5}\d+ pairs decided/);
  });

  it('sync --config with a missing file exits 2 with one line naming it', async () => {
    const missing = join(dir, 'missing.yaml');
    expect(await runCli(['sync', '--config', missing, '--db', `sqlite:${join(dir, 'unused.db')}`])).toEqual({ status: 2, stdout: '', stderr: `secfix: ${missing}: no such file\n` });
  });

  it('demo --json replaces an earlier demo database with a fresh one from the 20 bundled sources, covering 3.14, 3.16 and 3.17', async () => {
    const file = join(dir, 'demo.db');
    createDemoDatabase(file);
    const { sql } = await import('kysely');
    const earlier = await openDatabase(`sqlite:${file}`);
    await sql`create table left_by_an_earlier_demo (x integer)`.execute(earlier.db);
    await earlier.close();
    const demo = await runJson<{ database: string; sync: { sources: { status: string }[]; update: UpdateJson }; summary: SummaryRow[] }>(['demo', '--file', file, '--json']);
    expect(demo.database).toBe(file);
    // data/demo.yaml: 2 indexes (3.17 aarch64, 3.16 x86_64), 6 secdb files (main and community of
    // three branches), 12 NVD files, no rejections.
    expect(demo.sync.sources).toHaveLength(20);
    expect(demo.sync.sources.every((item) => item.status === 'imported')).toBe(true);
    expect(demo.sync.update.pairs).toBeGreaterThan(0);
    expect([...new Set(demo.summary.map((row) => row.branch))]).toEqual(['3.14', '3.16', '3.17']);
    // A fresh database: every pair decided is counted once in the summary.
    const counted = demo.summary.reduce((total, row) => total + Object.values(row.counts).reduce((sum, count) => sum + count, 0), 0);
    expect(counted).toBe(demo.sync.update.written);
    // 3.14 has no index: nothing published to judge a fix against, so nothing vulnerable or fixed.
    for (const row of demo.summary.filter(({ branch }) => branch === '3.14')) expect(row.counts).toMatchObject({ vulnerable: 0, fixed: 0 });
    // What this demo built is one the next demo may replace; the earlier one's table is gone.
    expect(await isDemoDatabase(file)).toBe(true);
    const built = await openDatabase(`sqlite:${file}`);
    expect((await built.db.introspection.getTables()).map((table) => table.name)).not.toContain('left_by_an_earlier_demo');
    await built.close();
  });
});
