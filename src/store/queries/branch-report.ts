import { type Kysely, type QueryCreator, type RawBuilder, sql } from 'kysely';
import type { Evidence } from '../../base/states.js';
import { evidenceShape, readJsonColumn } from '../json-column.js';
import type { Schema, StateName } from '../schema.js';
import type { BranchSummary } from './branches.js';

/** One branch with its architectures and repositories, or undefined when there is no such branch. */
export async function getBranch(db: Kysely<Schema>, name: string): Promise<BranchSummary | undefined> {
  const [rows, archs] = await Promise.all([
    db
      .selectFrom('branch as b')
      .leftJoin('repository as r', 'r.branch_id', 'b.id')
      .select(['b.id', 'b.name', 'b.end_of_support', 'r.id as repository_id', 'r.name as repository_name'])
      .where('b.name', '=', name)
      .orderBy('r.name')
      .execute(),
    db
      .selectFrom('branch_arch as a')
      .innerJoin('branch as b', 'b.id', 'a.branch_id')
      .select('a.arch')
      .where('b.name', '=', name)
      .orderBy('a.arch')
      .execute(),
  ]);
  const branch = rows[0];
  if (branch === undefined) return undefined;
  return {
    id: branch.id,
    name: branch.name,
    endOfSupport: branch.end_of_support,
    archs: archs.map((row) => row.arch),
    repositories: rows.flatMap((row) =>
      row.repository_id === null || row.repository_name === null ? [] : [{ id: row.repository_id, name: row.repository_name }],
    ),
  };
}

/** NVD severity levels, most severe first, in lower case (NVD writes them in upper case). */
export const SEVERITY_LEVELS = ['critical', 'high', 'medium', 'low'] as const;
export type SeverityLevel = (typeof SEVERITY_LEVELS)[number];

/** Which pairs of a branch a report covers; each given filter must hold. */
export interface BranchPairFilter {
  /** The branch's repositories, or the one chosen; ids let the planner use `state_repository_state`. */
  readonly repositoryIds: readonly number[];
  readonly state: StateName;
  /**
   * Only pairs whose vulnerability is at least this severe; pairs whose vulnerability has no
   * severity then never match.
   */
  readonly minimumSeverity?: SeverityLevel;
  /** Only packages whose maintainer is exactly this text or contains `<this>` (an e-mail address). */
  readonly maintainer?: string;
  /** Only packages the index lists without a maintainer. */
  readonly orphaned?: boolean;
}

/** Orders of a branch's packages: by name, highest CVSS score first, oldest vulnerability first, most vulnerabilities first. */
export const BRANCH_PACKAGE_SORTS = ['package', 'severity', 'age', 'count'] as const;
export type BranchPackageSort = (typeof BRANCH_PACKAGE_SORTS)[number];

interface BranchPackagePageRequest extends BranchPairFilter {
  readonly sort: BranchPackageSort;
  /** 1-based. */
  readonly page: number;
  readonly pageSize: number;
}

/** One (repository, package) of a branch that has matching pairs. */
interface BranchPackage {
  readonly repositoryId: number;
  readonly repo: string;
  readonly package: string;
  /** Whether the repository's index lists the package (it has a source package row). */
  readonly indexed: boolean;
  readonly maintainer: string | null;
  /** How many of its pairs match. */
  readonly pairCount: number;
}

interface BranchPackagePage {
  readonly packages: readonly BranchPackage[];
  /** Packages matching the filter on all pages; 0 when the page is empty (past the end or nothing matches). */
  readonly total: number;
}

