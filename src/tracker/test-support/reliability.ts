import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { type Store, openDatabase, withWriteLock } from '../../store/index.js';
import { type Backend, openTestStore } from '../../test-support/databases.js';
import { repoPath } from '../../test-support/paths.js';

/*
 * Helpers for the reliability tests: the built CLI run in child processes (one command, or a
 * whole import sequence that can be killed at any moment), digests of what the database holds
 * that do not depend on generated ids or clocks, and a watcher that holds secfix's write lock
 * and checks nobody else commits meanwhile.
 */

export const SECFIX_BIN = repoPath('bin', 'secfix.js');
/** The command line's bundle (scripts/bundle.js), named with its content hash. */
const CLI_MAIN = repoPath('dist', 'bundle', readdirSync(repoPath('dist', 'bundle')).find((name) => /^secfix-\w+\.cjs$/.test(name)) ?? 'secfix-missing.cjs');

export const SAMPLE = {
  keys: repoPath('data', 'alpine-sample', 'keys'),
  apkindex: repoPath('data', 'alpine-sample', 'apkindex', 'v3.16-main-x86_64', 'APKINDEX.tar.gz'),
  secdb: repoPath('data', 'alpine-sample', 'secdb', 'v3.16', 'main.json'),
  nvd: repoPath('data', 'alpine-sample', 'nvd', 'api-2.0', 'nvdcve-2.0-sample.json'),
} as const;

// ---------------------------------------------------------------------------------------------
// Inputs

interface NvdItem {
  cve: { id: string; configurations?: { nodes: { cpeMatch: { criteria: string }[] }[] }[] };
}
interface NvdFeed {
  resultsPerPage?: number;
  totalResults: number;
  vulnerabilities: NvdItem[];
}

/**
 * An NVD 2.0 feed of the real sample records followed by `copies` copies of them under fresh ids
 * (`CVE-2099-1000000` on), so the records still map to Alpine packages. Returns its path and record count.
 */
export async function writeBigNvdFeed(dir: string, copies: number, name = 'nvdcve-2.0-big.json'): Promise<{ path: string; records: number }> {
  const sample = JSON.parse(await readFile(SAMPLE.nvd, 'utf8')) as NvdFeed;
  const templates = sample.vulnerabilities;
  const vulnerabilities = [...templates];
  for (let i = 0; i < copies; i += 1) {
    const copy = structuredClone(templates[i % templates.length]!);
    copy.cve.id = `CVE-2099-${1_000_000 + i}`;
    vulnerabilities.push(copy);
  }
  const feed: NvdFeed = { ...sample, resultsPerPage: vulnerabilities.length, totalResults: vulnerabilities.length, vulnerabilities };
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(feed));
  return { path, records: vulnerabilities.length };
}

/**
 * A copy of an NVD 2.0 feed whose record `index` has an invalid first criterion (too few CPE
 * fields). Returns the path and the JSON path of the broken criterion.
 */
export async function writeCorruptNvdFeed(goodFeed: string, dir: string, index: number): Promise<{ path: string; place: string }> {
  const feed = JSON.parse(await readFile(goodFeed, 'utf8')) as NvdFeed;
  const record = feed.vulnerabilities[index];
  const match = record?.cve.configurations?.[0]?.nodes[0]?.cpeMatch[0];
  if (match === undefined) throw new Error(`record ${index} of ${goodFeed} has no criterion to break`);
  match.criteria = 'cpe:2.3:a:busybox:busybox';
  const path = join(dir, `corrupt-${basename(goodFeed)}`);
  await writeFile(path, JSON.stringify(feed));
  return { path, place: `$.vulnerabilities[${index}].cve.configurations[0].nodes[0].cpeMatch[0].criteria` };
}

/** The import sequence of the tests, as CLI argument lists: index, secdb, a big NVD feed, then update. */
export function importSequence(url: string, nvdFeed: string): { readonly name: string; readonly argv: readonly string[] }[] {
  return [
    { name: 'import apkindex', argv: ['import', 'apkindex', '--db', url, '--branch', '3.16', '--repo', 'main', '--keys', SAMPLE.keys, SAMPLE.apkindex] },
    { name: 'import secdb', argv: ['import', 'secdb', '--db', url, SAMPLE.secdb] },
    { name: 'import nvd', argv: ['import', 'nvd', '--db', url, nvdFeed] },
    { name: 'update', argv: ['update', '--db', url] },
  ];
}

