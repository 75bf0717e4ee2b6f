import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../store/index.js';
import { backends, openTestStore } from '../test-support/databases.js';
import {
  type ChildResult,
  type Reference,
  buildReference,
  contentDigests,
  countRows,
  differingTables,
  historyProblems,
  importSequence,
  runCli,
  runSequence,
  seededRandom,
  snapshotIndex,
  startCli,
  startSequence,
  stateDigest,
  timeWriteLock,
  watchWriteLock,
  writeBigNvdFeed,
  writeCorruptNvdFeed,
} from './test-support/reliability.js';

/*
 * "A failed or killed import leaves the database as it was, a rerun converges", with the built
 * CLI in child processes (run `npm run build` first; `npm test` does):
 * - the import sequence (index, secdb, a big NVD feed, update) is SIGKILLed at random moments;
 *   right after each kill the database is exactly as before or after the command that was
 *   running, and rerunning the sequence ends in the reference state;
 * - writers in several processes at once are serialized by the write lock (the test process
 *   keeps taking it meanwhile and checks nobody commits while it holds it) and end where the same
 *   commands run one after another end;
 * - a feed that turns out to be bad near its end exits 2 naming the place and changes nothing.
 *
 * The kill moments come from a seeded generator; the seed is printed, and
 * SECFIX_RELIABILITY_SEED=<seed> replays the same moments. The two backends run side by side.
 */

/** NVD copies in the generated feed: enough that importing it takes a noticeable time. */
const COPIES = 1_000;
/** Kills that must land while the sequence is still running. */
const KILLS = 10;
/** Attempts allowed for that (a kill arriving after a faster-than-measured run does not count). */
const MAX_ATTEMPTS = 15;

const seedText = process.env['SECFIX_RELIABILITY_SEED'];
const seed = seedText === undefined || seedText === '' ? randomInt(2 ** 31) : Number(seedText);

