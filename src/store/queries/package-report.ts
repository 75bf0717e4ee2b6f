import { type Kysely, type SqlBool, SqliteAdapter, sql } from 'kysely';
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

/** Which of a package's vulnerabilities to read: those with `state` in some repository (any when undefined), a page of them. */
interface PackageVulnerabilityPage {
  readonly state?: StateName;
  readonly limit: number;
  readonly offset: number;
}

/** How many vulnerabilities the package has a state for (with `state` somewhere, when given). */
export async function countPackageVulnerabilities(db: Kysely<Schema>, name: string, state?: StateName): Promise<number> {
  let query = db
    .selectFrom('state as s')
    .select((eb) => eb.fn.count<number>('s.vulnerability_id').distinct().as('total'))
    .where(inEveryRepository('s.repository_id'))
    .where('s.package', '=', name);
  if (state !== undefined) query = query.where('s.state', '=', state);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.total);
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

/**
 * Every state, in every repository, of one page of the package's vulnerabilities, newest
 * published first, then by id, descending. The page is chosen in a subquery, so the page's rows
 * come back in one query whatever the package's size.
 */
export async function listPackageStates(db: Kysely<Schema>, name: string, page: PackageVulnerabilityPage): Promise<PackageStateRow[]> {
  // Ids without a record count as newest: mostly CVEs too recent for the feeds, or distribution ids.
  const newest = (alias: string) => sql<string>`coalesce(${sql.ref(`${alias}.published`)}, '9999')`;
  // Each of the package's vulnerabilities is looked up for its date, in the narrow index of
  // migration 0013 on SQLite: a large package has thousands, and their records are large rows.
  const byIndex = db.getExecutor().adapter instanceof SqliteAdapter ? sql` indexed by vulnerability_published` : sql``;
  const newestOf = (column: string) => sql<string>`coalesce((select pv.published from vulnerability as pv${byIndex} where pv.id = ${sql.ref(column)}), '9999')`;
  const rows = await db
    .selectFrom('state as s')
    .innerJoin('repository as r', 'r.id', 's.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .leftJoin('vulnerability as v', 'v.id', 's.vulnerability_id')
    .select(['b.name as branch', 'r.name as repo', 's.vulnerability_id', 's.state', 's.version', 's.fixed_version', 's.updated_at', 'v.severity', 'v.cvss_score', 'v.published'])
    .where(inEveryRepository('s.repository_id'))
    .where('s.package', '=', name)
    .where('s.vulnerability_id', 'in', (eb) => {
      let ids = eb
        .selectFrom('state as ps')
        .select('ps.vulnerability_id')
        .distinct()
        .where(inEveryRepository('ps.repository_id'))
        .where('ps.package', '=', name);
      if (page.state !== undefined) ids = ids.where('ps.state', '=', page.state);
      return eb
        .selectFrom(ids.as('ids'))
        .select('ids.vulnerability_id')
        .orderBy(newestOf('ids.vulnerability_id'), 'desc')
        .orderBy('ids.vulnerability_id', 'desc')
        .limit(page.limit)
        .offset(page.offset);
    })
    .orderBy(newest('v'), 'desc')
    .orderBy('s.vulnerability_id', 'desc')
    .orderBy('b.name')
    .orderBy('r.name')
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
