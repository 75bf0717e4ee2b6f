import type { Cpe } from '../formats/cpe.js';
import {
  type JudgedFixes,
  type MappingIndexOf,
  type MappingRules,
  type QualityFinding,
  type RepositoryQualityData,
  BranchQualityCheck,
  evidenceNoteFindings,
} from '../engine/index.js';
import {
  type BranchSummary,
  type Schema,
  type Store,
  findStates,
  getVulnerabilityConfigurations,
  listBranches,
  listOriginVersions,
  listPublishedBinaries,
  listRepositoriesWithSecfixes,
  listSecfixesOfRepositories,
} from '../store/index.js';
import type { Kysely } from 'kysely';
import { newInterner } from './intern.js';

export interface CheckReport {
  readonly findings: readonly QualityFinding[];
  /** Repositories whose secfixes were not checked against an index because none was imported. */
  readonly skipped: readonly { readonly branch: string; readonly repo: string }[];
}

/** What the index of every branch holds that the check reads whole, whichever packages it checks. */
export interface IndexRows {
  readonly seen: readonly { readonly repositoryId: number; readonly origin: string; readonly version: string }[];
  readonly binaries: readonly { readonly repositoryId: number; readonly binary: string; readonly origin: string }[];
}

/** A secfix as the check reads it. */
type SecfixRow = RepositoryQualityData['secfixes'][number] & { readonly repositoryId: number };

/** The secfixes with their strings shared (`newInterner`), as branches list mostly the same lines. */
function sharedSecfixRows(rows: readonly SecfixRow[]): SecfixRow[] {
  const intern = newInterner();
  return rows.map(({ repositoryId, package: pkg, version, vulnerabilityId, note }) => ({ repositoryId, package: intern(pkg), version: intern(version), vulnerabilityId: intern(vulnerabilityId), note }));
}

/** Which secfixes to check: per branch name, all of them or those of some packages. Branches not named are not checked. */
export type CheckScope = ReadonlyMap<string, 'all' | ReadonlySet<string>>;

/** Groups rows by their `repositoryId`, keeping their order. */
function byRepository<T extends { readonly repositoryId: number }>(rows: readonly T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const row of rows) {
    const group = groups.get(row.repositoryId);
    if (group === undefined) groups.set(row.repositoryId, [row]);
    else group.push(row);
  }
  return groups;
}

const repositoryIdsOf = (branches: readonly BranchSummary[]) => branches.flatMap((branch) => branch.repositories.map((repository) => repository.id));

/**
 * The index rows of every branch, with shared strings (`newInterner`), unless the caller already
 * read them (`listPublishedBinaries` and `listOriginVersions` of every branch).
 */
export async function loadIndexRows(db: Kysely<Schema>, branches: readonly BranchSummary[], read?: IndexRows): Promise<IndexRows> {
  if (read !== undefined) return { seen: read.seen, binaries: read.binaries };
  const repositoryIds = repositoryIdsOf(branches);
  const [seen, published] = await Promise.all([listOriginVersions(db, repositoryIds), listPublishedBinaries(db, repositoryIds)]);
  const intern = newInterner();
  return {
    seen: seen.map((row) => ({ repositoryId: row.repositoryId, origin: intern(row.origin), version: intern(row.version) })),
    binaries: published.map((row) => ({ repositoryId: row.repositoryId, binary: intern(row.binary), origin: intern(row.origin) })),
  };
}

/**
 * The order findings are reported in, whichever packages were checked: by branch (as listed),
 * then package in code-point order; a package's own findings stay in secdb order (the sort is
 * stable), so findings kept from an earlier check and fresh ones merge into one order.
 */
export function sortFindings(findings: readonly QualityFinding[], branches: readonly BranchSummary[]): QualityFinding[] {
  const rank = new Map(branches.map((branch, index) => [branch.name, index]));
  return [...findings].sort((a, b) => (rank.get(a.branch) ?? 0) - (rank.get(b.branch) ?? 0) || (a.package < b.package ? -1 : a.package > b.package ? 1 : 0));
}

/**
 * Vulnerability ids whose NVD configurations the check holds at once: each branch's fix lines
 * are judged a batch of ids at a time, so memory does not grow with every configuration the
 * secfixes name (at full size, most of the NVD data).
 */
const CONFIGURATIONS_PER_BATCH = 5_000;

