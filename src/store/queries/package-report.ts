import { type Kysely, type SqlBool, sql } from 'kysely';
import { STATE_NAMES, type Schema, type SecfixSource, type StateName } from '../schema.js';
import type { StateCountRow } from './states.js';

/*
 * Reads for one source package across every branch. State and secfix rows are keyed by
 * (repository_id, package, ...) and have no index on the package alone, so each query also says
 * `repository_id in (every repository)`: always true, but it lets SQLite's planner (which has no
 * statistics) probe the key once per repository instead of scanning the table.
 */

/** `<column> in (select id from repository)`, for the repository_id column of a state or secfix alias. */
export const inEveryRepository = (column: string) => sql<SqlBool>`${sql.ref(column)} in (select every.id from repository as every)`;

/** A version of the package in one repository, or the repository's origin without any version. */
export interface PackageVersionRow {
  readonly branch: string;
  readonly repo: string;
  /** The maintainer the repository's index names now. */
  readonly maintainer: string | null;
  /** Null when the repository has the origin but no version row. */
  readonly version: string | null;
  /** The maintainer of this version, as its index entry named them. */
  readonly versionMaintainer: string | null;
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
  /** When the last index listing it dropped it; null while published. */
  readonly removedAt: string | null;
  /** How many removed versions the repository has in all, of which only the newest are listed. */
  readonly removedCount: number;
}

/**
 * The package's versions in every repository: all published ones, and the `historyLimit` most
 * recently removed ones per repository (with the count of all removed ones).
 */
export async function listPackageVersions(db: Kysely<Schema>, name: string, historyLimit: number): Promise<PackageVersionRow[]> {
  // Published and removed versions are ranked apart: a repository's history is cut, its present never.
  const removed = sql<number>`case when pv.removed_at is null then 0 else 1 end`;
  const rows = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('source_package as sp')
        .innerJoin('repository as r', 'r.id', 'sp.repository_id')
        .innerJoin('branch as b', 'b.id', 'r.branch_id')
        .leftJoin('package_version as pv', 'pv.source_package_id', 'sp.id')
        .select(['b.name as branch', 'r.name as repo', 'sp.maintainer', 'pv.version', 'pv.maintainer as version_maintainer', 'pv.first_seen', 'pv.last_seen', 'pv.removed_at'])
        .select(sql<number>`row_number() over (partition by sp.id, ${removed} order by pv.removed_at desc, pv.id desc)`.as('history_rank'))
        .select(sql<number>`sum(${removed}) over (partition by sp.id)`.as('removed_count'))
        .where('sp.name', '=', name)
        .as('v'),
    )
    .selectAll()
    .where((eb) => eb.or([eb('v.removed_at', 'is', null), eb('v.history_rank', '<=', historyLimit)]))
    .orderBy('v.branch')
    .orderBy('v.repo')
    .orderBy('v.history_rank')
    .execute();
  return rows.map((row) => ({
    branch: row.branch,
    repo: row.repo,
    maintainer: row.maintainer,
    version: row.version,
    versionMaintainer: row.version_maintainer,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    removedAt: row.removed_at,
    removedCount: Number(row.removed_count ?? 0),
  }));
}

/** One secfixes line of the package in one repository. */
export interface PackageSecfixRow {
  readonly branch: string;
  readonly repo: string;
  /** The fixed version, or `0` for "never affected". */
  readonly version: string;
  readonly vulnerabilityId: string;
  readonly note: string | null;
  readonly source: SecfixSource;
}

