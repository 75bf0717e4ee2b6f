import type { Insertable, Kysely } from 'kysely';
import type { BinaryPackageTable, PackageVersionTable, Schema } from '../schema.js';
import { writeRows, writeRowsReturning } from '../bulk-write.js';
import { IN_LIST_SIZE, chunks, nowIso } from './batches.js';

/** One origin version as an architecture's APKINDEX lists it. */
export interface IndexedOriginVersion {
  readonly origin: string;
  readonly version: string;
  readonly versionKey: string | null;
  readonly maintainer: string | null;
  /** ISO-8601 UTC build time. */
  readonly buildTime: string | null;
  readonly commit: string | null;
  /** Names of the binary packages built from it that this index lists (at least one). */
  readonly binaries: readonly string[];
}

interface IndexSnapshot {
  readonly repositoryId: number;
  /** The architecture whose index this is; each binary is recorded under it. */
  readonly arch: string;
  /** The index's complete contents: anything of this arch not listed is gone from it. */
  readonly packages: readonly IndexedOriginVersion[];
  /** ISO time to record; defaults to now. */
  readonly at?: string;
}

interface IndexSnapshotChanges {
  /**
   * Origins whose set of published versions changed (a version appeared, disappeared or came
   * back), or whose binary packages did (a rebuild adding or dropping one): what `update` recomputes.
   */
  readonly changedOrigins: string[];
  readonly versionsAdded: number;
  readonly versionsRemoved: number;
  readonly versionsReturned: number;
}

const versionKeyOf = (sourcePackageId: number, version: string) => `${sourcePackageId}\u0000${version}`;

/**
 * Records one architecture's index of a repository. A version stays published while any
 * architecture's index lists one of its binaries; `removed_at` marks when the last one went.
 * Only differences are written, apart from `last_seen` on the versions present.
 */
export async function replaceIndexSnapshot(db: Kysely<Schema>, snapshot: IndexSnapshot): Promise<IndexSnapshotChanges> {
  const at = snapshot.at ?? nowIso();
  const { repositoryId, arch } = snapshot;
  const entries = mergeDuplicateEntries(snapshot.packages);
  const changedOrigins = new Set<string>();

  const originIds = await upsertOrigins(db, repositoryId, entries);
  const originNames = new Map([...originIds].map(([name, id]) => [id, name]));

  const existingVersions = await db
    .selectFrom('package_version as pv')
    .innerJoin('source_package as sp', 'sp.id', 'pv.source_package_id')
    .select(['pv.id', 'pv.source_package_id', 'pv.version', 'pv.version_key', 'pv.maintainer', 'pv.build_time', 'pv.commit', 'pv.removed_at'])
    .where('sp.repository_id', '=', repositoryId)
    .execute();
  const versionsByKey = new Map(existingVersions.map((row) => [versionKeyOf(row.source_package_id, row.version), row]));

  let versionsAdded = 0;
  let versionsReturned = 0;
  const writes: Insertable<PackageVersionTable>[] = [];
  const versionIds = new Map<string, number>();
  const unchangedIds: number[] = [];
  for (const entry of entries) {
    const sourcePackageId = originIds.get(entry.origin) as number;
    const key = versionKeyOf(sourcePackageId, entry.version);
    const existing = versionsByKey.get(key);
    if (existing === undefined) versionsAdded += 1;
    else if (existing.removed_at !== null) versionsReturned += 1;
    if (existing === undefined || existing.removed_at !== null) {
      changedOrigins.add(entry.origin);
    } else if (
      existing.version_key === entry.versionKey &&
      existing.maintainer === entry.maintainer &&
      existing.build_time === entry.buildTime &&
      existing.commit === entry.commit
    ) {
      versionIds.set(key, existing.id);
      unchangedIds.push(existing.id);
      continue;
    }
    writes.push({
      source_package_id: sourcePackageId,
      version: entry.version,
      version_key: entry.versionKey,
      first_seen: at,
      last_seen: at,
      removed_at: null,
      maintainer: entry.maintainer,
      build_time: entry.buildTime,
      commit: entry.commit,
    });
  }

  // A version seen again keeps its first_seen (every written row has removed_at null).
  const written = await writeRowsReturning(db, 'package_version', writes, ['id', 'source_package_id', 'version'], ['source_package_id', 'version'], [
    'version_key',
    'last_seen',
    'removed_at',
    'maintainer',
    'build_time',
    'commit',
  ]);
  for (const row of written) versionIds.set(versionKeyOf(row.source_package_id, row.version), row.id);
  for (const batch of chunks(unchangedIds, IN_LIST_SIZE)) {
    await db.updateTable('package_version').set({ last_seen: at }).where('id', 'in', batch).execute();
  }

  const sourceOf = new Map<number, number>();
  const listed = entries.flatMap((entry) => {
    const sourcePackageId = originIds.get(entry.origin) as number;
    const packageVersionId = versionIds.get(versionKeyOf(sourcePackageId, entry.version)) as number;
    sourceOf.set(packageVersionId, sourcePackageId);
    return entry.binaries.map((name) => ({ package_version_id: packageVersionId, name, arch }));
  });
  for (const sourcePackageId of await replaceArchBinaries(db, repositoryId, arch, listed, sourceOf)) changedOrigins.add(originNames.get(sourcePackageId) as string);

  // A version is gone once no architecture lists any of its binaries.
  const removed = await db
    .updateTable('package_version')
    .set({ removed_at: at })
    .where('removed_at', 'is', null)
    .where('source_package_id', 'in', (eb) =>
      eb.selectFrom('source_package').select('id').where('repository_id', '=', repositoryId),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('binary_package')
            .select('binary_package.id')
            .whereRef('binary_package.package_version_id', '=', 'package_version.id'),
        ),
      ),
    )
    .returning('source_package_id')
    .execute();
  for (const row of removed) changedOrigins.add(originNames.get(row.source_package_id) as string);

  return {
    changedOrigins: [...changedOrigins].sort(),
    versionsAdded,
    versionsRemoved: removed.length,
    versionsReturned,
  };
}

