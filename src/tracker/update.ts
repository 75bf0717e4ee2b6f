import type { Kysely } from 'kysely';
import {
  type BranchSecfixLine,
  type FixBelowRange,
  type MappingIndex,
  type MappingRules,
  type OriginScope,
  type PairKey,
  type PreparedCve,
  type PreparedCve5,
  type QualityFinding,
  type RejectionRecord,
  FALLBACK_RULE,
  binariesByOrigin,
  buildMappingIndex,
  candidateNames,
  candidateVulnerabilities,
  criterionNameKey,
  decideBranch,
  evidenceNoteFindings,
  fallbackMayMove,
  fixesBelowRange,
  hasLanguagePrefix,
  inScope,
  isFallbackMatch,
  mapCriterionToPackages,
  packageUniverse,
  prepareCve,
  prepareCve5,
  productKey,
  productKeysReaching,
  publishedVersions,
  rejectionAppliesTo,
  wholeBranchScope,
  widenForFallback,
  widenForVulnerabilities,
  widenScope,
} from '../engine/index.js';
import type { Cpe } from '../formats/cpe.js';
import type { Cve5Affected } from '../formats/cve5.js';
import type { NvdConfiguration } from '../formats/nvd.js';
import {
  type BranchSummary,
  type CriterionName,
  type Schema,
  type StateKey,
  type StateRecord,
  type Store,
  type StoredCpeCriterion,
  type StateRow,
  clearAllDirty,
  clearDirty,
  countAllStates,
  countVulnerabilities,
  deleteStates,
  findCriteriaByProducts,
  getCve5Affected,
  getVulnerabilityConfigurations,
  hasAnyState,
  listBranches,
  listDirty,
  listPublishedBinaries,
  listPackagesWithEvidence,
  listPackagesWithStatesOrSecfixes,
  listOriginVersions,
  listRejections,
  listSecfixes,
  listSecfixesByVulnerability,
  listStateRows,
  listStateRowsByVulnerability,
  listVulnerableCriterionNames,
  refreshStatistics,
  withIndexesDeferred,
  withWriteLock,
  writeStates,
} from '../store/index.js';
import { ANY_BRANCH, parsePackageDirtyKey } from './dirty-keys.js';
import { type Interner, newInterner } from './intern.js';
import type { IndexRows } from './check.js';
import type { PublishedBinaries } from './mapping-coverage.js';
import { notePairKey, writeStaleSummaries } from './summaries.js';

/**
 * `secfix update`: recomputes states from what is stored. The incremental form recomputes only
 * the pairs whose inputs changed since the last update (the dirty marks importers leave: an
 * origin in a branch, or a vulnerability), except the first, over no states, which is full;
 * `full` recomputes every pair. Both run the same per-origin computation, so they give identical
 * results, and the whole update holds the write lock, so it never interleaves with an import.
 * This module only loads, batches and writes: every decision (what is in scope, which CVEs are
 * candidates, the states, which stored states are obsolete) is engine/branch.ts's.
 */

interface UpdateOptions {
  readonly full: boolean;
  readonly rules: MappingRules;
  /** Written into the state history. */
  readonly cause?: string;
  /** ISO time recorded on changed states; defaults to now. */
  readonly at?: string;
}

export interface UpdateSummary {
  readonly mode: 'full' | 'incremental';
  readonly branches: number;
  /** Origins whose pairs were recomputed, over all branches. */
  readonly originsRecomputed: number;
  /** Pairs decided. */
  readonly pairs: number;
  /** States inserted or changed. */
  readonly written: number;
  /** States whose name changed (each has a history row). */
  readonly transitions: number;
  /** States removed because nothing ties the package to the vulnerability any more. */
  readonly deleted: number;
  readonly durationMs: number;
}


/**
 * The share of the states an update must write or delete for it to refresh the database's
 * statistics after (`refreshStatistics`): a first update writes them all, after imports that
 * wrote most of the rest; an hourly one a few thousand of 742,639 at full size. A tenth, as
 * PostgreSQL's autovacuum analyzes a table after.
 */
const STATISTICS_REFRESH_SHARE = 0.1;

