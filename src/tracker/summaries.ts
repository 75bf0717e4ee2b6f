import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  type JudgedFixes,
  type MappingIndex,
  type MappingIndexOf,
  type MappingRules,
  type ProductCount,
  type QualityFinding,
  type UnmappedProduct,
  NOTE_KINDS,
  buildMappingIndex,
  compareUnmappedProducts,
  sameUniverse,
} from '../engine/index.js';
import {
  STATE_NAMES,
  type BranchSummary,
  type MaintainerPackageCount,
  type OpenStateCount,
  type Schema,
  type StateCountRow,
  type StateName,
  type Store,
  type VulnerableDelta,
  countStates,
  countVulnerabilitiesByProduct,
  findCriteriaByVulnerabilities,
  getDataVersion,
  listBranches,
  listMaintainerPackageCounts,
  listMaintainerTexts,
  listPackageNames,
  listSecfixesByVulnerability,
  listSharedPackageNames,
  listVulnerableDeltasByDay,
  pageSummaryVersion,
  readAnyPageSummary,
  readPageSummary,
  withWriteLock,
  writePageSummary,
} from '../store/index.js';
import { type CheckReport, type IndexRows, checkNotes, checkSecfixes, loadIndexRows, sortFindings } from './check.js';
import { ANY_BRANCH, parsePackageDirtyKey } from './dirty-keys.js';
import { type OpenPairCount, countOpenPairs, countOpenStatesByClass } from './triage.js';
import { type PublishedBinaries, unmappedProducts } from './mapping-coverage.js';
import { HOME_SUMMARY, NAMES_SUMMARY, QUALITY_BASIS, QUALITY_SUMMARY, QUEUE_SUMMARY } from './summary-names.js';

/*
 * Page summaries: the parts of the home, quality and search pages that read every state, every
 * history row, every secfix or every package name, which take seconds at full size. `update` builds them once per data
 * version after writing the states (`refreshPageSummaries`); a page reads one with a single
 * query and builds it itself only when the data moved on since (an import after the last
 * update; a triage event carries them forward itself). Their names are in summary-names.ts.
 */

/** The home page's counts and trend. */
export interface HomeSummary {
  /** Pairs per branch, repository and state. */
  readonly counts: readonly StateCountRow[];
  /**
   * Open pairs per branch, repository and maintainer text (`countOpenPairs`), before any branch's
   * end of support, which depends on the day and not on the data: a page leaves out a branch past
   * it (and shows `end-of-life` for it).
   */
  readonly open: readonly OpenPairCount[];
  /** Per branch and day, how many pairs became vulnerable less how many stopped being. */
  readonly vulnerableDeltas: readonly VulnerableDelta[];
}

/** Names of the index an unmapped product resembles that the quality page lists; the rest are counted. */
export const RESEMBLING_NAMES_SHOWN = 10;

/** An unmapped product as the quality page shows it: the first of the names it resembles, and how many there are. */
export interface ShownUnmappedProduct extends UnmappedProduct {
  readonly resemblesCount: number;
}

/** The quality page's report: `secfix check` and `secfix check --mapping`. */
export interface QualitySummary extends CheckReport {
  readonly unmapped: readonly ShownUnmappedProduct[];
}

/**
 * What the search matches by part of a name: every package name and maintainer (see
 * `listPackageNames`, `listMaintainerTexts`); and what the maintainer list counts of each
 * maintainer text, which reads every published version.
 */
export interface NamesSummary {
  readonly packages: readonly string[];
  readonly maintainers: readonly string[];
  /** Each maintainer text of a published package with its package count (`listMaintainerPackageCounts`). */
  readonly maintainerPackages: readonly MaintainerPackageCount[];
  /** The published package names several maintainer texts share (`listSharedPackageNames`). */
  readonly sharedPackages: readonly { readonly maintainer: string; readonly name: string }[];
}

/**
 * The triage queue's counts: kept apart from the home summary, which they would make half as big
 * again (the home page reads it whole), while the queue only reads them for a filter on urgency.
 */
export interface QueueSummary {
  /** The open states, triaged or not, per place and urgency class (`countOpenStatesByClass`). */
  readonly openStates: readonly OpenStateCount[];
}

export async function buildHomeSummary(db: Kysely<Schema>): Promise<HomeSummary> {
  const [counts, open, vulnerableDeltas] = await Promise.all([countStates(db), countOpenPairs(db, {}, undefined), listVulnerableDeltasByDay(db)]);
  return { counts, open, vulnerableDeltas };
}

export async function buildQueueSummary(db: Kysely<Schema>): Promise<QueueSummary> {
  return { openStates: await countOpenStatesByClass(db) };
}