/** Several entries for one origin version (one per binary, say) become one with all binaries. */
function mergeDuplicateEntries(packages: readonly IndexedOriginVersion[]): IndexedOriginVersion[] {
  const merged = new Map<string, IndexedOriginVersion>();
  for (const entry of packages) {
    const key = `${entry.origin}\u0000${entry.version}`;
    const earlier = merged.get(key);
    merged.set(key, earlier === undefined ? entry : { ...entry, binaries: [...earlier.binaries, ...entry.binaries] });
  }
  return [...merged.values()];
}

/** Ids of the repository's origins by name, creating missing ones and updating maintainers. */
async function upsertOrigins(
  db: Kysely<Schema>,
  repositoryId: number,
  entries: readonly IndexedOriginVersion[],
): Promise<Map<string, number>> {
  const existing = await db
    .selectFrom('source_package')
    .select(['id', 'name', 'maintainer'])
    .where('repository_id', '=', repositoryId)
    .execute();
  const ids = new Map(existing.map((row) => [row.name, row.id]));
  const maintainers = new Map(existing.map((row) => [row.name, row.maintainer]));
  const writes = new Map<string, string | null>();
  for (const entry of entries) {
    if (!ids.has(entry.origin) || maintainers.get(entry.origin) !== entry.maintainer) {
      writes.set(entry.origin, entry.maintainer);
    }
  }
  const rows = [...writes].map(([name, maintainer]) => ({ repository_id: repositoryId, name, maintainer }));
  for (const row of await writeRowsReturning(db, 'source_package', rows, ['id', 'name'], ['repository_id', 'name'])) ids.set(row.name, row.id);
  return ids;
}

/**
 * Makes the binary rows of one architecture match the index; returns the source packages whose
 * binaries changed. `sourceOf` gives the source package of every version `listed` names.
 */
async function replaceArchBinaries(
  db: Kysely<Schema>,
  repositoryId: number,
  arch: string,
  listed: readonly Insertable<BinaryPackageTable>[],
  sourceOf: ReadonlyMap<number, number>,
): Promise<Set<number>> {
  const existing = await db
    .selectFrom('binary_package as bp')
    .innerJoin('package_version as pv', 'pv.id', 'bp.package_version_id')
    .innerJoin('source_package as sp', 'sp.id', 'pv.source_package_id')
    .select(['bp.id', 'bp.package_version_id', 'bp.name', 'pv.source_package_id'])
    .where('sp.repository_id', '=', repositoryId)
    .where('bp.arch', '=', arch)
    .execute();
  const binaryKey = (row: { package_version_id: number; name: string }) => `${row.package_version_id}\u0000${row.name}`;
  const existingIds = new Map(existing.map((row) => [binaryKey(row), row.id]));
  const unlisted = new Map(existing.map((row) => [binaryKey(row), row]));
  const additions = new Map<string, Insertable<BinaryPackageTable>>();
  for (const row of listed) {
    const key = binaryKey(row);
    unlisted.delete(key);
    if (!existingIds.has(key)) additions.set(key, row);
  }
  for (const batch of chunks([...unlisted.values()].map((row) => row.id), IN_LIST_SIZE)) {
    await db.deleteFrom('binary_package').where('id', 'in', batch).execute();
  }
  await writeRows(db, 'binary_package', [...additions.values()]);
  return new Set([
    ...[...unlisted.values()].map((row) => row.source_package_id),
    ...[...additions.values()].map((row) => sourceOf.get(row.package_version_id) as number),
  ]);
}

interface PublishedVersion {
  readonly origin: string;
  readonly version: string;
  readonly versionKey: string | null;
  readonly maintainer: string | null;
  readonly buildTime: string | null;
  readonly commit: string | null;
  readonly firstSeen: string;
}

