import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { InputError } from '../base/input-error.js';
import { branchNameProblem } from '../formats/names.js';
import { type DownloadKind, type DownloadOptions, acquireSource, isUrl } from '../sources/acquire.js';
import {
  type ImportRun,
  type Schema,
  type Store,
  findLastSuccessfulImportRun,
  failUnfinishedImportRuns,
  findLaterRunForTarget,
  finishImportRun,
  listBranches,
  startImportRun,
  withWriteLock,
} from '../store/index.js';

/** What one import did, as `secfix import --json` prints it. */
export interface ImportSummary {
  readonly kind: string;
  /** The file, folder or URL, as given. */
  readonly source: string;
  /** `unchanged`: the source matched the last successful import, so nothing was read or written. */
  readonly status: 'imported' | 'unchanged';
  readonly counts: Record<string, number>;
  readonly durationMs: number;
  readonly importRunId: number;
}

/** Called as a long import advances; `total` when the source says how much there is. */
export type ProgressCallback = (done: number, total?: number) => void;

type ImportCounts = Record<string, number>;

/** What a writer did. */
export interface ImportWritten {
  readonly counts: ImportCounts;
  /**
   * What the data replaces, for sources whose import replaces a whole target (an index snapshot
   * of a repository and architecture, a repository's secdb secfixes, a branch's aports secfixes):
   * `apkindex:<branch>/<repo>/<arch>`, `secdb:<branch>/<repo>`, `aports:<branch>`. Another source
   * that later writes the same target undoes this one's import, which then no longer counts as
   * unchanged. Omitted by sources that only add or update records.
   */
  readonly target?: string;
}

/** Writes one source's data; runs inside the write lock, so everything it does commits together. */
type ImportWriter = (db: Kysely<Schema>, importRunId: number) => Promise<ImportWritten>;

/** A source read far enough to know whether it changed since the last successful import. */
type PreparedImport =
  | { readonly status: 'unchanged' }
  | {
      readonly status: 'changed';
      readonly checksum: string;
      readonly etag: string | null;
      readonly lastModified: string | null;
      readonly write: ImportWriter;
      /** Removes temporary files, if any. */
      dispose(): Promise<void>;
    };

interface ImportTarget {
  readonly kind: string;
  /** The location as given, for the summary. */
  readonly location: string;
  /**
   * Identifies the source and how it is read, to find the last import of the same thing: an
   * index imported for another branch is a different import even when its bytes are the same.
   */
  readonly runSource: string;
}

/** Local paths become absolute so the same file is recognized whatever the working directory. */
export function normalizeLocation(location: string): string {
  return isUrl(location) ? location : resolve(location);
}

/** `v3.16` (as secdb's distroversion and the mirrors spell it) is branch `3.16`; other names stay. */
export function branchName(name: string): string {
  return /^v\d+\.\d+$/.test(name) ? name.slice(1) : name;
}

/** Refuses a name before anything is stored: `problem` comes from formats/names.ts. */
export function refuseBadName(problem: string | undefined, source: string, place?: string): void {
  if (problem !== undefined) throw new InputError(source, place, problem);
}

/**
 * Refuses a branch that is neither edge nor a release (N.N[.N]) nor one a sync configuration
 * declared: sync records its configuration's branches before it imports anything.
 */
export async function refuseUnknownBranch(db: Kysely<Schema>, branch: string, source: string): Promise<void> {
  if (branchNameProblem(branch) === undefined) return;
  const declared = new Set((await listBranches(db)).map((known) => known.name));
  refuseBadName(branchNameProblem(branch, declared), source);
}

/** A run source with the options that change what the data means, e.g. `/x/APKINDEX.tar.gz (branch 3.16, repo main)`. */
export function qualifiedSource(location: string, qualifiers: readonly string[]): string {
  const normalized = normalizeLocation(location);
  return qualifiers.length === 0 ? normalized : `${normalized} (${qualifiers.join(', ')})`;
}

/** Import runs are not data any page shows: recording one leaves the data version as it is. */
const BOOKKEEPING = { changedData: () => false } as const;

/**
 * Runs one import: records the run (outside the data transaction, so a failure is still on
 * record), skips the source when it is unchanged, and otherwise writes it in one write-locked
 * transaction, so a failed or killed import leaves the database as it was.
 */