/** The most resembling names an unmapped product keeps for the page, and how many there are. */
function shownUnmapped(product: UnmappedProduct): ShownUnmappedProduct {
  return { ...product, resembles: product.resembles.slice(0, RESEMBLING_NAMES_SHOWN), resemblesCount: product.resembles.length };
}

export async function buildQualitySummary(db: Kysely<Schema>, rules: MappingRules): Promise<QualitySummary> {
  return (await qualitySummary(db, rules, undefined)).summary;
}

/**
 * What the quality summary was built from: the mapping rules, and per branch what its mapping
 * index is built from (published binaries and their origins, origins ever seen). While these stay the
 * same, a summary is rechecked from the dirty marks alone.
 */
interface QualityBasis {
  readonly rules: string;
  readonly branches: Readonly<Record<string, string>>;
}

/**
 * Digests each branch's published binaries with their origins (every published origin has one)
 * and the origins its indexes ever listed, from the rows in the order the queries give them.
 */
function qualityBasis(rules: MappingRules, branches: readonly BranchSummary[], index: IndexRows): QualityBasis {
  const hashes = new Map(branches.map((branch) => [branch.name, createHash('sha256')]));
  const hashOf = new Map(branches.flatMap((branch) => branch.repositories.map((repository) => [repository.id, hashes.get(branch.name)!] as const)));
  for (const row of index.binaries) hashOf.get(row.repositoryId)!.update(`binary\0${row.binary}\0${row.origin}\n`);
  // Seen versions come by repository and origin: one line per origin.
  let last = '';
  for (const row of index.seen) {
    const line = `seen\0${row.repositoryId}\0${row.origin}\n`;
    if (line !== last) hashOf.get(row.repositoryId)!.update(line);
    last = line;
  }
  return {
    rules: createHash('sha256').update(JSON.stringify(rules)).digest('hex'),
    branches: Object.fromEntries([...hashes].map(([branch, hash]) => [branch, hash.digest('hex')])),
  };
}

/** What an update consumed of the dirty marks: package keys (`branch:origin`) and vulnerability ids. */
export interface QualityChanges {
  readonly packages: readonly string[];
  readonly vulnerabilities: readonly string[];
}

/** Identifies a pair to confirm by branch and repository names, package and vulnerability. */
export const notePairKey = (branch: string, repo: string, pkg: string, vulnerabilityId: string) => `${branch}\0${repo}\0${pkg}\0${vulnerabilityId}`;

/**
 * The pairs to confirm that an update's writes tell (only an update writes states): the notes of
 * the states it wrote, and which pairs it wrote or deleted.
 */
export interface WrittenNotes {
  /** Every pair was recomputed (a full update): the notes are `found` alone. */
  readonly whole: boolean;
  /** `notePairKey`s of the pairs written or deleted, whose notes before no longer hold (when not `whole`). */
  readonly recomputed: ReadonlySet<string>;
  /** The notes of the states written (`evidenceNoteFindings`). */
  readonly found: readonly QualityFinding[];
}

/** Notes in `checkNotes`' order: by branch, repository, package and vulnerability (a pair's own notes stay in evidence order). */
function sortNotes(notes: readonly QualityFinding[]): QualityFinding[] {
  const key = (note: QualityFinding) => notePairKey(note.branch, note.repo ?? '', note.package, note.id ?? '');
  return notes.map((note) => [key(note), note] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, note]) => note);
}

/** What an update hands on to the summaries it leaves stale, so they do not read or build it again. */
export interface UpdateOutputs {
  /** Every branch's published binaries as the update read them (`listPublishedBinaries`). */
  readonly binaries: PublishedBinaries;
  /** Every branch's seen versions as the update read them, each branch's by repository and origin (`listOriginVersions`). */
  readonly seen: IndexRows['seen'];
  readonly written: WrittenNotes;
  /** Each branch's mapping index by branch name, built by the rules the summaries are built by. */
  readonly indexes: ReadonlyMap<string, MappingIndex>;
  /** On a full update, every branch's fix lines judged against NVD by branch name (`fixesBelowRange`). */
  readonly judged?: ReadonlyMap<string, JudgedFixes>;
}

/**
 * A branch's mapping index for a universe (`MappingIndexOf`): the one `indexes` or an earlier call
 * holds for the branch when the universe is the same, else built and kept for the next caller
 * (the quality check and mapping coverage describe the same universe unless an origin was seen
 * in an index but is published no more).
 */
function sharedIndexes(rules: MappingRules, indexes: ReadonlyMap<string, MappingIndex> | undefined): MappingIndexOf {
  const held = new Map(indexes);
  return (branch, universe) => {
    const index = held.get(branch);
    if (index !== undefined && sameUniverse(index, universe)) return index;
    const built = buildMappingIndex(universe, rules);
    held.set(branch, built);
    return built;
  };
}

