import type { Kysely } from 'kysely';
import type { Schema, SecfixSource } from '../schema.js';
import { writeRows } from '../bulk-write.js';
import { IN_LIST_SIZE, chunks } from './batches.js';

/** One `version: [ids]` line of a package's secfixes. */
export interface SecfixEntry {
  readonly package: string;
  /** The version that fixed it, or `0` for "never affected". */
  readonly version: string;
  readonly vulnerabilityId: string;
  readonly note: string | null;
}

/** Which stored secfixes a file replaces. */
interface SecfixScope {
  readonly repositoryId: number;
  readonly source: SecfixSource;
}

interface SecfixReplaceResult {
  /** Packages with any secfix added, removed or re-noted. */
  readonly changedPackages: string[];
  readonly added: number;
  readonly removed: number;
}

const entryKey = (row: { package: string; version: string; vulnerabilityId: string }) =>
  `${row.package}\u0000${row.version}\u0000${row.vulnerabilityId}`;

/**
 * Makes `entries` the complete set of secfixes in `scope`. Unchanged rows are left alone (they
 * keep the import run that first brought them), so replacing with the same file changes nothing.
 */
export async function replaceSecfixes(
  db: Kysely<Schema>,
  scope: SecfixScope,
  entries: readonly SecfixEntry[],
  importRunId: number | null,
): Promise<SecfixReplaceResult> {
  const wanted = new Map(entries.map((entry) => [entryKey(entry), entry]));

  const existing = await loadScope(db, scope);
  const changedPackages = new Set<string>();
  const removals: number[] = [];
  const noteUpdates: { id: number; note: string | null }[] = [];
  for (const row of existing) {
    const key = entryKey(row);
    const entry = wanted.get(key);
    if (entry === undefined) {
      removals.push(row.id);
      changedPackages.add(row.package);
    } else {
      wanted.delete(key);
      if (entry.note !== row.note) {
        noteUpdates.push({ id: row.id, note: entry.note });
        changedPackages.add(row.package);
      }
    }
  }
  // What is left in `wanted` is new.
  for (const entry of wanted.values()) changedPackages.add(entry.package);

  for (const batch of chunks(removals, IN_LIST_SIZE)) {
    await db.deleteFrom('secfix').where('id', 'in', batch).execute();
  }
  for (const update of noteUpdates) {
    await db.updateTable('secfix').set({ note: update.note }).where('id', '=', update.id).execute();
  }
  const rows = [...wanted.values()].map((entry) => ({
    repository_id: scope.repositoryId,
    package: entry.package,
    version: entry.version,
    vulnerability_id: entry.vulnerabilityId,
    note: entry.note,
    source: scope.source,
    import_run_id: importRunId,
  }));
  await writeRows(db, 'secfix', rows);
  return { changedPackages: [...changedPackages].sort(), added: rows.length, removed: removals.length };
}

function loadScope(db: Kysely<Schema>, scope: SecfixScope) {
  return db
    .selectFrom('secfix')
    .select(['id', 'package', 'version', 'vulnerability_id as vulnerabilityId', 'note'])
    .where('repository_id', '=', scope.repositoryId)
    .where('source', '=', scope.source)
    .execute();
}

interface StoredSecfix extends SecfixEntry {
  readonly repositoryId: number;
  readonly source: SecfixSource;
}

/** The columns a `StoredSecfix` is read from. */
const STORED_SECFIX_COLUMNS = ['repository_id as repositoryId', 'package', 'version', 'vulnerability_id as vulnerabilityId', 'note', 'source'] as const;

/** A repository's secfixes from every source, optionally only of some packages. */
export async function listSecfixes(
  db: Kysely<Schema>,
  repositoryId: number,
  packages?: readonly string[],
): Promise<StoredSecfix[]> {
  const query = db
    .selectFrom('secfix')
    .select(STORED_SECFIX_COLUMNS)
    .where('repository_id', '=', repositoryId)
    .orderBy('package')
    .orderBy('id');
  if (packages === undefined) return query.execute();
  const batches = await Promise.all(
    chunks([...new Set(packages)], IN_LIST_SIZE).map((batch) => query.where('package', 'in', batch).execute()),
  );
  return batches.flat();
}

/**
 * The secfixes of several repositories from every source, ordered by repository, package and
 * line: in one query, or one per batch of `packages` when only those are asked for.
 */
export async function listSecfixesOfRepositories(
  db: Kysely<Schema>,
  repositoryIds: readonly number[],
  packages?: readonly string[],
): Promise<StoredSecfix[]> {
  if (repositoryIds.length === 0) return [];
  const query = db.selectFrom('secfix').select(STORED_SECFIX_COLUMNS).where('repository_id', 'in', repositoryIds);
  const ordered = (selected: typeof query) => selected.orderBy('repository_id').orderBy('package').orderBy('id').execute();
  if (packages === undefined) return ordered(query);
  const batches = await Promise.all(chunks([...new Set(packages)], IN_LIST_SIZE).map((batch) => ordered(query.where('package', 'in', batch))));
  // Each batch is in line order within a package; the sort is stable.
  return batches.flat().sort((a, b) => a.repositoryId - b.repositoryId || (a.package < b.package ? -1 : a.package > b.package ? 1 : 0));
}

/** The repositories among `repositoryIds` that have any secfix. */
export async function listRepositoriesWithSecfixes(db: Kysely<Schema>, repositoryIds: readonly number[]): Promise<number[]> {
  if (repositoryIds.length === 0) return [];
  const rows = await db.selectFrom('secfix').select('repository_id').distinct().where('repository_id', 'in', repositoryIds).execute();
  return rows.map((row) => row.repository_id);
}

/** Secfixes naming any of the given vulnerability ids, across repositories. */
export async function listSecfixesByVulnerability(
  db: Kysely<Schema>,
  vulnerabilityIds: readonly string[],
): Promise<StoredSecfix[]> {
  const batches = await Promise.all(
    chunks([...new Set(vulnerabilityIds)], IN_LIST_SIZE).map((batch) =>
      db
        .selectFrom('secfix')
        .select(STORED_SECFIX_COLUMNS)
        .where('vulnerability_id', 'in', batch)
        .orderBy('repository_id')
        .orderBy('package')
        .orderBy('id')
        .execute(),
    ),
  );
  return batches.flat();
}