// ---------------------------------------------------------------------------------------------
// Child processes

export interface ChildResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** `performance.now()` of the spawn and of the end (all output read). */
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface ChildRun {
  readonly child: ChildProcess;
  readonly startedAt: number;
  readonly done: Promise<ChildResult>;
  /** SIGKILLs the process if it is still running; true when it was. */
  kill(): boolean;
}

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env['SECFIX_DB'];
  return env;
}

function track(child: ChildProcess, timeoutMs: number, onStderr?: (text: string) => void): ChildRun {
  const startedAt = performance.now();
  let stdout = '';
  let stderr = '';
  let running = true;
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    onStderr?.(text);
  });
  // A child that outlives its time limit is killed; its result then says SIGKILL and `timedOut`.
  const timer = setTimeout(() => {
    if (running) {
      stderr += `\n[test] killed after ${timeoutMs} ms: the child did not finish in time\n`;
      child.kill('SIGKILL');
    }
  }, timeoutMs);
  const done = new Promise<ChildResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => (running = false));
    child.on('close', (status, signal) => {
      running = false;
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, startedAt, endedAt: performance.now() });
    });
  });
  return {
    child,
    startedAt,
    done,
    kill() {
      if (!running) return false;
      return child.kill('SIGKILL');
    },
  };
}