/** A quality summary built at some data version, with what it was built from. */
interface StoredQuality {
  readonly summary: QualitySummary;
  readonly basis: QualityBasis;
}

/**
 * The quality summary: built whole without `previous`, else `previous` with only what `changes`
 * (the dirty marks consumed since it was built) can have changed rechecked: in each branch whose
 * mapping index is built from the same rows, the packages marked and those whose secfixes name a
 * vulnerability marked; the mapping coverage of the products those vulnerabilities name. A
 * branch whose index rows changed is checked whole, and the coverage too. Either way the result
 * equals a build from scratch; so do the pairs to confirm (`notes`).
 */
async function qualitySummary(
  db: Kysely<Schema>,
  rules: MappingRules,
  previous: { readonly stored: StoredQuality; readonly changes: QualityChanges } | undefined,
  update?: UpdateOutputs,
): Promise<StoredQuality> {
  const branches = await listBranches(db);
  const [index, products] = await Promise.all([loadIndexRows(db, branches, update), countVulnerabilitiesByProduct(db)]);
  const indexOf = sharedIndexes(rules, update?.indexes);
  const basis = qualityBasis(rules, branches, index);
  const kept = previous !== undefined && previous.stored.basis.rules === basis.rules ? previous : undefined;
  const unchanged = (branch: string) => kept !== undefined && kept.stored.basis.branches[branch] === basis.branches[branch];

  const scope = new Map<string, 'all' | Set<string>>(branches.map((branch) => [branch.name, unchanged(branch.name) ? new Set<string>() : 'all']));
  const recheck = (branch: string, pkg: string) => {
    const packages = scope.get(branch);
    if (packages instanceof Set) packages.add(pkg);
  };
  if (kept !== undefined) {
    for (const key of kept.changes.packages) {
      const { branch, origin } = parsePackageDirtyKey(key);
      if (branch === ANY_BRANCH) for (const name of scope.keys()) recheck(name, origin);
      else recheck(branch, origin);
    }
    const branchOf = new Map(branches.flatMap((branch) => branch.repositories.map((repository) => [repository.id, branch.name] as const)));
    for (const line of await listSecfixesByVulnerability(db, kept.changes.vulnerabilities)) {
      const branch = branchOf.get(line.repositoryId);
      if (branch !== undefined) recheck(branch, line.package);
    }
  }
  const checked = await checkSecfixes(db, rules, branches, scope, index, { indexOf, judged: update?.judged });
  // Every branch is in the scope; a finding is rechecked when its branch or its package is.
  const rechecked = (finding: { readonly branch: string; readonly package: string }) => {
    const packages = scope.get(finding.branch);
    return !(packages instanceof Set) || packages.has(finding.package);
  };
  const findings = sortFindings(
    [...(kept?.stored.summary.findings.filter((finding) => !NOTE_KINDS.has(finding.kind) && !rechecked(finding)) ?? []), ...checked.findings],
    branches,
  );

  const everyBranchUnchanged = branches.every((branch) => unchanged(branch.name)) && Object.keys(kept?.stored.basis.branches ?? {}).length === branches.length;
  const unmapped = kept !== undefined && everyBranchUnchanged
    ? await recheckedUnmapped(db, kept.stored.summary.unmapped, kept.changes.vulnerabilities, products, branches, index.binaries, rules, indexOf)
    : unmappedProducts(products, branches, index.binaries, rules, indexOf).map(shownUnmapped);

  return { summary: { findings: [...findings, ...(await notes(db, previous?.stored.summary, update?.written))], skipped: checked.skipped, unmapped }, basis };
}

/**
 * The pairs to confirm: from the update's writes, on a full update alone, else with the notes of
 * the stored summary (built when the states were last written) of the pairs it did not write;
 * read from every state's evidence when neither is known.
 */
async function notes(db: Kysely<Schema>, before: QualitySummary | undefined, written: WrittenNotes | undefined): Promise<QualityFinding[]> {
  if (written?.whole === true) return sortNotes(written.found);
  if (written === undefined || before === undefined) return checkNotes(db);
  const kept = before.findings.filter((finding) => NOTE_KINDS.has(finding.kind) && !written.recomputed.has(notePairKey(finding.branch, finding.repo ?? '', finding.package, finding.id ?? '')));
  return sortNotes([...kept, ...written.found]);
}

const productName = (product: { readonly vendor: string; readonly product: string }) => `${product.vendor}\0${product.product}`;

/**
 * The unmapped products when every branch's packages and the rules are as before: whether a
 * product is unmapped depends on them and on its name only, so only the products the changed
 * vulnerabilities name now are looked at again, and every product kept takes its current count.
 */
