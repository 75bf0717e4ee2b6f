import type { Kysely, Selectable } from 'kysely';
import { jsonText, number, readJsonColumn, recordOf } from '../json-column.js';
import type { ImportRunStatus, ImportRunTable, Schema } from '../schema.js';
import { nowIso } from './batches.js';

interface ImportRunStart {
  /** File path or URL the data comes from. */
  readonly source: string;
  /** What kind of data it is (`nvd`, `secdb`, `apkindex`, ...). */
  readonly kind: string;
  readonly checksum?: string | null;
  readonly etag?: string | null;
  /** The HTTP Last-Modified header, as sent. */
  readonly lastModified?: string | null;
  /** ISO time to record; defaults to now. */
  readonly at?: string;
}

interface ImportRunFinish {
  readonly status: Exclude<ImportRunStatus, 'running'>;
  readonly counts?: Readonly<Record<string, number>> | null;
  readonly error?: string | null;
  /** Known only once the source was read; undefined keeps what the start recorded. */
  readonly checksum?: string | null;
  readonly etag?: string | null;
  readonly lastModified?: string | null;
  /** What the run's data replaces (see `ImportRun.target`); undefined keeps what was recorded. */
  readonly target?: string | null;
  /** ISO time to record; defaults to now. */
  readonly at?: string;
}

export interface ImportRun {
  readonly id: number;
  readonly source: string;
  readonly kind: string;
  readonly checksum: string | null;
  readonly etag: string | null;
  readonly lastModified: string | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: ImportRunStatus;
  readonly counts: Record<string, number> | null;
  readonly error: string | null;
  readonly durationMs: number | null;
  /**
   * What the run's data replaces, for sources whose import replaces a whole target
   * (`apkindex:<branch>/<repo>/<arch>`, `secdb:<branch>/<repo>`, `aports:<branch>`); else null.
   */
  readonly target: string | null;
}

/**
 * Records that an import began and returns its id. Write it outside the import's own transaction,
 * so a failed import still leaves its run behind.
 */
export async function startImportRun(db: Kysely<Schema>, start: ImportRunStart): Promise<number> {
  const row = await db
    .insertInto('import_run')
    .values({
      source: start.source,
      kind: start.kind,
      checksum: start.checksum ?? null,
      etag: start.etag ?? null,
      last_modified: start.lastModified ?? null,
      started_at: start.at ?? nowIso(),
      status: 'running',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Ends the runs of `source` that are still `running` as `failed` with `error`, and returns how
 * many. For a run whose process died before it could record its end: a run that is in fact still
 * going records its own end later, over this one.
 */
export async function failUnfinishedImportRuns(db: Kysely<Schema>, source: string, error: string, at?: string): Promise<number> {
  const result = await db
    .updateTable('import_run')
    .set({ status: 'failed', finished_at: at ?? nowIso(), error })
    .where('source', '=', source)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Records how an import ended; the duration is measured from its recorded start. */
export async function finishImportRun(db: Kysely<Schema>, id: number, finish: ImportRunFinish): Promise<void> {
  const run = await db.selectFrom('import_run').select('started_at').where('id', '=', id).executeTakeFirstOrThrow();
  const finishedAt = finish.at ?? nowIso();
  await db
    .updateTable('import_run')
    .set({
      status: finish.status,
      finished_at: finishedAt,
      duration_ms: Date.parse(finishedAt) - Date.parse(run.started_at),
      counts: finish.counts === undefined || finish.counts === null ? null : jsonText(finish.counts),
      error: finish.error ?? null,
      ...(finish.checksum === undefined ? {} : { checksum: finish.checksum }),
      ...(finish.etag === undefined ? {} : { etag: finish.etag }),
      ...(finish.lastModified === undefined ? {} : { last_modified: finish.lastModified }),
      ...(finish.target === undefined ? {} : { target: finish.target }),
    })
    .where('id', '=', id)
    .execute();
}

function importRun(row: Selectable<ImportRunTable>): ImportRun {
  return {
    id: row.id,
    source: row.source,
    kind: row.kind,
    checksum: row.checksum,
    etag: row.etag,
    lastModified: row.last_modified,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    status: row.status,
    counts: row.counts === null ? null : readJsonColumn(row.counts, recordOf(number), 'import_run.counts'),
    error: row.error,
    durationMs: row.duration_ms,
    target: row.target,
  };
}

/**
 * The latest run of a source that ended well (`ok` or `unchanged`): its checksum or ETag tells
 * whether the source changed since. `['ok']` finds the latest run that wrote the source's data.
 */
export async function findLastSuccessfulImportRun(
  db: Kysely<Schema>,
  source: string,
  statuses: readonly ('ok' | 'unchanged')[] = ['ok', 'unchanged'],
): Promise<ImportRun | undefined> {
  const row = await db
    .selectFrom('import_run')
    .selectAll()
    .where('source', '=', source)
    .where('status', 'in', [...statuses])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : importRun(row);
}

/**
 * The first `ok` run of a source other than `excludingSource` that wrote `target` after run
 * `afterRunId` (the run that wrote the excluded source's data): if there is one, that data has
 * been replaced since. "After" means started later (a higher id) or finished no earlier: an `ok`
 * run finishes inside its write transaction, so the finish times follow the order in which
 * concurrent imports committed, even when they started in the other order.
 */
export async function findLaterRunForTarget(
  db: Kysely<Schema>,
  target: string,
  afterRunId: number,
  excludingSource: string,
): Promise<ImportRun | undefined> {
  const row = await db
    .selectFrom('import_run')
    .selectAll()
    .where('target', '=', target)
    .where('status', '=', 'ok')
    .where('source', '<>', excludingSource)
    .where((eb) =>
      eb.or([
        eb('id', '>', afterRunId),
        eb('finished_at', '>=', eb.selectFrom('import_run as after').select('after.finished_at').where('after.id', '=', afterRunId)),
      ]),
    )
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : importRun(row);
}

/** The most recent runs, newest first. */
export async function listImportRuns(db: Kysely<Schema>, limit: number): Promise<ImportRun[]> {
  const rows = await db.selectFrom('import_run').selectAll().orderBy('id', 'desc').limit(limit).execute();
  return rows.map(importRun);
}