/** One matching pair of a listed package, with what the report shows of its vulnerability. */
export interface BranchPair {
  readonly repositoryId: number;
  readonly package: string;
  readonly vulnerabilityId: string;
  readonly state: StateName;
  /** The newest published version the state was decided for. */
  readonly version: string | null;
  readonly fixedVersion: string | null;
  /** The engine's evidence for the state (what a triage decision's digest was made against). */
  readonly evidence: readonly Evidence[];
  readonly severity: string | null;
  readonly cvssScore: number | null;
  readonly published: string | null;
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;

/**
 * The pairs matching the filters that concern pairs (repositories, state, severity).
 * Vulnerabilities are joined only when `withVulnerabilities` or the severity filter reads them:
 * without them an aggregate over the pairs reads nothing but the `state_repository_state` index.
 * Columns of `v` are therefore referenced with `sql.ref`.
 */
function matchingPairs(db: QueryCreator<Schema>, filter: BranchPairFilter, withVulnerabilities: boolean) {
  const minimum = filter.minimumSeverity;
  return db
    .selectFrom('state as s')
    .$if(withVulnerabilities || minimum !== undefined, (query) => query.leftJoin('vulnerability as v', 'v.id', 's.vulnerability_id'))
    .where('s.repository_id', 'in', filter.repositoryIds)
    .where('s.state', '=', filter.state)
    .$if(minimum !== undefined, (query) => {
      const levels = SEVERITY_LEVELS.slice(0, SEVERITY_LEVELS.indexOf(minimum ?? 'low') + 1).map((level) => level.toUpperCase());
      return query.where(sql<string>`upper(${sql.ref('v.severity')})`, 'in', levels);
    });
}

/** What each sort orders the packages by, computed over a package's matching pairs, and which way. */
const SORT_KEYS: Record<BranchPackageSort, { readonly key: RawBuilder<unknown>; readonly descending: boolean; readonly readsVulnerabilities: boolean }> = {
  package: { key: sql`null`, descending: false, readsVulnerabilities: false },
  severity: { key: sql`max(${sql.ref('v.cvss_score')})`, descending: true, readsVulnerabilities: true },
  age: { key: sql`min(${sql.ref('v.published')})`, descending: false, readsVulnerabilities: true },
  count: { key: sql`count(*)`, descending: true, readsVulnerabilities: false },
};

/**
 * One page of the branch's packages that have pairs matching the filter, with the number of all
 * matching packages. The pairs are grouped by package first; only the groups are joined to
 * their source package (for the maintainer filters), sorted and cut to the page in SQL.
 */
export async function listBranchPackages(db: Kysely<Schema>, request: BranchPackagePageRequest): Promise<BranchPackagePage> {
  if (request.repositoryIds.length === 0) return { packages: [], total: 0 };
  const sort = SORT_KEYS[request.sort];
  const maintainer = request.maintainer;
  // The groups are a CTE: its builder carries no plugins, which then see the statement once.
  const rows = await db
    .with('g', (creator) =>
      matchingPairs(creator, request, sort.readsVulnerabilities)
        .select(['s.repository_id', 's.package'])
        .select([sql<number | string>`count(*)`.as('pair_count'), sort.key.as('sort_key')])
        .groupBy(['s.repository_id', 's.package']),
    )
    .selectFrom('g')
    .innerJoin('repository as r', 'r.id', 'g.repository_id')
    .leftJoin('source_package as sp', (join) => join.onRef('sp.repository_id', '=', 'g.repository_id').onRef('sp.name', '=', 'g.package'))
    .select(['g.repository_id', 'r.name as repo', 'g.package', 'g.pair_count', 'sp.id as source_package_id', 'sp.maintainer'])
    // Counts the rows before LIMIT, so every row carries the number of matching packages on all pages.
    .select(sql<number | string>`count(*) over ()`.as('total'))
    .$if(maintainer !== undefined, (query) =>
      query.where((eb) =>
        eb.or([eb('sp.maintainer', '=', maintainer ?? ''), sql<boolean>`${sql.ref('sp.maintainer')} like ${likePattern(`<${maintainer}>`)} escape '\\'`]),
      ),
    )
    .$if(request.orphaned === true, (query) =>
      query.where('sp.id', 'is not', null).where((eb) => eb.or([eb('sp.maintainer', 'is', null), eb('sp.maintainer', '=', '')])),
    )
    // The dialects put nulls at different ends by default; missing scores and dates go last.
    .orderBy('g.sort_key', (order) => (sort.descending ? order.desc() : order.asc()).nullsLast())
    .orderBy('g.package')
    .orderBy('r.name')
    .limit(request.pageSize)
    .offset((request.page - 1) * request.pageSize)
    .execute();
  return {
    total: rows.length === 0 ? 0 : Number(rows[0]?.total),
    packages: rows.map((row) => ({
      repositoryId: row.repository_id,
      repo: row.repo,
      package: row.package,
      indexed: row.source_package_id !== null,
      maintainer: row.maintainer,
      pairCount: Number(row.pair_count),
    })),
  };
}

/**
 * The matching pairs of the given packages (a page from `listBranchPackages`), highest CVSS
 * score first within each package, in one query over their (repository, package) keys.
 */
export async function listBranchPairs(
  db: Kysely<Schema>,
  filter: BranchPairFilter,
  packages: readonly { readonly repositoryId: number; readonly package: string }[],
): Promise<BranchPair[]> {
  if (packages.length === 0 || filter.repositoryIds.length === 0) return [];
  const rows = await matchingPairs(db, filter, true)
    .where((eb) =>
      eb(
        eb.refTuple('s.repository_id', 's.package'),
        'in',
        packages.map((entry) => eb.tuple(entry.repositoryId, entry.package)),
      ),
    )
    .select(['s.repository_id', 's.package', 's.vulnerability_id', 's.state', 's.version', 's.fixed_version', 's.evidence'])
    .select([
      sql<string | null>`${sql.ref('v.severity')}`.as('severity'),
      sql<number | null>`${sql.ref('v.cvss_score')}`.as('cvss_score'),
      sql<string | null>`${sql.ref('v.published')}`.as('published'),
    ])
    .orderBy('s.repository_id')
    .orderBy('s.package')
    .orderBy(sql`${sql.ref('v.cvss_score')}`, (order) => order.desc().nullsLast())
    .orderBy('s.vulnerability_id')
    .execute();
  return rows.map((row) => ({
    repositoryId: row.repository_id,
    package: row.package,
    vulnerabilityId: row.vulnerability_id,
    state: row.state,
    version: row.version,
    fixedVersion: row.fixed_version,
    evidence: readJsonColumn(row.evidence, evidenceShape, 'state.evidence'),
    severity: row.severity,
    cvssScore: row.cvss_score,
    published: row.published,
  }));
}