/**
 * About how many vulnerabilities a round may load (its origins' share of the store's): bounds
 * memory on big databases, where a round is `MIN_ORIGINS_PER_ROUND` origins (300,000
 * vulnerabilities over 10,000 origins), while a small one is recomputed in one round instead of
 * loading and mapping the vulnerabilities its rounds share once per round.
 */
const VULNERABILITIES_PER_ROUND = 4_500;
const MIN_ORIGINS_PER_ROUND = 150;

/** Origins per round when the store holds `vulnerabilities` over `origins` origin names (see `VULNERABILITIES_PER_ROUND`). */
function originsPerRound(origins: number, vulnerabilities: number): number {
  return Math.max(MIN_ORIGINS_PER_ROUND, Math.ceil((VULNERABILITIES_PER_ROUND * origins) / Math.max(1, vulnerabilities)));
}

/** What one branch looks like while its states are recomputed. */
interface BranchContext {
  readonly branch: BranchSummary;
  readonly repositoryName: ReadonlyMap<number, string>;
  readonly index: MappingIndex;
  /** Repository id → origin → newest published version. */
  readonly published: ReadonlyMap<number, ReadonlyMap<string, string>>;
  /** Origin → the criterion names that map to it, keyed `vendor\0product\0targetSw`, for the origins recomputed. */
  readonly namesByOrigin: ReadonlyMap<string, readonly string[]>;
}

/**
 * A branch while what to recompute in it is chosen: its criterion names are mapped as far as
 * needed (see `mapNamesReaching`). Only its context is kept for the rounds.
 */
interface BranchMapping {
  readonly context: Omit<BranchContext, 'namesByOrigin'>;
  /** Origin → its binary packages. */
  readonly binaries: ReadonlyMap<string, readonly string[]>;
  /** The branch's published binaries as read (with shared strings), which the page summaries read too. */
  readonly binaryRows: PublishedBinaries;
  /** Every version its indexes ever listed (`listOriginVersions`, with shared strings), which the quality summary reads too. */
  readonly seenRows: IndexRows['seen'];
  readonly namesByOrigin: Map<string, Set<string>>;
  /** Product keys whose criterion names are already mapped in this branch. */
  readonly mappedKeys: Set<string>;
  /** Origins reached through a language prefix, a rule that applies only while the bare name maps nowhere. */
  readonly fallbackOrigins: Set<string>;
}

/** A vulnerable criterion's name: its key (`vendor\0product\0targetSw`) and the mapping's form of it. */
interface NamedCriterion {
  readonly key: string;
  readonly name: NonNullable<ReturnType<typeof engineName>>;
}

/** Product keys with more hyphens are looked for by reading every name: 2^n spellings each. */
const MAX_KEY_HYPHENS = 8;

/**
 * The vulnerable criterion names of the database by product key (see `productKey`), read as
 * keys are asked for, through the product index: an incremental update needs the names of a
 * few packages only. `loadAll` reads every name at once, as a full update needs them all.
 */
class CriterionNames {
  private readonly byKey = new Map<string, NamedCriterion[]>();
  private complete = false;

  constructor(private readonly db: Kysely<Schema>) {}

  async loadAll(): Promise<void> {
    if (this.complete) return;
    const all = await listVulnerableCriterionNames(this.db);
    this.byKey.clear();
    this.add(all);
    this.complete = true;
  }

  async load(keys: Iterable<string>): Promise<void> {
    if (this.complete) return;
    const missing = [...keys].filter((key) => !this.byKey.has(key));
    if (missing.some((key) => key.split('-').length - 1 > MAX_KEY_HYPHENS)) return this.loadAll();
    for (const key of missing) this.byKey.set(key, []);
    // A key stands for every product that differs from it only in `_` for `-`.
    this.add(await listVulnerableCriterionNames(this.db, missing.flatMap(productSpellings)));
  }

  get(key: string): readonly NamedCriterion[] {
    return this.byKey.get(key) ?? [];
  }

  private add(names: readonly CriterionName[]): void {
    for (const name of names) {
      const mappable = engineName(name);
      if (mappable === undefined) continue;
      const key = productKey(mappable.product);
      const group = this.byKey.get(key) ?? [];
      group.push({ key: criterionNameKey(name.vendor, name.product, name.targetSw), name: mappable });
      this.byKey.set(key, group);
    }
  }
}