/**
 * The secfix findings (`BranchQualityCheck`) of the branches and packages `scope` names, with the
 * repositories skipped in those branches, in `sortFindings` order. Reads a fixed number of
 * queries per branch checked in part, one per kind of data for the branches checked whole, and
 * one per batch of the vulnerability ids the checked secfixes name, except those of branches whose
 * fix lines the caller judged already (`judged`, by branch name). `indexOf` gives the branches'
 * mapping indexes when the caller holds them.
 */
export async function checkSecfixes(
  db: Kysely<Schema>,
  rules: MappingRules,
  branches: readonly BranchSummary[],
  scope: CheckScope,
  rows: IndexRows,
  shared: { readonly indexOf?: MappingIndexOf; readonly judged?: ReadonlyMap<string, JudgedFixes> } = {},
): Promise<CheckReport> {
  const whole = branches.filter((branch) => scope.get(branch.name) === 'all');
  const partial = branches.filter((branch) => scope.get(branch.name) instanceof Set);
  const read = [await listSecfixesOfRepositories(db, repositoryIdsOf(whole))];
  for (const branch of partial) {
    const packages = scope.get(branch.name) as ReadonlySet<string>;
    if (packages.size > 0) read.push(await listSecfixesOfRepositories(db, repositoryIdsOf([branch]), [...packages]));
  }
  const secfixRows = sharedSecfixRows(read.flat());
  const withSecfixes = new Set(await listRepositoriesWithSecfixes(db, repositoryIdsOf(partial)));
  const seenByRepository = byRepository(rows.seen);
  const secfixesByRepository = byRepository(secfixRows);
  const binariesByRepository = byRepository(rows.binaries);

  const checks = branches.filter((branch) => scope.has(branch.name)).map((branch) => ({
    branch,
    check: new BranchQualityCheck(
      branch.name,
      branch.repositories.map((repository) => ({
        name: repository.name,
        seen: seenByRepository.get(repository.id) ?? [],
        secfixes: secfixesByRepository.get(repository.id) ?? [],
        ...(scope.get(branch.name) === 'all' ? {} : { hasSecfixes: withSecfixes.has(repository.id) }),
        binaries: binariesByRepository.get(repository.id) ?? [],
      })),
      rules,
      // Judgements cover every fix line of a branch: they stand for a check of it whole only.
      { indexOf: shared.indexOf, judged: scope.get(branch.name) === 'all' ? shared.judged?.get(branch.name) : undefined },
    ),
  }));
  const ids = [...new Set(checks.flatMap(({ check }) => [...check.ids]))].sort();
  for (let start = 0; start < ids.length; start += CONFIGURATIONS_PER_BATCH) {
    const read = await getVulnerabilityConfigurations(db, ids.slice(start, start + CONFIGURATIONS_PER_BATCH));
    const configurations = new Map(read.map((vulnerability) => [vulnerability.id, vulnerability.configurations]));
    // Branches check mostly the same CVEs: each criterion is parsed once per batch.
    const parsedCpes = new Map<string, Cpe>();
    for (const { check } of checks) check.addNvd(configurations, parsedCpes);
    // A batch takes a while at full size; a server computing the report keeps answering meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const findings: QualityFinding[] = [];
  const skipped: { branch: string; repo: string }[] = [];
  for (const { branch, check } of checks) {
    const quality = check.result();
    findings.push(...quality.findings);
    skipped.push(...quality.skipped.map((repo) => ({ branch: branch.name, repo })));
  }
  return { findings: sortFindings(findings, branches), skipped };
}

/** The pairs whose decision a person should confirm, from their stored evidence (`evidenceNoteFindings`). */
export async function checkNotes(db: Kysely<Schema>): Promise<QualityFinding[]> {
  return evidenceNoteFindings(await findStates(db, { evidenceContains: ['"kind":"introduced-after-published"', '"kind":"sources-disagree"'] }));
}

/**
 * `secfix check`: data-quality problems in the stored secfixes of every branch (fix versions no
 * index ever had, fixes below NVD's affected range, ids that are not CVE/GHSA/ALPINE ids,
 * packages no index has), as engine/quality.ts judges them, then the pairs to confirm; this only
 * loads and reports.
 *
 * Reads everything in a fixed number of queries (each kind of data for all branches at once),
 * so the web page that shows the report does not make more queries as branches are added.
 */
export async function checkData(store: Pick<Store, 'db'>, rules: MappingRules): Promise<CheckReport> {
  const { db } = store;
  const branches = await listBranches(db);
  const report = await checkSecfixes(db, rules, branches, new Map(branches.map((branch) => [branch.name, 'all'])), await loadIndexRows(db, branches));
  return { findings: [...report.findings, ...(await checkNotes(db))], skipped: report.skipped };
}