async function recheckedUnmapped(
  db: Kysely<Schema>,
  before: readonly ShownUnmappedProduct[],
  vulnerabilities: readonly string[],
  products: readonly ProductCount[],
  branches: readonly BranchSummary[],
  binaries: PublishedBinaries,
  rules: MappingRules,
  indexOf: MappingIndexOf,
): Promise<ShownUnmappedProduct[]> {
  const named = new Set((await findCriteriaByVulnerabilities(db, vulnerabilities)).map(productName));
  const counts = new Map(products.map((product) => [productName(product), product.vulnerabilities]));
  const kept = before.flatMap((product) => {
    const name = productName(product);
    const count = counts.get(name);
    return named.has(name) || count === undefined ? [] : [{ ...product, vulnerabilities: count }];
  });
  const fresh = named.size === 0 ? [] : unmappedProducts(products.filter((product) => named.has(productName(product))), branches, binaries, rules, indexOf).map(shownUnmapped);
  return [...kept, ...fresh].sort(compareUnmappedProducts);
}

export async function buildNamesSummary(db: Kysely<Schema>): Promise<NamesSummary> {
  const [packages, maintainers, maintainerPackages, sharedPackages] = await Promise.all([
    listPackageNames(db),
    listMaintainerTexts(db),
    listMaintainerPackageCounts(db),
    listSharedPackageNames(db),
  ]);
  return { packages, maintainers, maintainerPackages, sharedPackages };
}

/**
 * The summary `name` at data version `dataVersion`: the stored one when it was built at that
 * version, else built now (and not stored: a reader does not take the writer lock).
 */
export async function pageSummary<T>(db: Kysely<Schema>, name: string, dataVersion: number, build: () => Promise<T>): Promise<T> {
  const stored = await readPageSummary(db, name, dataVersion);
  return stored === undefined ? build() : (stored as T);
}

/**
 * How many pairs of these repositories of `branch` are in each state (every state listed), from
 * the home summary.
 */
export function stateCountsOf(summary: HomeSummary, branch: string, repos: readonly string[]): Record<StateName, number> {
  const counts = Object.fromEntries(STATE_NAMES.map((state) => [state, 0])) as Record<StateName, number>;
  for (const row of summary.counts) if (row.branch === branch && repos.includes(row.repo)) counts[row.state] += row.count;
  return counts;
}

/**
 * Builds and stores every summary not built at the data version `db`'s transaction leaves (run
 * under the writer lock, after the data version moved on): the quality summary from the stored
 * one and `changes` (see `qualitySummary`), else whole. Returns the names built: none when every
 * summary is current, so a rerun does nothing.
 */
export async function writeStaleSummaries(
  db: Kysely<Schema>,
  rules: MappingRules,
  changes: QualityChanges | undefined,
  update?: UpdateOutputs,
): Promise<string[]> {
  const { version } = await getDataVersion(db);
  const built: string[] = [];
  const stale = async (name: string) => (await pageSummaryVersion(db, name)) !== version;
  if (await stale(HOME_SUMMARY)) {
    await writePageSummary(db, HOME_SUMMARY, version, await buildHomeSummary(db));
    built.push(HOME_SUMMARY);
  }
  if (await stale(QUEUE_SUMMARY)) {
    await writePageSummary(db, QUEUE_SUMMARY, version, await buildQueueSummary(db));
    built.push(QUEUE_SUMMARY);
  }
  if (await stale(QUALITY_SUMMARY)) {
    const [summary, basis] = changes === undefined ? [] : await Promise.all([readAnyPageSummary(db, QUALITY_SUMMARY), readAnyPageSummary(db, QUALITY_BASIS)]);
    const stored = summary === undefined || basis === undefined ? undefined : { summary: summary as QualitySummary, basis: basis as QualityBasis };
    const quality = await qualitySummary(db, rules, stored === undefined || changes === undefined ? undefined : { stored, changes }, update);
    await writePageSummary(db, QUALITY_SUMMARY, version, quality.summary);
    await writePageSummary(db, QUALITY_BASIS, version, quality.basis);
    built.push(QUALITY_SUMMARY);
  }
  if (await stale(NAMES_SUMMARY)) {
    await writePageSummary(db, NAMES_SUMMARY, version, await buildNamesSummary(db));
    built.push(NAMES_SUMMARY);
  }
  return built;
}

/**
 * Builds and stores every summary not built at the current data version, whole, under the writer
 * lock so the data cannot change meanwhile; writing them leaves the data version as it is.
 * Returns the names built: none when every summary is current, so a rerun does nothing.
 */
export async function refreshPageSummaries(store: Store, rules: MappingRules): Promise<string[]> {
  return withWriteLock(store, (db) => writeStaleSummaries(db, rules, undefined), { changedData: () => false });
}