let dir: string;
let feed: string;
let feedRecords: number;
/** For the bad-feed test: more records than the NVD importer writes per batch, so rows are written before the failure. */
let longFeed: { path: string; records: number };
let corrupt: { path: string; place: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secfix-reliability-'));
  ({ path: feed, records: feedRecords } = await writeBigNvdFeed(dir, COPIES));
  longFeed = await writeBigNvdFeed(dir, 2_500, 'nvdcve-2.0-long.json');
  // Second to last: the first 2,000 records are written (in the import's transaction) when the failure comes.
  corrupt = await writeCorruptNvdFeed(longFeed.path, dir, longFeed.records - 2);
  console.log(`reliability: seed ${seed} (SECFIX_RELIABILITY_SEED=${seed} replays the kill moments), NVD feed of ${feedRecords} records`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function expectSuccess(result: ChildResult, what: string): void {
  expect(result.status, `${what} exited ${result.status ?? result.signal}:\n${result.stderr}`).toBe(0);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function importRuns(store: Store): Promise<{ kind: string; status: string; error: string | null }[]> {
  const { rows } = await sql<{ kind: string; status: string; error: string | null }>`select kind, status, error from import_run order by id`.execute(store.db);
  return rows;
}

async function importRunStatuses(store: Store): Promise<string[]> {
  return (await importRuns(store)).map((run) => run.status);
}

describe.each(backends)('%s', { concurrent: true }, (backend) => {
  let reference: Reference;

  beforeAll(async () => {
    reference = await buildReference(backend, feed);
    console.log(`${backend} reference: start-up ${reference.startupMs} ms, commands ${reference.stepMs.join(' / ')} ms, ${reference.states} states`);
  }, 90_000);

  const final = () => reference.snapshots[reference.snapshots.length - 1]!;

  describe.sequential('reliability', () => {
    it('an import sequence killed at random moments leaves the database as before or after the interrupted command, and a rerun converges', async () => {
      // The reference must tell the commands apart, or "before or after" would prove nothing.
      expect(reference.vulnerabilities).toBe(feedRecords);
      expect(reference.states).toBeGreaterThan(1_000);
      expect(new Set(reference.snapshots.map((snapshot) => JSON.stringify(snapshot))).size).toBe(reference.snapshots.length);

      const names = importSequence('', feed).map((command) => command.name);
      const importKinds = names.filter((name) => name.startsWith('import ')).map((name) => name.slice('import '.length));
      // Kill moments are spread over 85% of the time the commands took in the reference run:
      // attempt i picks a moment in the i-th tenth, then kills that long after the command it
      // falls in has started (anchored at the command, so it stays inside it when the machine is
      // slower or faster than during the measurement).
      const commandStarts = reference.stepMs.map((_, index) => reference.stepMs.slice(0, index).reduce((sum, ms) => sum + ms, 0));
      const span = 0.85 * reference.stepMs.reduce((sum, ms) => sum + ms, 0);
      const random = seededRandom(seed + backends.indexOf(backend));
      let kills = 0;
      for (let attempt = 0; kills < KILLS && attempt < MAX_ATTEMPTS; attempt += 1) {
        const moment = (((attempt % KILLS) + random()) / KILLS) * span;
        const step = commandStarts.findLastIndex((start) => start <= moment);
        const offset = Math.round(moment - commandStarts[step]!);
        const label = `${backend} attempt ${attempt}, seed ${seed}: SIGKILL ${offset} ms into ${names[step]}`;
        const store = await openTestStore(backend);
        try {
          const steps = importSequence(store.url, feed).map((command) => command.argv);
          const run = startSequence(steps);
          await run.waitFor('start', step);
          await sleep(offset);
          run.kill();
          const result = await run.done;
          const started = run.markers.filter((marker) => marker.event === 'start').length;
          const ended = run.markers.filter((marker) => marker.event === 'end').length;
          if (result.signal !== 'SIGKILL') {
            // The run beat the measured time: a complete run, which must simply be right.
            expectSuccess(result, `${label}: the run ended before the kill, and`);
            expect(await stateDigest(store), label).toBe(reference.stateDigest);
            console.log(`${label}: the sequence had already finished; not counted`);
            continue;
          }
          kills += 1;
          const where = started === ended ? `landed between commands, ${ended} done` : `landed during ${names[started - 1]}`;

          // The killed process's transaction is gone and the lock free (PostgreSQL rolls back when the connection drops).
          const lockMs = await timeWriteLock(store.url, 20_000);

          // Nothing half-written: exactly the state before the running command, or after it.
          const digests = await contentDigests(store);
          const at = snapshotIndex(reference.snapshots, digests);
          const allowed = started === ended ? [ended] : [started - 1, started];
          const explain = allowed.map((index) => `vs snapshot ${index}: ${differingTables(reference.snapshots[index]!, digests).join(', ')}`).join('; ');
          expect(allowed, `${label} (${where}): the database matches no allowed snapshot (${explain})`).toContain(at);
          // The run records agree with the data: an import's `ok` run commits with its data, so
          // exactly the imports whose data is in have one; the interrupted one is left `running`.
          const runs = await importRuns(store);
          const importsIn = importKinds.slice(0, Math.min(at, importKinds.length));
          expect(runs.filter((run) => run.status === 'ok').map((run) => run.kind), `${label}: ok runs`).toEqual(importsIn);
          expect(runs.filter((run) => run.status !== 'ok').map((run) => run.status), `${label}: other runs`).toEqual(
            runs.length > importsIn.length ? ['running'] : [],
          );

          // A rerun of the whole sequence converges on the reference.
          const rerun = await runSequence(steps, 60_000);
          expectSuccess(rerun, `${label}: the rerun`);
          expect(await stateDigest(store), `${label}: state table after the rerun`).toBe(reference.stateDigest);
          // The rerun of the interrupted source recorded the killed run's end: failed, interrupted.
          const after = await importRuns(store);
          expect(after.filter((run) => run.status === 'running'), `${label}: runs left running`).toEqual([]);
          expect(after.filter((run) => run.status === 'failed').map((run) => run.error?.split(':')[0])).toEqual(runs.length > importsIn.length ? ['interrupted'] : []);

          const outcome = started === ended ? '' : at === started ? ', had committed' : ', rolled back';
          console.log(`${label} (${where}${outcome}): lock free after ${Math.round(lockMs)} ms, rerun ${Math.round(rerun.endedAt - rerun.startedAt)} ms`);
        } finally {
          await store.dispose();
        }
      }
      expect(kills, `only ${kills} of the kills landed while the sequence was running`).toBeGreaterThanOrEqual(KILLS);
    }, 240_000);

    it('an NVD import and repeated updates in other processes run one at a time and end in the reference state', async () => {
      const store = await openTestStore(backend);
      try {
        const [apkindex, secdb, nvd, update] = importSequence(store.url, feed);
        expectSuccess(await runSequence([apkindex!.argv, secdb!.argv]), 'import apkindex, secdb');

        let importing = true;
        const imported = startCli(nvd!.argv).done.finally(() => (importing = false));
        const watch = watchWriteLock(store.url, () => importing);
        const updates: ChildResult[] = [];
        while (importing) updates.push(await runCli([...update!.argv, '--json']));
        // One more once the import is over, which sees its dirty marks whatever the order was.
        updates.push(await runCli([...update!.argv, '--json']));

        const importResult = await imported;
        const watched = await watch;
        expectSuccess(importResult, nvd!.name);
        for (const [index, result] of updates.entries()) expectSuccess(result, `update ${index + 1}`);
        const during = updates.filter((result) => result.startedAt < importResult.endedAt).length;
        expect(during, 'no update ran while the import did').toBeGreaterThanOrEqual(1);
        expect(watched.holds, 'the test never got the write lock').toBeGreaterThan(0);
        expect(watched.violations).toEqual([]);

        expect(await stateDigest(store)).toBe(reference.stateDigest);
        expect(await historyProblems(store)).toEqual([]);
        expect(await countRows(store, 'dirty')).toBe(0);
        expect(await importRunStatuses(store)).toEqual(['ok', 'ok', 'ok']);
        const written = updates.map((result) => (JSON.parse(result.stdout) as { written: number }).written);
        console.log(
          `${backend}: import nvd ${Math.round(importResult.endedAt - importResult.startedAt)} ms; ${updates.length} updates (${during} started during it), ` +
            `states written ${written.join(' / ')}; the test held the lock ${watched.holds} times`,
        );
      } finally {
        await store.dispose();
      }
    }, 90_000);

    it('three imports of different sources at once, then update, end in the reference data', async () => {
      const store = await openTestStore(backend);
      try {
        const [apkindex, secdb, nvd, update] = importSequence(store.url, feed);
        let running = 3;
        const runs = [nvd!, apkindex!, secdb!].map((command) => startCli(command.argv).done.finally(() => (running -= 1)));
        const watch = watchWriteLock(store.url, () => running > 0);
        const results = await Promise.all(runs);
        const watched = await watch;
        expectSuccess(results[0]!, nvd!.name);
        expectSuccess(results[1]!, apkindex!.name);
        expectSuccess(results[2]!, secdb!.name);
        expect(watched.holds, 'the test never got the write lock').toBeGreaterThan(0);
        expect(watched.violations).toEqual([]);
        expect(await importRunStatuses(store)).toEqual(['ok', 'ok', 'ok']);

        expectSuccess(await runCli(update!.argv), update!.name);
        // The same data, states and history as importing one source after another.
        expect(differingTables(final(), await contentDigests(store))).toEqual([]);
        expect(await stateDigest(store)).toBe(reference.stateDigest);
        console.log(
          `${backend}: concurrent imports took ${results.map((result) => Math.round(result.endedAt - result.startedAt)).join(' / ')} ms ` +
            `(nvd / apkindex / secdb); the test held the lock ${watched.holds} times`,
        );
      } finally {
        await store.dispose();
      }
    }, 90_000);

    it('a feed with a broken criterion near its end exits 2 naming the place and changes nothing; the good feed then imports', async () => {
      const store = await openTestStore(backend);
      try {
        const [apkindex, secdb] = importSequence(store.url, feed);
        expectSuccess(await runSequence([apkindex!.argv, secdb!.argv]), 'import apkindex, secdb');
        const before = await contentDigests(store);

        const failed = await runCli(['import', 'nvd', '--db', store.url, corrupt.path]);
        expect(failed.status).toBe(2);
        expect(failed.stdout).toBe('');
        expect(failed.stderr).toMatch(
          new RegExp(`^secfix: ${escapeRegExp(corrupt.path)}: ${escapeRegExp(corrupt.place)}: criteria "cpe:2\\.3:a:busybox:busybox": [^\\n]+\\n$`),
        );
        expect(differingTables(before, await contentDigests(store))).toEqual([]);
        expect(await importRunStatuses(store)).toEqual(['ok', 'ok', 'failed']);

        // A failed source is not taken for an unchanged one: importing it again fails again.
        expect((await runCli(['import', 'nvd', '--db', store.url, corrupt.path])).status).toBe(2);
        expect(await countRows(store, 'vulnerability')).toBe(0);

        const good = await runCli(['import', 'nvd', '--db', store.url, '--json', longFeed.path]);
        expectSuccess(good, 'import nvd (the good feed)');
        expect(JSON.parse(good.stdout)).toMatchObject({ status: 'imported', counts: { records: longFeed.records, changed: longFeed.records } });
        expect(await countRows(store, 'vulnerability')).toBe(longFeed.records);
        expect(await importRunStatuses(store)).toEqual(['ok', 'ok', 'failed', 'failed', 'ok']);
      } finally {
        await store.dispose();
      }
    }, 90_000);
  });
});