/** The versions a repository currently publishes, optionally only of some origins. */
export async function listPublishedVersions(
  db: Kysely<Schema>,
  repositoryId: number,
  origins?: readonly string[],
): Promise<PublishedVersion[]> {
  const query = db
    .selectFrom('package_version as pv')
    .innerJoin('source_package as sp', 'sp.id', 'pv.source_package_id')
    .select([
      'sp.name as origin',
      'pv.version',
      'pv.version_key',
      'pv.maintainer',
      'pv.build_time',
      'pv.commit',
      'pv.first_seen',
    ])
    .where('sp.repository_id', '=', repositoryId)
    .where('pv.removed_at', 'is', null)
    .orderBy('sp.name')
    .orderBy('pv.id');
  const rows =
    origins === undefined
      ? await query.execute()
      : (await Promise.all(chunks(origins, IN_LIST_SIZE).map((batch) => query.where('sp.name', 'in', batch).execute()))).flat();
  return rows.map((row) => ({
    origin: row.origin,
    version: row.version,
    versionKey: row.version_key,
    maintainer: row.maintainer,
    buildTime: row.build_time,
    commit: row.commit,
    firstSeen: row.first_seen,
  }));
}

/**
 * Every package name the security data of these repositories can concern, sorted and distinct:
 * their source packages, the packages of their secfixes and states, and every package with a
 * triage event (whose standing event may name any branch).
 */
export async function listSecurityDataPackages(db: Kysely<Schema>, repositoryIds: readonly number[]): Promise<string[]> {
  const triaged = db.selectFrom('triage_event').select('package').distinct();
  const query =
    repositoryIds.length === 0
      ? triaged
      : triaged
          .union(db.selectFrom('source_package').select('name as package').where('repository_id', 'in', repositoryIds))
          .union(db.selectFrom('secfix').select('package').where('repository_id', 'in', repositoryIds))
          .union(db.selectFrom('state').select('package').where('repository_id', 'in', repositoryIds));
  const rows = await query.orderBy('package').execute();
  return rows.map((row) => row.package);
}

/**
 * Every version each origin ever had in these repositories' indexes, removed ones included, and
 * whether one of them publishes it now: by repository, origin, and the order the versions were
 * first seen in.
 */
export function listOriginVersions(
  db: Kysely<Schema>,
  repositoryIds: readonly number[],
): Promise<{ readonly repositoryId: number; readonly origin: string; readonly version: string; readonly published: boolean }[]> {
  if (repositoryIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('package_version as pv')
    .innerJoin('source_package as sp', 'sp.id', 'pv.source_package_id')
    .select(['sp.repository_id as repositoryId', 'sp.name as origin', 'pv.version', 'pv.removed_at'])
    .where('sp.repository_id', 'in', repositoryIds)
    .orderBy('sp.repository_id')
    .orderBy('sp.name')
    .orderBy('pv.id')
    .execute()
    .then((rows) => rows.map((row) => ({ repositoryId: row.repositoryId, origin: row.origin, version: row.version, published: row.removed_at === null })));
}

/**
 * Binary package names with their origin and repository, for every version these repositories
 * publish now (several branches' in one query), by name, origin and repository.
 */
export async function listPublishedBinaries(
  db: Kysely<Schema>,
  repositoryIds: readonly number[],
): Promise<{ readonly repositoryId: number; readonly binary: string; readonly origin: string }[]> {
  if (repositoryIds.length === 0) return [];
  return db
    .selectFrom('binary_package as bp')
    .innerJoin('package_version as pv', 'pv.id', 'bp.package_version_id')
    .innerJoin('source_package as sp', 'sp.id', 'pv.source_package_id')
    .select(['sp.repository_id as repositoryId', 'bp.name as binary', 'sp.name as origin'])
    .distinct()
    .where('sp.repository_id', 'in', repositoryIds)
    .where('pv.removed_at', 'is', null)
    .orderBy('bp.name')
    .orderBy('sp.name')
    .orderBy('sp.repository_id')
    .execute();
}

/** A repository that publishes a binary package now, and the origin it is built from there. */
export interface BinaryOrigin {
  readonly branch: string;
  readonly repo: string;
  readonly origin: string;
}

/** Where a binary package name is published now and from which origin, by origin, branch and repository name. One query. */
export async function listBinaryOrigins(db: Kysely<Schema>, binary: string): Promise<BinaryOrigin[]> {
  return db
    .selectFrom('binary_package as bp')
    .innerJoin('package_version as pv', 'pv.id', 'bp.package_version_id')
    .innerJoin('source_package as sp', 'sp.id', 'pv.source_package_id')
    .innerJoin('repository as r', 'r.id', 'sp.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select(['b.name as branch', 'r.name as repo', 'sp.name as origin'])
    .distinct()
    .where('bp.name', '=', binary)
    .orderBy('sp.name')
    .orderBy('b.name')
    .orderBy('r.name')
    .execute();
}