/** Every secfixes line of the package, by branch and repository in the order they were stored. */
export async function listPackageSecfixes(db: Kysely<Schema>, name: string): Promise<PackageSecfixRow[]> {
  return db
    .selectFrom('secfix as s')
    .innerJoin('repository as r', 'r.id', 's.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select(['b.name as branch', 'r.name as repo', 's.version', 's.vulnerability_id as vulnerabilityId', 's.note', 's.source'])
    .where(inEveryRepository('s.repository_id'))
    .where('s.package', '=', name)
    .orderBy('b.name')
    .orderBy('r.name')
    .orderBy('s.id')
    .execute();
}

/** How many of the package's states each repository has of each state name. */
export async function countPackageStates(db: Kysely<Schema>, name: string): Promise<StateCountRow[]> {
  const rows = await db
    .selectFrom('state as s')
    .innerJoin('repository as r', 'r.id', 's.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select(['b.name as branch', 'r.name as repo', 's.state'])
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where(inEveryRepository('s.repository_id'))
    // Always true too: without it SQLite prefers the covering (repository, state, package) index by repository alone.
    .where('s.state', 'in', STATE_NAMES)
    .where('s.package', '=', name)
    .groupBy(['b.name', 'r.name', 's.state'])
    .orderBy('b.name')
    .orderBy('r.name')
    .orderBy('s.state')
    .execute();
  return rows.map((row) => ({ branch: row.branch, repo: row.repo, state: row.state, count: Number(row.count) }));
}

/** The distinct vulnerabilities the package has a state for (with `state` somewhere, when given), from the indexes alone. */
export async function listPackageVulnerabilityIds(db: Kysely<Schema>, name: string, state?: StateName): Promise<string[]> {
  let query = db.selectFrom('state as s').select('s.vulnerability_id').distinct().where(inEveryRepository('s.repository_id')).where('s.package', '=', name);
  if (state !== undefined) query = query.where('s.state', '=', state);
  return (await query.execute()).map((row) => row.vulnerability_id);
}

/** A vulnerability's publication date. */
export interface VulnerabilityDate {
  readonly id: string;
  readonly published: string;
}

/**
 * Up to `limit` vulnerabilities with a publication date, by id, after `afterId`: the dates the
 * package page orders by (src/web/vulnerability-order.ts), which the server reads a slice at a
 * time once per data version.
 */
export async function listVulnerabilityDates(db: Kysely<Schema>, afterId: string | undefined, limit: number): Promise<VulnerabilityDate[]> {
  let query = db.selectFrom('vulnerability').select(['id', 'published']).where('published', 'is not', null);
  if (afterId !== undefined) query = query.where('id', '>', afterId);
  const rows = await query.orderBy('id').limit(limit).execute();
  return rows.map((row) => ({ id: row.id, published: row.published as string }));
}

/** A state of the package with its place and its vulnerability's severity. */
export interface PackageStateRow {
  readonly branch: string;
  readonly repo: string;
  readonly vulnerabilityId: string;
  readonly state: StateName;
  readonly version: string | null;
  readonly fixedVersion: string | null;
  readonly updatedAt: string;
  /** Null when no vulnerability record is stored (ids only secfixes name) or it has no score. */
  readonly severity: string | null;
  readonly cvssScore: number | null;
  readonly published: string | null;
}

/** Every state, in every repository, of these vulnerabilities of the package (a page of them), in no particular order. */
export async function listPackageStatesOf(db: Kysely<Schema>, name: string, vulnerabilityIds: readonly string[]): Promise<PackageStateRow[]> {
  if (vulnerabilityIds.length === 0) return [];
  const rows = await db
    .selectFrom('state as s')
    .innerJoin('repository as r', 'r.id', 's.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .leftJoin('vulnerability as v', 'v.id', 's.vulnerability_id')
    .select(['b.name as branch', 'r.name as repo', 's.vulnerability_id', 's.state', 's.version', 's.fixed_version', 's.updated_at', 'v.severity', 'v.cvss_score', 'v.published'])
    .where(inEveryRepository('s.repository_id'))
    .where('s.package', '=', name)
    .where('s.vulnerability_id', 'in', [...vulnerabilityIds])
    .execute();
  return rows.map((row) => ({
    branch: row.branch,
    repo: row.repo,
    vulnerabilityId: row.vulnerability_id,
    state: row.state,
    version: row.version,
    fixedVersion: row.fixed_version,
    updatedAt: row.updated_at,
    severity: row.severity,
    cvssScore: row.cvss_score === null ? null : Number(row.cvss_score),
    published: row.published,
  }));
}
