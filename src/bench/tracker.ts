import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DatasetManifest, type DatasetSize, datasetSizeFromEnv, envNumber, generateDataset } from './dataset.js';

/**
 * The tracker at full size: generates an Alpine-like dataset (see dataset.ts) in a temporary
 * folder, then for each backend, in a child process of its own (tracker-backend.ts), times the
 * index and secdb imports, the NVD import, a full update, the modified-feed import and an
 * incremental update, and reports peak RSS. Prints `{ sqlite, postgres, dataset }`.
 *
 * Environment: SECFIX_BENCH_CVES (300000), SECFIX_BENCH_PACKAGES (origins per repository, 5000),
 * SECFIX_BENCH_MODIFIED (500), SECFIX_BENCH_PACKAGE_SHARE (share of CVEs targeting packages, 0.2),
 * SECFIX_BENCH_SEED, SECFIX_BENCH_BACKENDS (sqlite,postgres), SECFIX_BENCH_KEEP=1 (keep the
 * folder, to rerun `tracker-backend.js BACKEND MANIFEST` by hand, e.g. with SECFIX_BENCH_PROFILE,
 * and the populated databases, for the web benchmark's SECFIX_BENCH_WEB_DB: see tracker-backend.ts).
 *
 * PostgreSQL runs by default on a world scaled by SECFIX_BENCH_PG_SCALE (0.2: CVEs and packages
 * both, so the CVEs per package stay the same): at full size it takes about five minutes on a
 * 2-core machine. Each backend's `scale` says what it ran on; set SECFIX_BENCH_PG_SCALE=1 for full size.
 */

const size = datasetSizeFromEnv();
const postgresScale = envNumber('SECFIX_BENCH_PG_SCALE', 0.2);
const postgresSize: DatasetSize = {
  ...size,
  cves: Math.round(size.cves * postgresScale),
  packagesPerRepo: Math.max(1, Math.round(size.packagesPerRepo * postgresScale)),
};
const backends = (process.env.SECFIX_BENCH_BACKENDS ?? 'sqlite,postgres').split(',').filter((name) => name !== '');
for (const name of backends) {
  if (name !== 'sqlite' && name !== 'postgres') throw new Error(`SECFIX_BENCH_BACKENDS: unknown backend ${name}`);
}
const keep = process.env.SECFIX_BENCH_KEEP === '1';

const sameScale = (a: DatasetSize, b: DatasetSize) => a.cves === b.cves && a.packagesPerRepo === b.packagesPerRepo;
const backendScript = fileURLToPath(new URL('./tracker-backend.js', import.meta.url));

const root = mkdtempSync(join(tmpdir(), 'secfix-bench-tracker-'));
const datasets = new Map<string, DatasetManifest>();
async function datasetFor(wanted: DatasetSize): Promise<{ manifest: DatasetManifest; path: string }> {
  const key = `${wanted.cves}-${wanted.packagesPerRepo}`;
  const dir = join(root, key);
  let manifest = datasets.get(key);
  if (manifest === undefined) {
    mkdirSync(dir);
    console.error(`tracker: generating ${wanted.cves} CVEs, ${wanted.packagesPerRepo} packages per repository in ${dir}`);
    manifest = await generateDataset(dir, wanted);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    console.error(`tracker: generated in ${manifest.stats.generationSeconds} s (feed ${manifest.stats.feedMegabytes} MB)`);
    datasets.set(key, manifest);
  }
  return { manifest, path: join(dir, 'manifest.json') };
}

const results: Record<string, unknown> = {};
try {
  for (const backend of backends) {
    const wanted = backend === 'postgres' ? postgresSize : size;
    const { path } = await datasetFor(wanted);
    const child = spawnSync(process.execPath, [backendScript, backend, path], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 << 20,
    });
    if (child.status !== 0) throw new Error(`tracker benchmark for ${backend} failed with status ${child.status}`);
    const figures = JSON.parse(child.stdout) as Record<string, unknown>;
    const factor = backend === 'postgres' && !sameScale(size, postgresSize) ? postgresScale : 1;
    results[backend] = { ...figures, scale: { factor, cves: wanted.cves, packagesPerRepo: wanted.packagesPerRepo } };
  }
} finally {
  if (keep) console.error(`tracker: kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
}

const describe = (manifest: DatasetManifest) => ({ ...manifest.size, ...manifest.stats });
const full = datasets.get(`${size.cves}-${size.packagesPerRepo}`);
const small = sameScale(size, postgresSize) ? undefined : datasets.get(`${postgresSize.cves}-${postgresSize.packagesPerRepo}`);
console.log(
  JSON.stringify({
    ...results,
    dataset: {
      ...(full === undefined ? {} : describe(full)),
      ...(small === undefined ? {} : { postgres: describe(small) }),
    },
  }),
);