/** Every spelling of a product key with each `-` as `-` or `_`. */
function productSpellings(key: string): string[] {
  return key.split('-').reduce<string[]>((spellings, part, index) => (index === 0 ? [part] : spellings.flatMap((start) => [`${start}-${part}`, `${start}_${part}`])), []);
}

/**
 * Maps, once per branch, every criterion name that could reach one of `origins`, recording which
 * origins each maps to: after this, `namesByOrigin` is complete for those origins. Mapping only
 * these keeps an incremental update from mapping every name of the database for every branch.
 */
async function mapNamesReaching(mapping: BranchMapping, names: CriterionNames, origins: Iterable<string>): Promise<void> {
  const { index } = mapping.context;
  const keys = new Set<string>();
  for (const origin of origins) {
    for (const key of productKeysReaching(origin, mapping.binaries.get(origin) ?? [], index)) if (!mapping.mappedKeys.has(key)) keys.add(key);
  }
  await names.load(keys);
  for (const key of keys) {
    mapping.mappedKeys.add(key);
    for (const { key: name, name: criterion } of names.get(key)) {
      for (const match of mapCriterionToPackages(criterion, index)) {
        if (isFallbackMatch(match)) mapping.fallbackOrigins.add(match.origin);
        const originNames = mapping.namesByOrigin.get(match.origin) ?? new Set<string>();
        originNames.add(name);
        mapping.namesByOrigin.set(match.origin, originNames);
      }
    }
  }
}

/**
 * The store keeps CPE fields as written (`*`, `-`, or text with any end wildcards); the mapping
 * wants exact names only, as `criterionNameOf` gives them. Undefined when the product is not exact.
 */
function engineName(name: CriterionName) {
  const exact = (text: string) => (text === '*' || text === '-' || /^[*?]|[*?]$/.test(text) ? undefined : text);
  const product = exact(name.product);
  if (product === undefined) return undefined;
  return { vendor: exact(name.vendor), product, ...(name.targetSw === null ? {} : { targetSw: name.targetSw }) };
}

async function loadBranchMapping(
  db: Kysely<Schema>,
  branch: BranchSummary,
  rules: MappingRules,
  names: CriterionNames,
  intern: Interner,
): Promise<BranchMapping> {
  const repositoryIds = branch.repositories.map((repository) => repository.id);
  const seen = (await listOriginVersions(db, repositoryIds)).map((row) => ({ ...row, origin: intern(row.origin), version: intern(row.version) }));
  const builds = seen.filter((row) => row.published);
  const published = publishedVersions(repositoryIds, builds, intern);
  const origins = new Set(builds.filter((build) => published.has(build.repositoryId)).map((build) => build.origin));
  const binaries = (await listPublishedBinaries(db, repositoryIds)).map((row) => ({ repositoryId: row.repositoryId, binary: intern(row.binary), origin: intern(row.origin) }));
  const universe = packageUniverse([
    ...binaries.map((row) => ({ name: row.binary, origin: row.origin })),
    ...[...origins].map((origin) => ({ name: origin, origin })),
  ]);
  const mapping: BranchMapping = {
    context: {
      branch,
      repositoryName: new Map(branch.repositories.map((repository) => [repository.id, repository.name])),
      index: buildMappingIndex(universe, rules),
      published,
    },
    binaries: binariesByOrigin(universe),
    binaryRows: binaries,
    seenRows: seen,
    namesByOrigin: new Map(),
    mappedKeys: new Set(),
    fallbackOrigins: new Set(),
  };
  // Only origins with a language-prefixed name can be reached through the fallback rule.
  const prefixed = [...universe.origins].filter((origin) => [origin, ...(mapping.binaries.get(origin) ?? [])].some(hasLanguagePrefix));
  await mapNamesReaching(mapping, names, prefixed);
  return mapping;
}

/**
 * What one round of origins loads for every branch alike, so that the branches share it: the
 * criteria of the round's products, the configurations of its vulnerabilities, and CPE parses.
 */
interface RoundCache {
  readonly criteriaByProduct: Map<string, StoredCpeCriterion[]>;
  readonly configurations: Map<string, readonly NvdConfiguration[]>;
  readonly parsedCpes: Map<string, Cpe>;
  /** Ids whose stored configurations are NVD's, the ones CVE 5 data is a second opinion on. */
  readonly nvdSourced: Set<string>;
  /** CVE 5 `affected` entries by id, loaded once per round; empty for ids without any. */
  readonly cve5Affected: Map<string, readonly Cve5Affected[]>;
}

