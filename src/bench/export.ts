import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createWriteStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CSAF_NAMESPACE, DEFAULT_PURL_NAMESPACE } from '../base/export.js';
import { loadMappingRules } from '../sources/config.js';
import { type Store, migrateToLatest, openDatabase } from '../store/index.js';
import { openVexExport, statesTable, writeCsafExport, writeOsvExport } from '../tracker/export.js';
import { PUBLISHED_EXPORTS, publish } from '../tracker/publish.js';
import { datasetSizeFromEnv, generateDataset } from './dataset.js';
import { elapsedMs, peakRssMb } from './measure.js';
import { type PhaseRunner, populateStore } from './populate.js';

/*
 * The OSV export (issue 13: the full-size dataset, 300k CVEs and 742k pairs, under 60 s and
 * 500 MB RSS, streamed), the CSAF, OpenVEX and states exports beside it, and `secfix publish` of every export, signed.
 * The dataset is generated and imported into SQLite here; each export and the publication runs
 * in a child process of its own, so its peak RSS is its own, not the import's.
 * SECFIX_BENCH_CVES and SECFIX_BENCH_PACKAGES shrink the dataset.
 */

const log = (message: string) => console.error(`export: ${message}`);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

const EXPORTS = {
  osv: (store, out) => writeOsvExport(store, out, { prefix: 'ALPINE-', purlNamespace: DEFAULT_PURL_NAMESPACE }),
  csaf: (store, out) => writeCsafExport(store, out, { distribution: 'Alpine Linux', namespace: DEFAULT_CSAF_NAMESPACE, purlNamespace: DEFAULT_PURL_NAMESPACE }),
  openvex: async (store, out) => {
    await pipeline(Readable.from(openVexExport(store, {}, { author: 'Alpine Linux security tracker', idBase: 'urn:secfix:openvex:', purlNamespace: DEFAULT_PURL_NAMESPACE })), createWriteStream(out));
    return 1;
  },
  states: async (store, out) => {
    await pipeline(Readable.from(statesTable(store, {}, undefined, 'csv')), createWriteStream(out));
    return 1;
  },
} satisfies Record<string, (store: Store, out: string) => Promise<number>>;
type ExportFormat = keyof typeof EXPORTS;

async function runExport(format: ExportFormat, database: string, out: string): Promise<void> {
  const store = await openDatabase(`sqlite:${database}`);
  try {
    const start = process.hrtime.bigint();
    const records = await EXPORTS[format](store, out);
    console.log(JSON.stringify({ records, seconds: round(elapsedMs(start) / 1000, 2), peakRssMb: peakRssMb() }));
  } finally {
    await store.close();
  }
}

async function publishAll(database: string, out: string): Promise<void> {
  const store = await openDatabase(`sqlite:${database}`);
  try {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const start = process.hrtime.bigint();
    const summary = await publish(out, { store, exports: PUBLISHED_EXPORTS, distribution: 'Alpine Linux', baseUrl: undefined, osvPrefix: 'ALPINE-', purlNamespace: DEFAULT_PURL_NAMESPACE, key: privateKey, keyName: 'bench.rsa.pub' });
    console.log(JSON.stringify({ files: summary.files, bytes: summary.bytes, seconds: round(elapsedMs(start) / 1000, 2), peakRssMb: peakRssMb() }));
  } finally {
    await store.close();
  }
}

/** Runs this file as a child with `args` and returns what it printed. */
function child<T>(args: readonly string[]): T {
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (run.status !== 0) throw new Error(`the ${args[0]} child failed with status ${run.status}`);
  return JSON.parse(run.stdout) as T;
}

/** Runs one export in a child process; its figures and how many files (or bytes, for one file) it wrote. */
function measureExport(format: ExportFormat, database: string, out: string): { records: number; seconds: number; peakRssMb: number; files: number; bytes: number } {
  const figures = child<{ records: number; seconds: number; peakRssMb: number }>(['export', format, database, out]);
  const folder = statSync(out).isDirectory();
  return { ...figures, files: folder ? readdirSync(out).length : 1, bytes: folder ? 0 : statSync(out).size };
}

async function main(): Promise<void> {
  const size = datasetSizeFromEnv();
  const dir = mkdtempSync(join(tmpdir(), 'secfix-bench-export-'));
  try {
    log(`generating ${size.cves} CVEs, ${size.packagesPerRepo} packages per repository`);
    const manifest = await generateDataset(dir, size);
    const database = join(dir, 'secfix.db');
    const store = await openDatabase(`sqlite:${database}`, { create: true });
    let pairs = 0;
    try {
      await migrateToLatest(store);
      const phase: PhaseRunner = async (name, fn) => {
        const start = process.hrtime.bigint();
        const result = await fn();
        log(`${name}: ${round(elapsedMs(start) / 1000, 2)} s`);
        return { result, ms: elapsedMs(start), cpuSeconds: 0 };
      };
      await populateStore(store, manifest, await loadMappingRules(), phase);
      pairs = Number((await store.db.selectFrom('state').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()).count);
    } finally {
      await store.close();
    }
    const osv = measureExport('osv', database, join(dir, 'osv'));
    const csaf = measureExport('csaf', database, join(dir, 'csaf'));
    const openvex = measureExport('openvex', database, join(dir, 'openvex.json'));
    const states = measureExport('states', database, join(dir, 'states.csv'));
    const published = child<{ files: number; bytes: number; seconds: number; peakRssMb: number }>(['publish', database, join(dir, 'public')]);
    console.log(
      JSON.stringify({
        dataset: { cves: size.cves, packagesPerRepo: size.packagesPerRepo, pairs },
        osv,
        csaf,
        openvex,
        states,
        publish: published,
        // The publication holds the OSV export, so it is held to the same memory bound.
        targetsMet: { under60Seconds: osv.seconds < 60, under500MbRss: osv.peakRssMb < 500, publishUnder500MbRss: published.peakRssMb < 500 },
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'export') await runExport(process.argv[3] as ExportFormat, process.argv[4]!, process.argv[5]!);
else if (process.argv[2] === 'publish') await publishAll(process.argv[3]!, process.argv[4]!);
else await main();
