import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBranch, ensureRepository, migrateToLatest, openDatabase, replaceIndexSnapshot, writeStates } from '../store/index.js';
import { recordTriage } from '../tracker/triage.js';
import { elapsedMs } from './measure.js';

/*
 * Triage writes on SQLite, through the tracker function the CLI and the API call: recording one
 * event (p50/p99 of 500, each its own transaction with validation and the computed-state
 * digests) and one bulk request of 1,000 pairs (1,000 packages x 1 CVE) in one transaction.
 * Targets (issue 12): p99 under 20 ms, bulk under 2 s.
 */

const PACKAGES = 1_000;
const SINGLE_RUNS = 500;
const WARM_UP_RUNS = 20;

const folder = mkdtempSync(join(tmpdir(), 'secfix-bench-triage-'));
try {
  const store = await openDatabase(`sqlite:${join(folder, 'triage.db')}`, { create: true });
  await migrateToLatest(store);
  const names = Array.from({ length: PACKAGES }, (_, index) => `pkg${String(index).padStart(4, '0')}`);
  const repositoryId = await ensureRepository(store.db, await ensureBranch(store.db, '3.20'), 'main');
  await replaceIndexSnapshot(store.db, {
    repositoryId,
    arch: 'x86_64',
    packages: names.map((origin) => ({ origin, version: '1.0-r0', versionKey: null, maintainer: null, buildTime: null, commit: null, binaries: [origin] })),
    at: new Date().toISOString(),
  });
  await writeStates(
    store.db,
    names.map((pkg) => ({ repositoryId, package: pkg, vulnerabilityId: 'CVE-2026-0001', state: 'vulnerable', version: '1.0-r0', fixedVersion: null, evidence: [{ kind: 'no-criteria' }] })),
    { cause: 'bench' },
  );

  const single = (index: number) =>
    recordTriage(store, { packages: [names[index % PACKAGES]!], vulnerabilities: ['CVE-2026-0001'], status: 'under-investigation' }, 'bench@example.org');
  for (let index = 0; index < WARM_UP_RUNS; index += 1) await single(index);
  const times: number[] = [];
  for (let index = 0; index < SINGLE_RUNS; index += 1) {
    const start = process.hrtime.bigint();
    await single(index);
    times.push(elapsedMs(start));
  }
  times.sort((a, b) => a - b);
  const at = (fraction: number) => Math.round(times[Math.min(times.length - 1, Math.floor(times.length * fraction))]! * 100) / 100;

  const start = process.hrtime.bigint();
  const bulk = await recordTriage(
    store,
    { packages: names, vulnerabilities: ['CVE-2026-0001'], status: 'not-affected', justification: 'component-not-present', note: 'bench' },
    'bench@example.org',
  );
  const bulkMs = Math.round(elapsedMs(start));
  await store.close();

  const figures = { recordOneMs: { p50: at(0.5), p99: at(0.99) }, bulk: { pairs: bulk.length, ms: bulkMs }, meetsTargets: at(0.99) < 20 && bulkMs < 2000 };
  console.error(`triage: one event p50 ${figures.recordOneMs.p50} ms, p99 ${figures.recordOneMs.p99} ms; ${bulk.length} pairs in ${bulkMs} ms`);
  console.log(JSON.stringify(figures));
} finally {
  rmSync(folder, { recursive: true, force: true });
}