function newRoundCache(): RoundCache {
  return { criteriaByProduct: new Map(), configurations: new Map(), parsedCpes: new Map(), nvdSourced: new Set(), cve5Affected: new Map() };
}

async function criteriaOfProducts(db: Kysely<Schema>, cache: RoundCache, products: readonly string[]): Promise<StoredCpeCriterion[]> {
  const missing = products.filter((product) => !cache.criteriaByProduct.has(product));
  for (const product of missing) cache.criteriaByProduct.set(product, []);
  for (const criterion of await findCriteriaByProducts(db, missing)) cache.criteriaByProduct.get(criterion.product)?.push(criterion);
  return products.flatMap((product) => cache.criteriaByProduct.get(product) ?? []);
}

async function preparedVulnerabilities(db: Kysely<Schema>, cache: RoundCache, ids: readonly string[], index: MappingIndex): Promise<Map<string, PreparedCve>> {
  const missing = ids.filter((id) => !cache.configurations.has(id));
  for (const vulnerability of await getVulnerabilityConfigurations(db, missing)) {
    cache.configurations.set(vulnerability.id, vulnerability.configurations);
    if (vulnerability.source === 'nvd') cache.nvdSourced.add(vulnerability.id);
  }
  const prepared = new Map<string, PreparedCve>();
  for (const id of ids) {
    const configurations = cache.configurations.get(id);
    if (configurations !== undefined) prepared.set(id, prepareCve(configurations, index, cache.parsedCpes));
  }
  return prepared;
}

/** The CVE 5 data of those of `ids` whose configurations are NVD's, prepared against the branch's packages (run after preparedVulnerabilities). */
async function preparedCve5(db: Kysely<Schema>, cache: RoundCache, ids: readonly string[], index: MappingIndex): Promise<Map<string, PreparedCve5>> {
  const nvdIds = ids.filter((id) => cache.nvdSourced.has(id));
  const missing = nvdIds.filter((id) => !cache.cve5Affected.has(id));
  const loaded = await getCve5Affected(db, missing);
  for (const id of missing) cache.cve5Affected.set(id, loaded.get(id) ?? []);
  const prepared = new Map<string, PreparedCve5>();
  for (const id of nvdIds) {
    const affected = cache.cve5Affected.get(id) ?? [];
    if (affected.length > 0) prepared.set(id, prepareCve5(affected, index, cache.parsedCpes));
  }
  return prepared;
}

/** What the dirty marks name, read once for all branches. */
interface DirtyInputs {
  readonly packages: readonly string[];
  readonly vulnerabilities: readonly string[];
  /** Loads of the dirty vulnerabilities' configurations and CPE parses, shared by the branches. */
  readonly cache: RoundCache;
  /** Secfix lines and states naming a dirty vulnerability, in any repository. */
  readonly lines: readonly { readonly repositoryId: number; readonly package: string; readonly vulnerabilityId: string }[];
  /** The stored states of the dirty vulnerabilities, in any repository, by package. */
  readonly statesByPackage: ReadonlyMap<string, readonly StateRow[]>;
}

/**
 * What the dirty marks name; undefined when there are marks but no state yet (the first update):
 * then every pair is new whatever the marks say, and the update recomputes them all as `--full`
 * does, which costs less than following each mark (the incremental way took 15-20% more CPU on
 * the 3.16 sample).
 */
async function readDirty(db: Kysely<Schema>): Promise<DirtyInputs | undefined> {
  const packages = await listDirty(db, 'package');
  const vulnerabilities = await listDirty(db, 'vulnerability');
  if ((packages.length > 0 || vulnerabilities.length > 0) && !(await hasAnyState(db))) return undefined;
  if (vulnerabilities.length === 0) return { packages, vulnerabilities, cache: newRoundCache(), lines: [], statesByPackage: new Map() };
  const states = await listStateRowsByVulnerability(db, vulnerabilities);
  const statesByPackage = new Map<string, StateRow[]>();
  for (const state of states) {
    const list = statesByPackage.get(state.package);
    if (list === undefined) statesByPackage.set(state.package, [state]);
    else list.push(state);
  }
  return { packages, vulnerabilities, cache: newRoundCache(), lines: [...(await listSecfixesByVulnerability(db, vulnerabilities)), ...states], statesByPackage };
}

