import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { InputError } from '../formats/input-error.js';
import { acquireSource, isUrl } from '../sources/acquire.js';
import {
  type ImportRun,
  type Schema,
  type Store,
  findLastSuccessfulImportRun,
  finishImportRun,
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

export type ImportCounts = Record<string, number>;

/** Writes one source's data; runs inside the write lock, so everything it does commits together. */
export type ImportWriter = (db: Kysely<Schema>, importRunId: number) => Promise<ImportCounts>;

/** A source read far enough to know whether it changed since the last successful import. */
export type PreparedImport =
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

export interface ImportTarget {
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

/** A run source with the options that change what the data means, e.g. `/x/APKINDEX.tar.gz (branch 3.16, repo main)`. */
export function qualifiedSource(location: string, qualifiers: readonly string[]): string {
  const normalized = normalizeLocation(location);
  return qualifiers.length === 0 ? normalized : `${normalized} (${qualifiers.join(', ')})`;
}

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
  const previous = await findLastSuccessfulImportRun(store.db, target.runSource);
  const importRunId = await withWriteLock(store, (db) => startImportRun(db, { source: target.runSource, kind: target.kind }));
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
      // Carry the previous fingerprint over: this run becomes the one the next import compares with.
      await withWriteLock(store, (db) =>
        finishImportRun(db, importRunId, {
          status: 'unchanged',
          counts: {},
          checksum: previous?.checksum ?? null,
          etag: previous?.etag ?? null,
          lastModified: previous?.lastModified ?? null,
        }),
      );
      return summary('unchanged', {});
    }
    const { write } = prepared;
    let counts: ImportCounts;
    try {
      counts = await withWriteLock(store, (db) => write(db, importRunId));
    } finally {
      await prepared.dispose();
    }
    const { checksum, etag, lastModified } = prepared;
    await withWriteLock(store, (db) => finishImportRun(db, importRunId, { status: 'ok', counts, checksum, etag, lastModified }));
    return summary('imported', counts);
  } catch (error) {
    await recordFailure(store, importRunId, prepared, error);
    throw error;
  }
}

async function recordFailure(store: Store, importRunId: number, prepared: PreparedImport | undefined, error: unknown): Promise<void> {
  const fingerprint = prepared?.status === 'changed' ? { checksum: prepared.checksum, etag: prepared.etag, lastModified: prepared.lastModified } : {};
  try {
    await withWriteLock(store, (db) =>
      finishImportRun(db, importRunId, { status: 'failed', error: error instanceof Error ? error.message : String(error), ...fingerprint }),
    );
  } catch {
    // The import's own error is what the caller needs; a database that cannot even log it will say so again.
  }
}

/**
 * Prepares a file or URL source: fetched (conditionally) and hashed by `acquireSource`.
 * `read` gets the local path and returns the writer; errors naming a temporary download
 * are renamed to the URL.
 */
export async function prepareFile(
  location: string,
  previous: ImportRun | undefined,
  read: (path: string) => Promise<ImportWriter>,
): Promise<PreparedImport> {
  const acquired = await acquireSource(location, previous);
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
