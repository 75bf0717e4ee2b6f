import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { applyV8Settings } from '../base/v8-settings.js';
import { loadMappingRules } from '../sources/config.js';
import { type Store, countStates, migrateToLatest, openDatabase } from '../store/index.js';
import { importNvd } from '../tracker/import.js';
import { type UpdateSummary, updateStates } from '../tracker/update.js';
import type { DatasetManifest } from './dataset.js';
import { elapsedMs, peakRssMb } from './measure.js';
import { type Timed, populateStore } from './populate.js';
import { stateDigest } from './state-digest.js';

/**
 * One backend's run of the tracker benchmark, in its own process so peak RSS is its own:
 * `node tracker-backend.js sqlite|postgres MANIFEST`. Imports the generated indexes, secdbs and
 * NVD feed, runs a full update, imports the modified feed, runs an incremental update, and
 * prints one JSON object; `cpuSeconds` is this process's CPU time in a phase (not the PostgreSQL
 * server's), to tell work from waiting on a busy machine. Progress goes to stderr. With
 * SECFIX_BENCH_PROFILE=DIR, each phase's CPU profile is written to DIR/<phase>.cpuprofile.
 * With SECFIX_BENCH_KEEP=1, the SQLite database stays in the manifest's folder as `secfix.db`,
 * and the PostgreSQL database `secfix_bench_<pid>` is not dropped (its URL goes to stderr), for
 * the web benchmark's SECFIX_BENCH_WEB_DB or to query by hand; drop it yourself when done.
 */

// Under the settings `secfix update` runs with, whose time and memory this measures.
applyV8Settings();

const [backend, manifestPath] = process.argv.slice(2);
if ((backend !== 'sqlite' && backend !== 'postgres') || manifestPath === undefined) {
  console.error('usage: tracker-backend.js sqlite|postgres MANIFEST');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as DatasetManifest;
const POSTGRES_ADMIN_URL = process.env.SECFIX_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const PROFILE_DIR = process.env.SECFIX_BENCH_PROFILE;
const log = (message: string) => console.error(`tracker[${backend}]: ${message}`);
const seconds = (ms: number) => Math.round(ms / 10) / 100;

async function adminStatement(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

interface Database {
  readonly url: string;
  size(store: Store): Promise<number>;
  drop(): Promise<void>;
}

const keep = process.env.SECFIX_BENCH_KEEP === '1';

async function createDatabase(): Promise<Database> {
  if (backend === 'sqlite') {
    const path = join(manifest.dir, keep ? 'secfix.db' : `secfix-bench-${process.pid}.db`);
    if (keep) for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    return {
      url: `sqlite:${path}`,
      size: () => Promise.resolve(statSync(path).size),
      drop: () => {
        if (!keep) for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
        return Promise.resolve();
      },
    };
  }
  const name = `secfix_bench_${process.pid}`;
  await adminStatement(`create database ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    size: async (store) => {
      const result = await sql<{ size: number }>`select pg_database_size(current_database()) as size`.execute(store.db);
      return Number(result.rows[0]?.size ?? 0);
    },
    drop: () => {
      if (!keep) return adminStatement(`drop database if exists ${name} with (force)`);
      log(`kept ${url.toString()}`);
      return Promise.resolve();
    },
  };
}

/** Times `fn` and notes the peak RSS reached by the end of it. */
async function phase<T>(name: string, peaks: Record<string, number>, fn: () => Promise<T>): Promise<Timed<T>> {
  const session = PROFILE_DIR === undefined ? undefined : new Session();
  if (session !== undefined) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const result = await fn();
  const ms = elapsedMs(start);
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = seconds((cpu.user + cpu.system) / 1000);
  if (session !== undefined) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(PROFILE_DIR!, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
  peaks[name] = peakRssMb();
  log(`${name}: ${seconds(ms)} s (${cpuSeconds} s CPU in this process), peak RSS so far ${peaks[name]} MB`);
  return { result, ms, cpuSeconds };
}

const updateFigures = (summary: UpdateSummary, ms: number, cpuSeconds: number) => ({
  seconds: seconds(ms),
  cpuSeconds,
  branches: summary.branches,
  originsRecomputed: summary.originsRecomputed,
  pairs: summary.pairs,
  written: summary.written,
  transitions: summary.transitions,
  deleted: summary.deleted,
});

const rules = await loadMappingRules();
const database = await createDatabase();
let output: Record<string, unknown>;
try {
  const store = await openDatabase(database.url);
  try {
    await migrateToLatest(store);
    const peaks: Record<string, number> = {};
    const { indexes, secdbs, nvd, full } = await populateStore(store, manifest, rules, (name, fn) => phase(name, peaks, fn));
    const statesByName: Record<string, number> = {};
    for (const row of await countStates(store.db)) statesByName[row.state] = (statesByName[row.state] ?? 0) + row.count;
    const fullDigest = await stateDigest(store.db);
    log(`state digest after the full update: ${fullDigest.rows} rows, ${fullDigest.sha256}`);
    const modified = await phase('modifiedImport', peaks, () => importNvd(store, { location: manifest.modifiedFeed }));
    const incremental = await phase('incrementalUpdate', peaks, () => updateStates(store, { full: false, rules }));
    const incrementalDigest = await stateDigest(store.db);
    log(`state digest after the incremental update: ${incrementalDigest.rows} rows, ${incrementalDigest.sha256}`);
    const records = nvd.result.counts.records ?? 0;
    const recordsPerSecond = Math.round(records / (nvd.ms / 1000));
    const peak = peakRssMb();
    output = {
      scale: { cves: manifest.size.cves, packagesPerRepo: manifest.size.packagesPerRepo },
      indexImport: { files: manifest.indexes.length, originVersions: indexes.result.originVersions, seconds: seconds(indexes.ms), cpuSeconds: indexes.cpuSeconds },
      secdbImport: { files: manifest.secdbs.length, secfixes: secdbs.result.secfixes, seconds: seconds(secdbs.ms), cpuSeconds: secdbs.cpuSeconds },
      nvdImport: { records, changed: nvd.result.counts.changed ?? 0, seconds: seconds(nvd.ms), cpuSeconds: nvd.cpuSeconds, recordsPerSecond },
      fullUpdate: { ...updateFigures(full.result, full.ms, full.cpuSeconds), statesByName },
      modifiedImport: { records: modified.result.counts.records ?? 0, changed: modified.result.counts.changed ?? 0, seconds: seconds(modified.ms), cpuSeconds: modified.cpuSeconds },
      incrementalUpdate: updateFigures(incremental.result, incremental.ms, incremental.cpuSeconds),
      stateDigest: { fullUpdate: fullDigest, incrementalUpdate: incrementalDigest },
      peakRssMb: peak,
      peakRssMbAfter: peaks,
      databaseMegabytes: Math.round((await database.size(store)) / 1e6),
    };
    // The targets are stated for SQLite on a 2-core machine at full size; elsewhere they mean nothing.
    if (backend === 'sqlite' && manifest.size.cves >= 300_000 && manifest.size.packagesPerRepo >= 5_000) {
      output.targetsMet = {
        importAtLeast10000PerSecond: recordsPerSecond >= 10_000,
        fullUpdateUnder30Seconds: full.ms < 30_000,
        incrementalUpdateUnder2Seconds: incremental.ms < 2_000,
        peakRssUnder500Mb: peak < 500,
      };
    }
  } finally {
    await store.close();
  }
} finally {
  await database.drop();
}
console.log(JSON.stringify(output));
