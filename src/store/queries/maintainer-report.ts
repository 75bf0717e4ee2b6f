import { type ExpressionBuilder, type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Schema, StateName } from '../schema.js';
import type { StateKey } from './states.js';

/*
 * Who maintains what, for the maintainer and orphan pages. A source package counts while an
 * index publishes one of its versions: a package whose every version is gone keeps its row (and
 * its last maintainer) but is maintained by nobody any more.
 */

/**
 * Whether the source package aliased `sp` has a published version: a lookup per row, for queries
 * that start from few rows. A scalar subquery with `limit 1`, not EXISTS, which PostgreSQL turns
 * into a semi join hashing every published version (a maintainer of 1,000 packages: 70 ms, not 30).
 */
const isPublished = sql<SqlBool>`(select 1 from package_version as pv where pv.source_package_id = ${sql.ref('sp.id')} and pv.removed_at is null limit 1) is not null`;

/** The same as a set of ids, for queries over every source package: one scan instead of a lookup each. */
const isAmongPublished = sql<SqlBool>`${sql.ref('sp.id')} in (select pv.source_package_id from package_version as pv where pv.removed_at is null)`;

/** The newest published version of the source package whose id is `idColumn` (apk order by version key). */
function newestVersion(idColumn: string): RawBuilder<string | null> {
  return sql<string | null>`(select pv.version from package_version as pv
    where pv.source_package_id = ${sql.ref(idColumn)} and pv.removed_at is null
    order by case when pv.version_key is null then 1 else 0 end, pv.version_key desc, pv.version desc limit 1)`;
}

