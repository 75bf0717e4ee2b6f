import type { MappingRules } from '../engine/cpe-mapping.js';
import type { Store } from '../store/index.js';
import { importApkIndex, importNvd, importSecdb } from '../tracker/import.js';
import { updateStates } from '../tracker/update.js';
import type { DatasetManifest } from './dataset.js';

/** A step's result with how long it took: wall milliseconds and this process's CPU seconds. */
export interface Timed<T> {
  readonly result: T;
  readonly ms: number;
  readonly cpuSeconds: number;
}

/** Runs one named step of the import, timing it as the caller wants. */
export type PhaseRunner = <T>(name: string, fn: () => Promise<T>) => Promise<Timed<T>>;

/**
 * Fills a migrated, empty store with a generated dataset the way the tracker would: the indexes,
 * the secdbs, the NVD feed, then a full update. The tracker and web benchmarks share it so they
 * measure the same database. Each step goes through `phase`, under the names `indexes`,
 * `secdbs`, `nvdImport` and `fullUpdate`.
 */
export async function populateStore(store: Store, manifest: DatasetManifest, rules: MappingRules, phase: PhaseRunner) {
  const indexes = await phase('indexes', async () => {
    let originVersions = 0;
    for (const index of manifest.indexes) {
      const summary = await importApkIndex(store, { branch: index.branch, repo: index.repo, location: index.path });
      originVersions += summary.counts.originVersions ?? 0;
    }
    return { originVersions };
  });
  const secdbs = await phase('secdbs', async () => {
    let secfixes = 0;
    for (const location of manifest.secdbs) secfixes += (await importSecdb(store, { location })).counts.secfixes ?? 0;
    return { secfixes };
  });
  const nvd = await phase('nvdImport', () => importNvd(store, { location: manifest.feed }));
  const full = await phase('fullUpdate', () => updateStates(store, { full: true, rules }));
  return { indexes, secdbs, nvd, full };
}