export async function runImport(
  store: Store,
  target: ImportTarget,
  prepare: (previous: ImportRun | undefined) => Promise<PreparedImport>,
): Promise<ImportSummary> {
  const started = performance.now();
  const last = await findLastSuccessfulImportRun(store.db, target.runSource);
  // Without a previous run to compare with, the source is read and written whatever its fingerprint.
  const previous = last !== undefined && (await replacedSince(store.db, last, target.runSource)) ? undefined : last;
  const importRunId = await withWriteLock(
    store,
    async (db) => {
      // An earlier run of this source that never recorded its end was killed (its data rolled back).
      await failUnfinishedImportRuns(db, target.runSource, 'interrupted: the import ended without recording how');
      return startImportRun(db, { source: target.runSource, kind: target.kind });
    },
    BOOKKEEPING,
  );
  const summary = (status: ImportSummary['status'], counts: ImportCounts): ImportSummary => ({
    kind: target.kind,
    source: target.location,
    status,
    counts,
    durationMs: Math.round(performance.now() - started),
    importRunId,
  });

  let prepared: PreparedImport | undefined;
  try {
    prepared = await prepare(previous);
    if (prepared.status === 'unchanged') {
      // Carry the previous fingerprint (and target) over: this run becomes the one the next import compares with.
      await withWriteLock(store, (db) =>
        finishImportRun(db, importRunId, {
          status: 'unchanged',
          counts: {},
          checksum: previous?.checksum ?? null,
          etag: previous?.etag ?? null,
          lastModified: previous?.lastModified ?? null,
          target: previous?.target ?? null,
        }),
        BOOKKEEPING,
      );
      return summary('unchanged', {});
    }
    const { write, checksum, etag, lastModified } = prepared;
    let written: ImportWritten;
    try {
      written = await withWriteLock(store, async (db) => {
        const result = await write(db, importRunId);
        // Finished in the write's own transaction: the data and the `ok` run (with its target)
        // commit together, so no other import can find the data without the run that wrote it.
        await finishImportRun(db, importRunId, { status: 'ok', counts: result.counts, checksum, etag, lastModified, target: result.target ?? null });
        return result;
      });
    } finally {
      await prepared.dispose();
    }
    return summary('imported', written.counts);
  } catch (error) {
    await recordFailure(store, importRunId, prepared, error);
    throw error;
  }
}

/**
 * Whether the data of a source's last successful run `last` was replaced since by another source
 * writing the same target (a secdb file of the same repository from another path or URL, another
 * index of the same repository and architecture, another aports tree of the same branch): then the
 * source must be imported again even though it did not change. It is compared with the source's
 * last `ok` run, the one that wrote its data (an `unchanged` run wrote nothing).
 *
 * Only sources that replace a whole target record one. Rejections are stored per source, so no
 * other source can replace them. NVD and CVE 5 imports upsert per CVE id: a later feed's record
 * wins over the same CVE from an earlier, unchanged feed, which is then still skipped; that is
 * by design (the latest feed is the freshest), so they record no target.
 */
async function replacedSince(db: Kysely<Schema>, last: ImportRun, source: string): Promise<boolean> {
  const written = last.status === 'ok' ? last : await findLastSuccessfulImportRun(db, source, ['ok']);
  if (written === undefined || written.target === null) return false;
  return (await findLaterRunForTarget(db, written.target, written.id, source)) !== undefined;
}

async function recordFailure(store: Store, importRunId: number, prepared: PreparedImport | undefined, error: unknown): Promise<void> {
  const fingerprint = prepared?.status === 'changed' ? { checksum: prepared.checksum, etag: prepared.etag, lastModified: prepared.lastModified } : {};
  try {
    await withWriteLock(store, (db) =>
      finishImportRun(db, importRunId, { status: 'failed', error: error instanceof Error ? error.message : String(error), ...fingerprint }),
      BOOKKEEPING,
    );
  } catch {
    // The import's own error is what the caller needs; a database that cannot even log it will say so again.
  }
}

/** A file or URL source to prepare: its kind sets the default download cap. */
interface FileSource {
  readonly kind: DownloadKind;
  readonly location: string;
  readonly download?: DownloadOptions | undefined;
}

/**
 * Prepares a file or URL source: fetched (conditionally) and hashed by `acquireSource`.
 * `read` gets the local path and returns the writer; errors naming a temporary download
 * are renamed to the URL.
 */
export async function prepareFile(
  source: FileSource,
  previous: ImportRun | undefined,
  read: (path: string) => Promise<ImportWriter>,
): Promise<PreparedImport> {
  const { location } = source;
  const acquired = await acquireSource(location, previous, source.kind, source.download);
  if (acquired.status === 'unchanged') return { status: 'unchanged' };
  const rename = (error: unknown): never => {
    if (error instanceof InputError && acquired.path !== location && error.source === acquired.path) {
      throw new InputError(location, error.place, error.problem);
    }
    throw error;
  };
  try {
    const write = await read(acquired.path).catch(rename);
    return {
      status: 'changed',
      checksum: acquired.checksum,
      etag: acquired.etag,
      lastModified: acquired.lastModified,
      write: (db, importRunId) => write(db, importRunId).catch(rename),
      dispose: () => acquired.dispose(),
    };
  } catch (error) {
    await acquired.dispose();
    throw error;
  }
}
