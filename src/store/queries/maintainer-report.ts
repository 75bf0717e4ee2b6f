import { type ExpressionBuilder, type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Schema, StateName } from '../schema.js';

/*
 * Who maintains what, for the maintainer and orphan pages. A source package counts while an
 * index publishes one of its versions: a package whose every version is gone keeps its row (and
 * its last maintainer) but is maintained by nobody any more.
 */

/** Whether the source package aliased `sp` has a published version: a lookup per row, for queries that start from few rows. */
const isPublished = sql<SqlBool>`exists (select 1 from package_version as pv where pv.source_package_id = ${sql.ref('sp.id')} and pv.removed_at is null)`;

/** The same as a set of ids, for queries over every source package: one scan instead of a lookup each. */
const isAmongPublished = sql<SqlBool>`${sql.ref('sp.id')} in (select pv.source_package_id from package_version as pv where pv.removed_at is null)`;

/** The newest published version of the source package whose id is `idColumn` (apk order by version key). */
function newestVersion(idColumn: string): RawBuilder<string | null> {
  return sql<string | null>`(select pv.version from package_version as pv
    where pv.source_package_id = ${sql.ref(idColumn)} and pv.removed_at is null
    order by case when pv.version_key is null then 1 else 0 end, pv.version_key desc, pv.version desc limit 1)`;
}

/** Orders branches as `branchOrder` lists them (the caller's reading order); unlisted ones go last by name. */
function branchRank(branchOrder: readonly string[]): RawBuilder<number> {
  if (branchOrder.length === 0) return sql<number>`0`;
  const cases = branchOrder.map((name, index) => sql`when ${name} then ${sql.lit(index)}`);
  return sql<number>`case ${sql.ref('b.name')} ${sql.join(cases, sql` `)} else ${sql.lit(branchOrder.length)} end`;
}

