import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMappingRules } from '../sources/config.js';
import { GitLabClient } from '../sources/gitlab.js';
import { startFakeGitLab } from '../sources/test-support/fake-gitlab.js';
import { migrateToLatest, openDatabase } from '../store/index.js';
import { notifyGitLab } from '../tracker/notify.js';
import { datasetSizeFromEnv, generateDataset } from './dataset.js';
import { elapsedMs, peakRssMb } from './measure.js';
import { type PhaseRunner, populateStore } from './populate.js';

/*
 * `notify gitlab` over the generated dataset (full size unless SECFIX_BENCH_CVES and
 * SECFIX_BENCH_PACKAGES shrink it) in SQLite, against the loopback fake of GitLab's issues API:
 * the first run (every open pair planned, 50 issues created) and a second run (those issues found
 * by their markers, the next 50 created). Issue 12's target: under 10 s at full size.
 */

const round = (value: number) => Math.round(value * 100) / 100;
const log = (message: string) => console.error(`notify: ${message}`);

const size = datasetSizeFromEnv();
const dir = mkdtempSync(join(tmpdir(), 'secfix-bench-notify-'));
const gitlab = await startFakeGitLab('bench/issues', 'bench-token');
try {
  const manifest = await generateDataset(dir, size);
  const store = await openDatabase(`sqlite:${join(dir, 'secfix.db')}`, { create: true });
  try {
    await migrateToLatest(store);
    const phase: PhaseRunner = async (name, fn) => {
      const start = process.hrtime.bigint();
      const result = await fn();
      log(`${name}: ${round(elapsedMs(start) / 1000)} s`);
      return { result, ms: elapsedMs(start), cpuSeconds: 0 };
    };
    await populateStore(store, manifest, await loadMappingRules(), phase);
    // The generated branches carry Alpine's real end-of-support dates; keep them all supported.
    await store.db.updateTable('branch').set({ end_of_support: null }).execute();
    const client = new GitLabClient({ url: gitlab.url, project: 'bench/issues', token: 'bench-token' });
    const options = { policy: { minSeverity: null, graceHours: 0, maxPerRun: 50 }, labels: ['security'], dryRun: false, now: new Date(Date.now() + 3_600_000) };
    const runs: { seconds: number; openPairs: number; actions: number; failure: string | null }[] = [];
    for (let run = 0; run < 2; run += 1) {
      const start = process.hrtime.bigint();
      const report = await notifyGitLab(store, client, options);
      runs.push({ seconds: round(elapsedMs(start) / 1000), openPairs: report.openPairs, actions: report.actions.length, failure: report.failure });
    }
    console.log(
      JSON.stringify({
        dataset: { cves: size.cves, packagesPerRepo: size.packagesPerRepo },
        firstRun: runs[0],
        secondRun: runs[1],
        gitlabCalls: gitlab.calls.length,
        peakRssMb: peakRssMb(),
        targetsMet: { under10Seconds: runs.every((run) => run.seconds < 10) },
      }),
    );
  } finally {
    await store.close();
  }
} finally {
  await gitlab.close();
  rmSync(dir, { recursive: true, force: true });
}
