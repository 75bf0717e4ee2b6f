import type { SecfixConfig } from '../formats/config.js';
import { isDeepStrictEqual } from 'node:util';
import { type Store, ensureBranch, ensureRepository, listBranches, setBranchArchs, withWriteLock } from '../store/index.js';
import { type ImportSummary, type ProgressCallback, importApkIndex, importCve5, importNvd, importRejections, importSecdb } from './import.js';
import { type UpdateSummary, updateStates } from './update.js';

export interface SyncOptions {
  /** Accept indexes whose signature cannot be verified. */
  readonly allowUntrusted?: boolean;
  /** Told which source is being imported, and how far a long one has got. */
  readonly onSource?: (kind: string, location: string) => ProgressCallback | undefined;
}

export interface SyncSummary {
  readonly imports: readonly ImportSummary[];
  readonly update: UpdateSummary;
}

/**
 * `secfix sync`: every source the configuration lists, each imported in its own transaction (an
 * unchanged source is skipped by checksum or HTTP validators), then an incremental update.
 * Branches are recorded first with their end of support and architectures.
 */
export async function syncFromConfig(store: Store, config: SecfixConfig, options: SyncOptions = {}): Promise<SyncSummary> {
  await withWriteLock(
    store,
    async (db) => {
      const before = await listBranches(db);
      for (const branch of config.branches) {
        const branchId = await ensureBranch(db, branch.name, { endOfSupport: branch.endOfSupport ?? null });
        await setBranchArchs(db, branchId, branch.architectures);
        for (const repository of branch.repositories) await ensureRepository(db, branchId, repository.name);
      }
      return !isDeepStrictEqual(before, await listBranches(db));
    },
    { changedData: (changed) => changed },
  );

  const imports: ImportSummary[] = [];
  const progressFor = (kind: string, location: string) => options.onSource?.(kind, location);
  for (const branch of config.branches) {
    for (const repository of branch.repositories) {
      if (repository.index !== undefined) {
        for (const arch of branch.architectures) {
          const location = repository.index.replaceAll('{arch}', arch);
          progressFor('apkindex', location);
          imports.push(
            await importApkIndex(store, {
              branch: branch.name,
              repo: repository.name,
              location,
              ...(config.keys === undefined ? {} : { keysDir: config.keys }),
              ...(options.allowUntrusted === undefined ? {} : { allowUntrusted: options.allowUntrusted }),
            }),
          );
        }
      }
      if (repository.secdb !== undefined) {
        progressFor('secdb', repository.secdb);
        imports.push(await importSecdb(store, { location: repository.secdb }));
      }
    }
  }
  for (const location of config.nvd) {
    const progress = progressFor('nvd', location);
    imports.push(await importNvd(store, { location, ...(progress === undefined ? {} : { progress }) }));
  }
  for (const location of config.cve5) {
    const progress = progressFor('cve5', location);
    imports.push(await importCve5(store, { location, ...(progress === undefined ? {} : { progress }) }));
  }
  for (const rejections of config.rejections) {
    progressFor('rejections', rejections.source);
    imports.push(await importRejections(store, { location: rejections.source, ...(rejections.branches === undefined ? {} : { branches: rejections.branches }) }));
  }
  const update = await updateStates(store, { full: false, rules: config.mapping, cause: 'sync' });
  return { imports, update };
}