const likeContaining = (text: string) => `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;

/** One maintainer text as the indexes write it, with what its published packages add up to. */
interface MaintainerTotals {
  readonly maintainer: string;
  /** Distinct package names over every branch and repository. */
  readonly packages: number;
  /** (repository, package, vulnerability) pairs of those packages in state `vulnerable`. */
  readonly vulnerable: number;
}

/**
 * Every non-empty maintainer text of a published package, with its package count and open
 * vulnerable pairs, in one aggregate query. Rows are per text: grouping texts into people (by
 * e-mail) is the caller's, who corrects the package counts with `listSharedPackageNames`.
 */
export async function listMaintainerTotals(db: Kysely<Schema>): Promise<MaintainerTotals[]> {
  const rows = await db
    .selectFrom('source_package as sp')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('state')
          .select(['repository_id', 'package'])
          .select((inner) => inner.fn.countAll<number | string>().as('open'))
          .where('state', '=', 'vulnerable')
          // Names every repository so SQLite reads the covering (repository_id, state, package)
          // index rather than each vulnerable row through the state index.
          .where('repository_id', 'in', (repositories) => repositories.selectFrom('repository').select('id'))
          .groupBy(['repository_id', 'package'])
          .as('v'),
      (join) => join.onRef('v.repository_id', '=', 'sp.repository_id').onRef('v.package', '=', 'sp.name'),
    )
    .select('sp.maintainer')
    .select((eb) => [eb.fn.count<number | string>('sp.name').distinct().as('packages'), eb.fn.sum<number | string | null>('v.open').as('vulnerable')])
    .where('sp.maintainer', 'is not', null)
    .where('sp.maintainer', '<>', '')
    .where(isAmongPublished)
    .groupBy('sp.maintainer')
    .orderBy('sp.maintainer')
    .$narrowType<{ maintainer: string }>()
    .execute();
  return rows.map((row) => ({ maintainer: row.maintainer, packages: Number(row.packages), vulnerable: Number(row.vulnerable ?? 0) }));
}

/**
 * The (maintainer text, package name) pairs of published packages whose name more than one
 * maintainer text maintains (in different branches, say): the packages that per-text counts
 * would count twice for a person who writes their name two ways. One query.
 */
export async function listSharedPackageNames(db: Kysely<Schema>): Promise<{ readonly maintainer: string; readonly name: string }[]> {
  const named = (eb: ExpressionBuilder<Schema & { sp: Schema['source_package'] }, 'sp'>) => eb.and([eb('sp.maintainer', 'is not', null), eb('sp.maintainer', '<>', '')]);
  return db
    .selectFrom('source_package as sp')
    .select(['sp.maintainer', 'sp.name'])
    .distinct()
    .where(named)
    .where(isAmongPublished)
    .where('sp.name', 'in', (eb) =>
      eb
        .selectFrom('source_package as sp')
        .select('sp.name')
        .where(named)
        .groupBy('sp.name')
        .having((having) => having(having.fn.count('sp.maintainer').distinct(), '>', 1)),
    )
    .orderBy('sp.maintainer')
    .orderBy('sp.name')
    .$narrowType<{ maintainer: string }>()
    .execute();
}

/** Maintainer texts of published packages that contain `text` (case-insensitively on SQLite): candidates for one person. */
export async function listMaintainersContaining(db: Kysely<Schema>, text: string): Promise<string[]> {
  const rows = await db
    .selectFrom('source_package as sp')
    .select('sp.maintainer')
    .distinct()
    .where(sql<SqlBool>`${sql.ref('sp.maintainer')} like ${likeContaining(text)} escape '\\'`)
    .where(isPublished)
    .orderBy('sp.maintainer')
    .$narrowType<{ maintainer: string }>()
    .execute();
  return rows.map((row) => row.maintainer);
}

/** Which page of packages to read, in branch order (`branchOrder`), then repository and name. */
interface PackagePageRequest {
  readonly branch?: string;
  readonly branchOrder: readonly string[];
  /** 1-based. */
  readonly page: number;
  readonly pageSize: number;
}

/** A published source package of one repository. */
interface RepositoryPackage {
  readonly repositoryId: number;
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly maintainer: string | null;
  /** The newest version the repository publishes (there is one: only published packages are listed). */
  readonly version: string;
}

/** One open pair (vulnerable or unknown) of a package. */
export interface OpenPair {
  readonly vulnerabilityId: string;
  readonly state: Extract<StateName, 'vulnerable' | 'unknown'>;
  readonly fixedVersion: string | null;
  readonly severity: string | null;
  readonly cvssScore: number | null;
}

export interface MaintainedPackage extends RepositoryPackage {
  /** Vulnerable pairs first, then unknown ones, each by vulnerability id. */
  readonly openPairs: readonly OpenPair[];
}

export interface OrphanPackage extends RepositoryPackage {
  /** Pairs in state `vulnerable`. */
  readonly vulnerable: number;
}

interface PackagePage<T> {
  readonly packages: readonly T[];
  /** Matching packages on all pages; 0 when the page is empty (past the end or nothing matches). */
  readonly total: number;
}

type MaintainerCondition = { readonly maintainers: readonly string[] } | { readonly orphaned: true };

/**
 * A page of published source packages with their branch and repository, numbered in page order,
 * with the number of all matches: the first step of both package reports, as a common table.
 */
function packagePage(db: Kysely<Schema>, who: MaintainerCondition, request: PackagePageRequest) {
  return db.with('page', (qb) => {
    let query = qb
      .selectFrom('source_package as sp')
      .innerJoin('repository as r', 'r.id', 'sp.repository_id')
      .innerJoin('branch as b', 'b.id', 'r.branch_id')
      .select(['sp.id', 'sp.repository_id', 'sp.name', 'sp.maintainer', 'b.name as branch', 'r.name as repo'])
      .select([
        sql<number | string>`row_number() over (order by ${branchRank(request.branchOrder)}, ${sql.ref('b.name')}, ${sql.ref('r.name')}, ${sql.ref('sp.name')})`.as('position'),
        sql<number | string>`count(*) over ()`.as('total'),
      ])
      .where(isPublished);
    query =
      'orphaned' in who
        ? query.where((eb) => eb.or([eb('sp.maintainer', 'is', null), eb('sp.maintainer', '=', '')]))
        : query.where('sp.maintainer', 'in', who.maintainers);
    if (request.branch !== undefined) query = query.where('b.name', '=', request.branch);
    return query
      .orderBy('position')
      .limit(request.pageSize)
      .offset((request.page - 1) * request.pageSize);
  });
}

/** The package a row of the page table names, with the version it read. */
function repositoryPackageOf(row: {
  readonly repository_id: number;
  readonly branch: string;
  readonly repo: string;
  readonly name: string;
  readonly maintainer: string | null;
  readonly version: string | null;
}): RepositoryPackage {
  return { repositoryId: row.repository_id, branch: row.branch, repo: row.repo, package: row.name, maintainer: row.maintainer, version: row.version ?? '' };
}

/** The number of all matches, which every row of the page table carries; 0 for an empty page. */
function pageTotalOf(rows: readonly { readonly total: number | string }[]): number {
  return rows.length === 0 ? 0 : Number(rows[0]?.total);
}

/**
 * A page of the packages whose maintainer is one of `maintainers` (the spellings of one person),
 * each with its open pairs, in one query.
 */
export async function listMaintainedPackages(
  db: Kysely<Schema>,
  maintainers: readonly string[],
  request: PackagePageRequest,
): Promise<PackagePage<MaintainedPackage>> {
  if (maintainers.length === 0) return { packages: [], total: 0 };
  const rows = await packagePage(db, { maintainers }, request)
    .selectFrom('page')
    .leftJoin('state as s', (join) =>
      join.onRef('s.repository_id', '=', 'page.repository_id').onRef('s.package', '=', 'page.name').on('s.state', 'in', ['vulnerable', 'unknown']),
    )
    .leftJoin('vulnerability as v', 'v.id', 's.vulnerability_id')
    .select(['page.repository_id', 'page.branch', 'page.repo', 'page.name', 'page.maintainer', 'page.position', 'page.total'])
    .select([newestVersion('page.id').as('version'), 's.vulnerability_id', 's.state', 's.fixed_version', 'v.severity', 'v.cvss_score'])
    .orderBy('page.position')
    .orderBy(sql`case when ${sql.ref('s.state')} = 'vulnerable' then 0 else 1 end`)
    .orderBy('s.vulnerability_id')
    .execute();
  const packages = new Map<number, MaintainedPackage & { openPairs: OpenPair[] }>();
  for (const row of rows) {
    const key = Number(row.position);
    let entry = packages.get(key);
    if (entry === undefined) {
      entry = { ...repositoryPackageOf(row), openPairs: [] };
      packages.set(key, entry);
    }
    if (row.vulnerability_id !== null && (row.state === 'vulnerable' || row.state === 'unknown')) {
      entry.openPairs.push({
        vulnerabilityId: row.vulnerability_id,
        state: row.state,
        fixedVersion: row.fixed_version,
        severity: row.severity,
        cvssScore: row.cvss_score,
      });
    }
  }
  return { packages: [...packages.values()], total: pageTotalOf(rows) };
}

/** A page of the packages the indexes list without a maintainer, each with its number of vulnerable pairs, in one query. */
export async function listOrphanPackages(db: Kysely<Schema>, request: PackagePageRequest): Promise<PackagePage<OrphanPackage>> {
  const rows = await packagePage(db, { orphaned: true }, request)
    .selectFrom('page')
    .select(['page.repository_id', 'page.branch', 'page.repo', 'page.name', 'page.maintainer', 'page.total'])
    .select([
      newestVersion('page.id').as('version'),
      sql<number | string>`(select count(*) from state as s
        where s.repository_id = ${sql.ref('page.repository_id')} and s.package = ${sql.ref('page.name')} and s.state = 'vulnerable')`.as('vulnerable'),
    ])
    .orderBy('page.position')
    .execute();
  return {
    total: pageTotalOf(rows),
    packages: rows.map((row) => ({ ...repositoryPackageOf(row), vulnerable: Number(row.vulnerable) })),
  };
}