/** Starts `node bin/secfix.js ARGV...`. */
export function startCli(argv: readonly string[], timeoutMs = 60_000): ChildRun {
  const child = spawn(process.execPath, [SECFIX_BIN, ...argv], { cwd: repoPath(), env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  return track(child, timeoutMs);
}

/** Runs `node bin/secfix.js ARGV...` to its end. */
export function runCli(argv: readonly string[], timeoutMs = 60_000): Promise<ChildResult> {
  return startCli(argv, timeoutMs).done;
}

const MARK = '@@secfix-test';

/**
 * One child process running several secfix commands in turn through the built CLI's `main`
 * (what `bin/secfix.js` runs), stopping at the first that fails: one process for the whole
 * sequence, so a SIGKILL can land anywhere in it, not mostly in Node's start-up. It writes a
 * marker line to stderr before and after each command (stderr writes to a pipe are synchronous,
 * so every marker written before a kill is read). With `pause`, it waits for a line on stdin
 * before each command, so the test can look at the database between commands.
 */
const SEQUENCE_DRIVER = `
import { createInterface } from 'node:readline';
const { main } = await import(${JSON.stringify(pathToFileURL(CLI_MAIN).href)});
const steps = JSON.parse(process.env.SECFIX_TEST_SEQUENCE);
const lines = process.env.SECFIX_TEST_PAUSE === '1' ? createInterface({ input: process.stdin })[Symbol.asyncIterator]() : undefined;
process.stderr.write('${MARK} ready\\n');
for (const [index, argv] of steps.entries()) {
  if (lines !== undefined) await lines.next();
  process.stderr.write('${MARK} start ' + index + '\\n');
  const status = await main(argv);
  process.stderr.write('${MARK} end ' + index + ' ' + status + '\\n');
  if (status !== 0) process.exit(status);
}
process.exit(0);
`;

export interface SequenceMarker {
  readonly event: 'ready' | 'start' | 'end';
  readonly step: number;
  readonly status?: number;
  /** `performance.now()` when the test read it. */
  readonly at: number;
}

export interface SequenceRun extends ChildRun {
  readonly markers: SequenceMarker[];
  /** Resolves when a marker matching `event` (and `step`) has been read. */
  waitFor(event: SequenceMarker['event'], step?: number): Promise<SequenceMarker>;
  /** With `pause`: lets the next command start. */
  proceed(): void;
}

export function startSequence(steps: readonly (readonly string[])[], options: { pause?: boolean; timeoutMs?: number } = {}): SequenceRun {
  const pause = options.pause === true;
  const child = spawn(process.execPath, ['--input-type=module', '--eval', SEQUENCE_DRIVER], {
    cwd: repoPath(),
    env: childEnv({ SECFIX_TEST_SEQUENCE: JSON.stringify(steps), SECFIX_TEST_PAUSE: pause ? '1' : '0' }),
    stdio: [pause ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const markers: SequenceMarker[] = [];
  const waiters: { matches: (marker: SequenceMarker) => boolean; resolve: (marker: SequenceMarker) => void }[] = [];
  let partial = '';
  const run = track(child, options.timeoutMs ?? 120_000, (text) => {
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    const at = performance.now();
    for (const line of lines) {
      if (!line.startsWith(`${MARK} `)) continue;
      const [event, step, status] = line.slice(MARK.length + 1).split(' ');
      const marker: SequenceMarker = {
        event: event as SequenceMarker['event'],
        step: step === undefined ? -1 : Number(step),
        ...(status === undefined ? {} : { status: Number(status) }),
        at,
      };
      markers.push(marker);
      for (let i = waiters.length - 1; i >= 0; i -= 1) {
        const waiter = waiters[i]!;
        if (!waiter.matches(marker)) continue;
        waiters.splice(i, 1);
        waiter.resolve(marker);
      }
    }
  });
  return {
    ...run,
    markers,
    waitFor(event, step) {
      const matches = (marker: SequenceMarker) => marker.event === event && (step === undefined || marker.step === step);
      const seen = markers.find(matches);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ matches, resolve });
        void run.done.then((result) => {
          if (!markers.some(matches)) reject(new Error(`the sequence ended (${result.status ?? result.signal}) before "${event} ${step ?? ''}":\n${result.stderr}`));
        });
      });
    },
    proceed() {
      child.stdin?.write('\n');
    },
  };
}

/** Runs a sequence to its end. */
export function runSequence(steps: readonly (readonly string[])[], timeoutMs = 120_000): Promise<ChildResult> {
  return startSequence(steps, { timeoutMs }).done;
}

// ---------------------------------------------------------------------------------------------
// Digests

/**
 * Import runs and the data-version counter are left out: every attempt, even a killed one, adds a
 * run and bumps the counter. So are the page summaries: a cache of the pages, stamped with the
 * data version and time they were built at.
 */
const RUN_TABLES = new Set(['import_run', 'data_version', 'page_summary']);

/** Generated-id columns, replaced by the natural name of the row they point at. */
const REFERENCES: Readonly<Record<string, string>> = {
  branch_id: 'branch',
  repository_id: 'repository',
  source_package_id: 'source_package',
  package_version_id: 'package_version',
  import_run_id: 'import_run',
};
/** Clock readings (`created_at`, `first_seen`, ...): only whether they are set is compared. */
const TIME_COLUMN = /(_at|_seen)$/;

async function rowsOf(store: Store, table: string): Promise<Record<string, unknown>[]> {
  const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(store.db);
  return rows;
}

/** The name of the row `id` points at; a dangling id shows as `?table#id`. */
function nameOf(names: Record<string, Map<unknown, string>>, table: string, id: unknown): string {
  return names[table]?.get(id) ?? `?${table}#${JSON.stringify(id)}`;
}

/** Names for the rows generated ids point at: `3.16`, `3.16/main`, `3.16/main/zlib`, `3.16/main/zlib@1.2.12-r3`. */
async function naturalNames(store: Store): Promise<Record<string, Map<unknown, string>>> {
  const names: Record<string, Map<unknown, string>> = {};
  const name = (table: string, id: unknown) => nameOf(names, table, id);
  names['branch'] = new Map((await rowsOf(store, 'branch')).map((row) => [row['id'], String(row['name'])]));
  names['repository'] = new Map((await rowsOf(store, 'repository')).map((row) => [row['id'], `${name('branch', row['branch_id'])}/${String(row['name'])}`]));
  names['source_package'] = new Map(
    (await rowsOf(store, 'source_package')).map((row) => [row['id'], `${name('repository', row['repository_id'])}/${String(row['name'])}`]),
  );
  names['package_version'] = new Map(
    (await rowsOf(store, 'package_version')).map((row) => [row['id'], `${name('source_package', row['source_package_id'])}@${String(row['version'])}`]),
  );
  names['import_run'] = new Map((await rowsOf(store, 'import_run')).map((row) => [row['id'], `${String(row['kind'])} ${String(row['source'])}`]));
  return names;
}

/**
 * One digest per data table (import runs left out), comparable between databases of the same
 * backend: generated ids become the names of what they point at, clock readings become "set or
 * not", rows are compared as a set. Two databases that went through the same imports and updates
 * have equal digests; a half-written import shows in at least one table.
 */
export async function contentDigests(store: Store): Promise<Record<string, string>> {
  const names = await naturalNames(store);
  const tables = (await store.db.introspection.getTables()).map((table) => table.name).filter((name) => !RUN_TABLES.has(name));
  const digests: Record<string, string> = {};
  for (const table of tables.sort()) {
    const rows = (await rowsOf(store, table)).map((row) => {
      const normalized: Record<string, unknown> = {};
      for (const column of Object.keys(row).sort()) {
        const value = row[column];
        const target = REFERENCES[column];
        if (column === 'id' && typeof value === 'number') continue;
        if (target !== undefined) normalized[column] = value === null ? null : nameOf(names, target, value);
        else if (TIME_COLUMN.test(column)) normalized[column] = value !== null;
        else normalized[column] = value;
      }
      return JSON.stringify(normalized);
    });
    digests[table] = `${rows.length}:${createHash('sha256').update(rows.sort().join('\n')).digest('hex').slice(0, 16)}`;
  }
  return digests;
}

/** A digest of the state table (what `secfix update` decided), by branch and repository name, without `updated_at`. */
export async function stateDigest(store: Store): Promise<string> {
  const { rows } = await sql<Record<string, unknown>>`
    select b.name as branch, r.name as repo, s.package, s.vulnerability_id, s.state, s.version, s.fixed_version, s.evidence
    from state s join repository r on r.id = s.repository_id join branch b on b.id = r.branch_id`.execute(store.db);
  const lines = rows.map((row) => JSON.stringify(row)).sort();
  return `${lines.length}:${createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16)}`;
}

/** Index of the snapshot `digests` equals, or -1. */
export function snapshotIndex(snapshots: readonly Record<string, string>[], digests: Record<string, string>): number {
  const key = JSON.stringify(digests);
  return snapshots.findIndex((snapshot) => JSON.stringify(snapshot) === key);
}

/** The tables whose digests differ, for failure messages. */
export function differingTables(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((table) => a[table] !== b[table]).sort();
}

/**
 * Checks the state history tells one story per pair: the first row starts from nothing, each
 * row starts from the state the previous one ended in, and the last one ends in the stored state.
 * Two updates interleaving would break a chain. Returns the problems found (at most 10).
 */
export async function historyProblems(store: Store): Promise<string[]> {
  const { rows: history } = await sql<{ repository_id: number; package: string; vulnerability_id: string; old_state: string | null; new_state: string | null }>`
    select repository_id, package, vulnerability_id, old_state, new_state from state_history order by id`.execute(store.db);
  const { rows: states } = await sql<{ repository_id: number; package: string; vulnerability_id: string; state: string }>`
    select repository_id, package, vulnerability_id, state from state`.execute(store.db);
  const key = (row: { repository_id: number; package: string; vulnerability_id: string }) => `${row.repository_id}/${row.package}/${row.vulnerability_id}`;
  const problems: string[] = [];
  const last = new Map<string, string | null>();
  for (const row of history) {
    const pair = key(row);
    const previous = last.has(pair) ? last.get(pair)! : null;
    if (row.old_state !== previous) problems.push(`${pair}: history goes ${String(previous)} then ${String(row.old_state)} -> ${String(row.new_state)}`);
    last.set(pair, row.new_state);
  }
  const stored = new Map(states.map((row) => [key(row), row.state]));
  for (const [pair, state] of stored) if (last.get(pair) !== state) problems.push(`${pair}: stored ${state}, history ends in ${String(last.get(pair))}`);
  for (const [pair, state] of last) if (state !== null && !stored.has(pair)) problems.push(`${pair}: history ends in ${state}, but no state is stored`);
  return problems.slice(0, 10);
}

export async function countRows(store: Store, table: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(store.db);
  return Number(rows[0]?.n);
}

// ---------------------------------------------------------------------------------------------
// The write lock

/**
 * Milliseconds until `withWriteLock` got the lock on the database at `url`, through a connection
 * of its own; rejects when it waited more than `timeoutMs`. The waiting connection is then left
 * to end with the database (dropping a test database ends its connections), not waited for.
 */
export async function timeWriteLock(url: string, timeoutMs: number): Promise<number> {
  const store = await openDatabase(url);
  const started = performance.now();
  const locked = withWriteLock(store, () => Promise.resolve(performance.now() - started));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  let outcome: number | 'timeout';
  try {
    outcome = await Promise.race([locked, timeout]);
  } catch (error) {
    await store.close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  if (outcome === 'timeout') {
    void locked.catch(() => {}).finally(() => store.close().catch(() => {}));
    throw new Error(`the write lock was still taken after ${timeoutMs} ms`);
  }
  await store.close();
  return outcome;
}

/** Everything a writer changes shows in this row; it must not move while someone else holds the lock. */
const CHANGE_FINGERPRINT = sql<Record<string, unknown>>`select
  (select count(*) from import_run) as runs,
  (select count(*) from import_run where finished_at is not null) as finished_runs,
  (select count(*) from vulnerability) as vulnerabilities,
  (select count(*) from cpe_criterion) as criteria,
  (select count(*) from package_version) as versions,
  (select count(*) from secfix) as secfixes,
  (select count(*) from state) as states,
  (select count(*) from state_history) as transitions,
  (select count(*) from dirty) as dirty`;

export interface LockWatch {
  /** How many times the watcher held the lock. */
  readonly holds: number;
  /** Holds during which another process committed something. */
  readonly violations: string[];
}

/**
 * While `running()` is true, repeatedly takes secfix's write lock through one connection and,
 * holding it for `holdMs`, reads what the database holds through another connection at the start
 * and the end: with the lock working, no import or update can commit in between.
 */
export async function watchWriteLock(url: string, running: () => boolean, holdMs = 40): Promise<LockWatch> {
  const holder = await openDatabase(url);
  const reader = await openDatabase(url);
  let holds = 0;
  const violations: string[] = [];
  const fingerprint = async () => JSON.stringify((await CHANGE_FINGERPRINT.execute(reader.db)).rows[0]);
  try {
    while (running()) {
      await withWriteLock(holder, async () => {
        const before = await fingerprint();
        await new Promise((resolve) => setTimeout(resolve, holdMs));
        const after = await fingerprint();
        holds += 1;
        if (after !== before) violations.push(`while the test held the write lock: ${before} became ${after}`);
      });
      await new Promise((resolve) => setTimeout(resolve, holdMs / 2));
    }
  } finally {
    await holder.close();
    await reader.close();
  }
  return { holds, violations };
}

// ---------------------------------------------------------------------------------------------

/** A small seeded generator (mulberry32), so the random kill moments can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// ---------------------------------------------------------------------------------------------
// The reference run

export interface Reference {
  /** Content digests before the sequence (index 0) and after each of its commands. */
  readonly snapshots: Record<string, string>[];
  readonly stateDigest: string;
  readonly vulnerabilities: number;
  readonly states: number;
  /** From spawning the sequence's process until it is ready to run the first command. */
  readonly startupMs: number;
  /** How long each command took. */
  readonly stepMs: number[];
}

/**
 * Runs the import sequence once, command by command, into a fresh database, recording the content
 * digests between commands and how long each command takes.
 */
export async function buildReference(backend: Backend, nvdFeed: string): Promise<Reference> {
  const store = await openTestStore(backend);
  try {
    const steps = importSequence(store.url, nvdFeed);
    const run = startSequence(
      steps.map((step) => step.argv),
      { pause: true },
    );
    const ready = await run.waitFor('ready');
    const snapshots = [await contentDigests(store)];
    const stepMs: number[] = [];
    for (const [index, step] of steps.entries()) {
      run.proceed();
      const start = await run.waitFor('start', index);
      const end = await run.waitFor('end', index);
      if (end.status !== 0) throw new Error(`reference ${step.name} failed with status ${end.status}:\n${(await run.done).stderr}`);
      stepMs.push(Math.round(end.at - start.at));
      snapshots.push(await contentDigests(store));
    }
    const result = await run.done;
    if (result.status !== 0) throw new Error(`the reference sequence exited ${result.status ?? result.signal}:\n${result.stderr}`);
    return {
      snapshots,
      stateDigest: await stateDigest(store),
      vulnerabilities: await countRows(store, 'vulnerability'),
      states: await countRows(store, 'state'),
      startupMs: Math.round(ready.at - run.startedAt),
      stepMs,
    };
  } finally {
    await store.dispose();
  }
}
