import type { SecfixConfig } from '../formats/config.js';
import { isDeepStrictEqual } from 'node:util';
import type { DownloadOptions } from '../sources/acquire.js';
import { isPublication } from '../sources/publication.js';
import { type Store, ensureBranch, ensureRepository, listBranches, setBranchArchs, withWriteLock } from '../store/index.js';
import { type ImportSummary, type ProgressCallback, importApkIndex, importCve5, importNvd, importPublishedSecdb, importRejections, importSecdb } from './import.js';
import { type UpdateSummary, updateStates } from './update.js';

interface SyncOptions {
  /** Accept indexes whose signature cannot be verified. */
  readonly allowUntrusted?: boolean;
  /** Told which source is being imported, and how far a long one has got. */
  readonly onSource?: (kind: string, location: string) => ProgressCallback | undefined;
  /**
   * Retries, size caps and waits of every download. Its `signal` interrupts the sync: the
   * current download stops (its temporary file removed, its run recorded as interrupted), no
   * further source is fetched and the update is skipped.
   */
  readonly download?: DownloadOptions;
}

/** What happened to one configured source. */
export interface SyncSourceResult {
  readonly kind: string;
  readonly location: string;
  readonly status: ImportSummary['status'] | 'failed';
  readonly counts: Record<string, number>;
  /** Why the source failed; null otherwise. */
  readonly error: string | null;
}

export interface SyncSummary {
  /** Every source tried, in configuration order. */
  readonly sources: readonly SyncSourceResult[];
  /** Null when the sync was interrupted before it. */
  readonly update: UpdateSummary | null;
  /** Why the sync stopped early (`interrupted: SIGTERM received`); null when it ran to the end. */
  readonly interrupted: string | null;
}

/** One configured source, ready to import. */
interface PlannedSource {
  readonly kind: string;
  readonly location: string;
  run(download: DownloadOptions | undefined, progress: ProgressCallback | undefined): Promise<ImportSummary>;
}

function plannedSources(store: Store, config: SecfixConfig, options: SyncOptions): PlannedSource[] {
  const sources: PlannedSource[] = [];
  for (const branch of config.branches) {
    for (const repository of branch.repositories) {
      const { index, secdb } = repository;
      if (index !== undefined) {
        for (const arch of branch.architectures) {
          const location = index.replaceAll('{arch}', arch);
          sources.push({
            kind: 'apkindex',
            location,
            run: (download) =>
              importApkIndex(store, {
                branch: branch.name,
                repo: repository.name,
                location,
                ...(config.keys === undefined ? {} : { keysDir: config.keys }),
                ...(options.allowUntrusted === undefined ? {} : { allowUntrusted: options.allowUntrusted }),
                download,
              }),
          });
        }
      }
      if (secdb !== undefined) {
        sources.push({
          kind: 'secdb',
          location: secdb,
          run: async (download) =>
            (await isPublication(secdb))
              ? importPublishedSecdb(store, { publication: secdb, branch: branch.name, repo: repository.name, keysDir: config.keys, download })
              : importSecdb(store, { location: secdb, download }),
        });
      }
    }
  }
  const withProgress = (progress: ProgressCallback | undefined) => (progress === undefined ? {} : { progress });
  for (const location of config.nvd) {
    sources.push({ kind: 'nvd', location, run: (download, progress) => importNvd(store, { location, download, ...withProgress(progress) }) });
  }
  for (const location of config.cve5) {
    sources.push({ kind: 'cve5', location, run: (download, progress) => importCve5(store, { location, download, ...withProgress(progress) }) });
  }
  for (const rejections of config.rejections) {
    const location = rejections.source;
    sources.push({
      kind: 'rejections',
      location,
      run: (download) =>
        importRejections(store, {
          location,
          ...(rejections.branches === undefined ? {} : { branches: rejections.branches }),
          download,
        }),
    });
  }
  return sources;
}

/**
 * `secfix sync`: every source the configuration lists, each imported in its own transaction (an
 * unchanged source is skipped by checksum or HTTP validators), then an incremental update.
 * Branches are recorded first with their end of support and architectures. A source that fails
 * (unreachable, too large, unreadable) is reported and the others still imported and updated:
 * one broken mirror must not leave the rest of the data without states.
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

  const signal = options.download?.signal;
  const interruption = () => (signal?.aborted === true ? String((signal.reason as Error | undefined)?.message ?? signal.reason) : null);
  const results: SyncSourceResult[] = [];
  for (const source of plannedSources(store, config, options)) {
    if (interruption() !== null) break;
    const progress = options.onSource?.(source.kind, source.location);
    try {
      const summary = await source.run(options.download, progress);
      results.push({ kind: source.kind, location: source.location, status: summary.status, counts: summary.counts, error: null });
    } catch (error) {
      results.push({ kind: source.kind, location: source.location, status: 'failed', counts: {}, error: error instanceof Error ? error.message : String(error) });
    }
  }
  const interrupted = interruption();
  if (interrupted !== null) return { sources: results, update: null, interrupted };
  const update = await updateStates(store, { full: false, rules: config.mapping, cause: 'sync' });
  return { sources: results, update, interrupted: null };
}