/** The origins (and their vulnerabilities) an incremental update must recompute in this branch. */
async function dirtyTargets(db: Kysely<Schema>, mapping: BranchMapping, dirty: DirtyInputs): Promise<Map<string, OriginScope>> {
  const { context } = mapping;
  const targets = new Map<string, OriginScope>();
  for (const key of dirty.packages) {
    const { branch, origin } = parsePackageDirtyKey(key);
    if (branch === ANY_BRANCH || branch === context.branch.name) widenScope(targets, origin);
  }
  if (fallbackMayMove(targets)) {
    const repositoryIds = context.branch.repositories.map((repository) => repository.id);
    widenForFallback(targets, mapping.fallbackOrigins, await listPackagesWithEvidence(db, repositoryIds, `"rule":"${FALLBACK_RULE}"`));
  }
  if (dirty.vulnerabilities.length === 0) return targets;
  const prepared = await preparedVulnerabilities(db, dirty.cache, dirty.vulnerabilities, context.index);
  widenForVulnerabilities(targets, context.repositoryName, prepared, dirty.lines);
  return targets;
}

/** Every origin that has or may have pairs in this branch: published, with secfixes, or with states. */
async function allTargets(db: Kysely<Schema>, context: BranchMapping['context']): Promise<Map<string, OriginScope>> {
  const repositoryIds = context.branch.repositories.map((repository) => repository.id);
  return wholeBranchScope(context.published, await listPackagesWithStatesOrSecfixes(db, repositoryIds));
}

interface RoundResult {
  readonly records: StateRecord[];
  readonly obsolete: StateKey[];
  /** The stored rows of every pair in `records` and `obsolete` that has one, as read for the round. */
  readonly stored: StateRow[];
  readonly pairs: number;
  /** With `judgeFixes`, the round's fix lines below NVD's ranges (`fixesBelowRange`). */
  readonly below: readonly FixBelowRange[];
}

/**
 * Loads one round of a branch (the given origins), lets the engine decide it, and returns the
 * states to write and to delete. An origin recomputed for a few (dirty) vulnerabilities needs
 * only their states: `dirtyStates`. With `judgeFixes`, also judges the round's fix lines against
 * the CVEs prepared for it, for the quality check (every CVE that concerns an origin is among its
 * candidates).
 */
async function recomputeRound(
  db: Kysely<Schema>,
  context: BranchContext,
  targets: ReadonlyMap<string, OriginScope>,
  cache: RoundCache,
  dirtyStates: DirtyInputs['statesByPackage'],
  judgeFixes: boolean,
): Promise<RoundResult> {
  const origins = [...targets.keys()];
  const { branch, repositoryName } = context;
  // Mapping answers of earlier rounds are mostly for their own products: letting them go bounds memory.
  context.index.answers.clear();

  const wholeOrigins = origins.filter((origin) => targets.get(origin) === 'all');
  const secfixes = new Map<string, BranchSecfixLine[]>();
  const states = new Map<string, PairKey[]>();
  const stored: StateRow[] = [];
  const addState = (state: StateRow) => {
    stored.push(state);
    const list = states.get(state.package);
    if (list === undefined) states.set(state.package, [state]);
    else list.push(state);
  };
  for (const repository of branch.repositories) {
    for (const line of await listSecfixes(db, repository.id, origins)) {
      const lines = secfixes.get(line.package) ?? [];
      lines.push({
        repositoryId: repository.id,
        repo: repository.name,
        version: line.version,
        id: line.vulnerabilityId,
        text: line.note === null ? line.vulnerabilityId : `${line.vulnerabilityId} ${line.note}`,
      });
      secfixes.set(line.package, lines);
    }
    if (wholeOrigins.length > 0) {
      for (const state of await listStateRows(db, repository.id, wholeOrigins)) addState(state);
    }
  }
  for (const [origin, scope] of targets) {
    if (scope === 'all') continue;
    for (const state of dirtyStates.get(origin) ?? []) {
      if (repositoryName.has(state.repositoryId) && inScope(scope, state.vulnerabilityId)) addState(state);
    }
  }
  const rejections = new Map<string, RejectionRecord[]>();
  for (const rejection of await listRejections(db, origins)) {
    if (!rejectionAppliesTo(rejection.branches, branch.name)) continue;
    const record: RejectionRecord = {
      id: rejection.vulnerabilityId,
      source: rejection.source,
      ...(rejection.author === null ? {} : { author: rejection.author }),
      ...(rejection.rationale === null ? {} : { rationale: rejection.rationale }),
      ...(rejection.justification === null ? {} : { justification: rejection.justification }),
    };
    rejections.set(rejection.package, [...(rejections.get(rejection.package) ?? []), record]);
  }

  const names = candidateNames(targets, context.namesByOrigin);
  const candidates = candidateVulnerabilities(targets, names, await criteriaOfProducts(db, cache, names.products));
  const candidateIds = [...new Set([...candidates.values()].flatMap((ids) => [...ids]))];
  const prepared = await preparedVulnerabilities(db, cache, candidateIds, context.index);
  const cve5 = await preparedCve5(db, cache, candidateIds, context.index);

  const decision = decideBranch({
    repositories: branch.repositories,
    published: context.published,
    scopes: targets,
    secfixes,
    rejections,
    candidates,
    prepared,
    cve5,
    stored: states,
  });
  return { ...decision, stored, below: judgeFixes ? fixesBelowRange(secfixes, prepared) : [] };
}