/** A LIKE pattern (with `escape '\'`) matching text that contains `text` literally. */
export const likeContaining = (text: string) => `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;

/** One maintainer text as the indexes write it, with how many packages it maintains. */
export interface MaintainerPackageCount {
  readonly maintainer: string;
  /** Distinct package names over every branch and repository. */
  readonly packages: number;
}

/**
 * Every non-empty maintainer text of a published package, with its package count, in one
 * aggregate query. Rows are per text: grouping texts into people (by e-mail) is the caller's,
 * who corrects the counts with `listSharedPackageNames`.
 */
export async function listMaintainerPackageCounts(db: Kysely<Schema>): Promise<MaintainerPackageCount[]> {
  const rows = await db
    .selectFrom('source_package as sp')
    .select('sp.maintainer')
    .select((eb) => eb.fn.count<number | string>('sp.name').distinct().as('packages'))
    .where('sp.maintainer', 'is not', null)
    .where('sp.maintainer', '<>', '')
    .where(isAmongPublished)
    .groupBy('sp.maintainer')
    .orderBy('sp.maintainer')
    .$narrowType<{ maintainer: string }>()
    .execute();
  return rows.map((row) => ({ maintainer: row.maintainer, packages: Number(row.packages) }));
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

/** Whose packages: one person's (the maintainer texts they write) or nobody's (no maintainer text). */
export type PackageScope = { readonly maintainers: readonly string[] } | { readonly orphaned: true };

/** The condition on the source package aliased `sp` that puts it in `scope`. */
export function inPackageScope(eb: ExpressionBuilder<Schema & { sp: Schema['source_package'] }, 'sp'>, scope: PackageScope) {
  if ('orphaned' in scope) return eb.or([eb('sp.maintainer', 'is', null), eb('sp.maintainer', '=', '')]);
  return scope.maintainers.length === 0 ? sql<SqlBool>`1 = 0` : eb('sp.maintainer', 'in', scope.maintainers);
}

/** A published source package of one repository. */
export interface ScopePackage {
  readonly id: number;
  readonly repositoryId: number;
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly maintainer: string | null;
}

/** Every published source package of `scope` (of one branch, when given), one row per branch and repository, in one query. */
export async function listScopePackages(db: Kysely<Schema>, scope: PackageScope, branch?: string): Promise<ScopePackage[]> {
  let query = db
    .selectFrom('source_package as sp')
    .innerJoin('repository as r', 'r.id', 'sp.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select(['sp.id', 'sp.repository_id', 'sp.name', 'sp.maintainer', 'b.name as branch', 'r.name as repo'])
    .where((eb) => inPackageScope(eb, scope))
    .where(isPublished);
  if (branch !== undefined) query = query.where('b.name', '=', branch);
  const rows = await query.orderBy('b.name').orderBy('r.name').orderBy('sp.name').execute();
  return rows.map((row) => ({ id: Number(row.id), repositoryId: row.repository_id, branch: row.branch, repo: row.repo, package: row.name, maintainer: row.maintainer }));
}

/**
 * The pairs of the scope's packages (of one branch, when given) in `state`, as keys: read from
 * the indexes of migration 0018 alone, not from the state rows, for a reader that needs nothing
 * else of an untriaged pair (the open work).
 */
export async function listScopeStateKeys(db: Kysely<Schema>, scope: PackageScope, state: StateName, branch?: string): Promise<StateKey[]> {
  let query = db
    .selectFrom('state as s')
    .select(['s.repository_id', 's.package', 's.vulnerability_id'])
    .where('s.state', '=', state)
    // A row-value IN: SQLite reads the scope's packages first and probes the states' index with each.
    .where((eb) =>
      eb(eb.refTuple('s.repository_id', 's.package'), 'in', eb.selectFrom('source_package as sp').select(['sp.repository_id', 'sp.name']).where((inner) => inPackageScope(inner, scope)).$asTuple('repository_id', 'name')),
    );
  if (branch !== undefined) {
    query = query.where('s.repository_id', 'in', (eb) => eb.selectFrom('repository as r').innerJoin('branch as b', 'b.id', 'r.branch_id').select('r.id').where('b.name', '=', branch));
  }
  const rows = await query.execute();
  return rows.map((row) => ({ repositoryId: row.repository_id, package: row.package, vulnerabilityId: row.vulnerability_id }));
}

/** One pair of a package in state vulnerable or unknown, with NVD's severity. */
export interface OpenPair {
  readonly vulnerabilityId: string;
  readonly state: Extract<StateName, 'vulnerable' | 'unknown'>;
  readonly fixedVersion: string | null;
  readonly severity: string | null;
  readonly cvssScore: number | null;
}

/** What a package list shows of one source package: its newest published version and its vulnerable and unknown pairs. */
export interface PackageDetails {
  readonly id: number;
  /** The newest version the repository publishes ('' when none). */
  readonly version: string;
  /** Vulnerable pairs first, then unknown ones, each by vulnerability id. */
  readonly openPairs: readonly OpenPair[];
}

/** The details of the source packages with these ids (a page of a list), in one query; the order is the caller's. */
export async function listPackageDetails(db: Kysely<Schema>, ids: readonly number[]): Promise<Map<number, PackageDetails>> {
  const details = new Map<number, PackageDetails & { openPairs: OpenPair[] }>();
  const rows = await db
    .selectFrom('source_package as sp')
    .leftJoin('state as s', (join) => join.onRef('s.repository_id', '=', 'sp.repository_id').onRef('s.package', '=', 'sp.name').on('s.state', 'in', ['vulnerable', 'unknown']))
    .leftJoin('vulnerability as v', 'v.id', 's.vulnerability_id')
    .select(['sp.id', newestVersion('sp.id').as('version'), 's.vulnerability_id', 's.state', 's.fixed_version', 'v.severity', 'v.cvss_score'])
    // Asked even for no ids, so a page costs the same number of queries whatever it holds.
    .where('sp.id', 'in', ids.length === 0 ? [-1] : [...ids])
    .orderBy('sp.id')
    .orderBy(sql`case when ${sql.ref('s.state')} = 'vulnerable' then 0 else 1 end`)
    .orderBy('s.vulnerability_id')
    .execute();
  for (const row of rows) {
    const id = Number(row.id);
    let entry = details.get(id);
    if (entry === undefined) {
      entry = { id, version: row.version ?? '', openPairs: [] };
      details.set(id, entry);
    }
    if (row.vulnerability_id !== null && (row.state === 'vulnerable' || row.state === 'unknown')) {
      entry.openPairs.push({ vulnerabilityId: row.vulnerability_id, state: row.state, fixedVersion: row.fixed_version, severity: row.severity, cvssScore: row.cvss_score });
    }
  }
  return details;
}