/** A loaded branch and what to recompute in it. */
interface BranchTargets {
  readonly context: BranchContext;
  readonly targets: ReadonlyMap<string, OriginScope>;
  readonly binaryRows: PublishedBinaries;
  readonly seenRows: IndexRows['seen'];
}

/**
 * Loads every branch and picks what to recompute in it: everything (`dirty` undefined, a full
 * update) or what the dirty marks reach. The criterion names, needed only to pick, are let go.
 */
async function prepareBranches(
  db: Kysely<Schema>,
  rules: MappingRules,
  dirty: DirtyInputs | undefined,
): Promise<BranchTargets[]> {
  const names = new CriterionNames(db);
  if (dirty === undefined) await names.loadAll();
  const intern = newInterner();
  const branches: BranchTargets[] = [];
  for (const branch of await listBranches(db)) {
    const mapping = await loadBranchMapping(db, branch, rules, names, intern);
    const targets = dirty === undefined ? await allTargets(db, mapping.context) : await dirtyTargets(db, mapping, dirty);
    const whole = [...targets].filter(([, scope]) => scope === 'all').map(([origin]) => origin);
    await mapNamesReaching(mapping, names, whole);
    // Every branch stays loaded for the rounds: only the names of the origins recomputed whole,
    // and none of the answers cached while mapping (one per criterion name of the database).
    mapping.context.index.answers.clear();
    const namesByOrigin = new Map(whole.map((origin) => [origin, [...(mapping.namesByOrigin.get(origin) ?? [])]]));
    branches.push({ context: { ...mapping.context, namesByOrigin }, targets, binaryRows: mapping.binaryRows, seenRows: mapping.seenRows });
  }
  return branches;
}

/**
 * Adds a round's notes to `found` (`WrittenNotes`) and, when `recomputed` is given, the pairs it
 * writes or deletes; only the few states with a note are looked at twice.
 */
function collectNotes(context: BranchContext, round: RoundResult, found: QualityFinding[], recomputed: Set<string> | undefined): void {
  const branch = context.branch.name;
  const repo = (repositoryId: number) => context.repositoryName.get(repositoryId)!;
  const noted = round.records.filter((record) => record.evidence.some((evidence) => evidence.kind === 'introduced-after-published' || evidence.kind === 'sources-disagree'));
  found.push(...evidenceNoteFindings(noted.map((record) => ({ ...record, branch, repo: repo(record.repositoryId) }))));
  if (recomputed === undefined) return;
  for (const pair of [...round.records, ...round.obsolete]) recomputed.add(notePairKey(branch, repo(pair.repositoryId), pair.package, pair.vulnerabilityId));
}

/** Runs `secfix update` (see the module comment). */
export async function updateStates(store: Store, options: UpdateOptions): Promise<UpdateSummary> {
  const started = process.hrtime.bigint();
  const cause = options.cause ?? (options.full ? 'update --full' : 'update');
  let mode: UpdateSummary['mode'] = options.full ? 'full' : 'incremental';
  const totals = { branches: 0, originsRecomputed: 0, pairs: 0, written: 0, transitions: 0, deleted: 0 };
  // Dirty marks are no page's data: an update that changed no state leaves the data version.
  await withWriteLock(store, async (db) => {
    // A full update recomputes everything the marks could name, so it need not read them.
    const dirty = options.full ? undefined : await readDirty(db);
    if (dirty === undefined) mode = 'full';
    if (dirty !== undefined && dirty.packages.length === 0 && dirty.vulnerabilities.length === 0) return { dirty };
    const branches = await prepareBranches(db, options.rules, dirty);
    totals.branches = branches.length;
    for (const { targets } of branches) totals.originsRecomputed += targets.size;
    // Rounds of origin names across all branches: a package's vulnerabilities are mostly the same
    // in every branch, so each round loads them once for all branches.
    const origins = [...new Set(branches.flatMap(({ targets }) => [...targets.keys()]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const at = options.at === undefined ? {} : { at: options.at };
    const notes = { whole: dirty === undefined, recomputed: new Set<string>(), found: [] as QualityFinding[] };
    // A full update judges every fix line in its rounds, so the quality check need not read NVD again.
    const judged = new Map(dirty === undefined ? branches.map(({ context }) => [context.branch.name, { universe: context.index, below: [] as FixBelowRange[] }]) : []);
    const storeOrigins = new Set(branches.flatMap(({ context }) => [...context.published.values()].flatMap((versions) => [...versions.keys()]))).size;
    const roundSize = originsPerRound(storeOrigins, await countVulnerabilities(db));
    const recomputeRounds = async () => {
      for (let start = 0; start < origins.length; start += roundSize) {
        const roundOrigins = origins.slice(start, start + roundSize);
        const cache = newRoundCache();
        for (const { context, targets } of branches) {
          const roundTargets = new Map<string, OriginScope>();
          for (const origin of roundOrigins) {
            const scope = targets.get(origin);
            if (scope !== undefined) roundTargets.set(origin, scope);
          }
          if (roundTargets.size === 0) continue;
          const round = await recomputeRound(db, context, roundTargets, cache, dirty?.statesByPackage ?? new Map(), dirty === undefined);
          judged.get(context.branch.name)?.below.push(...round.below);
          collectNotes(context, round, notes.found, notes.whole ? undefined : notes.recomputed);
          const written = await writeStates(db, round.records, { cause, ...at }, round.stored);
          totals.pairs += round.pairs;
          totals.written += written.written;
          totals.transitions += written.transitions;
          totals.deleted += await deleteStates(db, round.obsolete, { cause, ...at }, round.stored);
        }
      }
    };
    // Over no states (a first update, or --full over an emptied table) every state is an insert:
    // the state table's indexes are built once after, not kept up to date insert by insert.
    if (dirty === undefined && !(await hasAnyState(db))) await withIndexesDeferred(db, 'state', recomputeRounds);
    else await recomputeRounds();
    if (dirty === undefined) {
      await clearAllDirty(db);
    } else {
      await clearDirty(db, 'package', dirty.packages);
      await clearDirty(db, 'vulnerability', dirty.vulnerabilities);
    }
    const indexes = new Map(branches.map(({ context }) => [context.branch.name, context.index]));
    return { dirty, update: { binaries: branches.flatMap(({ binaryRows }) => binaryRows), seen: branches.flatMap(({ seenRows }) => seenRows), written: notes, indexes, ...(dirty === undefined ? { judged } : {}) } };
  }, {
    changedData: () => totals.written + totals.deleted > 0,
    // After the states, so pages read what depends only on the data from one stored row; in the
    // same transaction, so the marks the quality summary is rechecked from are cleared with it.
    finally: (db, { dirty, update }) => writeStaleSummaries(db, options.rules, dirty, update).then(() => undefined),
  });
  const changed = totals.written + totals.deleted;
  if (changed > 0 && changed >= STATISTICS_REFRESH_SHARE * (await countAllStates(store.db))) await refreshStatistics(store);
  return { mode, ...totals, durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6) };
}
