import type { Evidence, PairState, StateName } from '../base/states.js';
import { compareVersions } from '../version/index.js';
import { type NvdEvaluation, type PreparedCve, evaluateCve } from './configuration.js';
import type { PackageMatch } from './cpe-mapping.js';
import { type RejectionRecord, type SecfixLine, decideStates } from './decide.js';
import { type Cve5Opinion, type PreparedCve5, evaluateCve5 } from './second-opinion.js';

/**
 * The states of a branch, decided from a plain-data snapshot of it: which repository a package
 * lives in, whose build speaks for a repository, which vulnerabilities are candidates for a
 * package, which stored states no longer apply. `tracker/update.ts` loads the snapshot in rounds
 * of origins and writes what `decideBranch` returns; every rule is here.
 */

/** Which vulnerabilities of an origin to recompute: all of them, or only some. */
export type OriginScope = 'all' | Set<string>;

/** Whether a scope covers a vulnerability. */
export function inScope(scope: OriginScope, vulnerabilityId: string): boolean {
  return scope === 'all' || scope.has(vulnerabilityId);
}

/** Widens an origin's scope to one more vulnerability, or to all of them (`vulnerabilityId` undefined). */
export function widenScope(scopes: Map<string, OriginScope>, origin: string, vulnerabilityId?: string): void {
  const scope = scopes.get(origin);
  if (scope === 'all') return;
  if (vulnerabilityId === undefined) {
    scopes.set(origin, 'all');
    return;
  }
  if (scope === undefined) scopes.set(origin, new Set([vulnerabilityId]));
  else scope.add(vulnerabilityId);
}

/** One published build: an origin at a version in a repository, for one architecture. */
export interface PublishedBuild {
  readonly repositoryId: number;
  readonly origin: string;
  readonly version: string;
}

/**
 * Repository id → origin → the version that speaks for the repository: several architectures may
 * publish different builds, and the newest one counts. Builds of other repositories are ignored.
 * `intern` lets the caller share equal strings between branches.
 */
export function publishedVersions(
  repositoryIds: readonly number[],
  builds: Iterable<PublishedBuild>,
  intern: (text: string) => string = (text) => text,
): Map<number, Map<string, string>> {
  const published = new Map<number, Map<string, string>>(repositoryIds.map((id) => [id, new Map()]));
  for (const build of builds) {
    const versions = published.get(build.repositoryId);
    if (versions === undefined) continue;
    const origin = intern(build.origin);
    const current = versions.get(origin);
    if (current === undefined || compareVersions(build.version, current) > 0) versions.set(origin, intern(build.version));
  }
  return published;
}

/** A full update's scope: every origin published in the branch, or with stored states or secfixes there, whole. */
export function wholeBranchScope(published: ReadonlyMap<number, ReadonlyMap<string, string>>, originsWithStatesOrSecfixes: Iterable<string>): Map<string, OriginScope> {
  const scopes = new Map<string, OriginScope>();
  for (const versions of published.values()) for (const origin of versions.keys()) scopes.set(origin, 'all');
  for (const origin of originsWithStatesOrSecfixes) scopes.set(origin, 'all');
  return scopes;
}

/** The mapping rule whose matches depend on which other packages exist (haxx:curl reaches lua-curl only without curl). */
export const FALLBACK_RULE = 'language-prefix';

/** Whether a match came through the fallback rule, so that it may move when packages come or go. */
export function isFallbackMatch(match: PackageMatch): boolean {
  return match.rule === FALLBACK_RULE;
}

/**
 * Whether packages of the branch came or went (some origin is recomputed whole), which can change
 * where fallback matches land for other packages: then `widenForFallback` must run.
 */
export function fallbackMayMove(scopes: ReadonlyMap<string, OriginScope>): boolean {
  return scopes.size > 0;
}

/**
 * Recomputes, whole, the origins a fallback match reaches now (`fallbackOrigins`) and those whose
 * stored states rest on one (`originsOnFallback`).
 */
export function widenForFallback(scopes: Map<string, OriginScope>, fallbackOrigins: Iterable<string>, originsOnFallback: Iterable<string>): void {
  for (const origin of fallbackOrigins) widenScope(scopes, origin);
  for (const origin of originsOnFallback) widenScope(scopes, origin);
}

/** A secfix line or stored state naming a changed vulnerability, in some repository. */
export interface VulnerabilityMention {
  readonly repositoryId: number;
  readonly package: string;
  readonly vulnerabilityId: string;
}

/**
 * Widens the scopes for changed vulnerabilities: each to the origins its configurations now
 * concern, and to the packages of the branch's repositories whose secfixes or states name it.
 */
export function widenForVulnerabilities(
  scopes: Map<string, OriginScope>,
  repositoryIds: { has(repositoryId: number): boolean },
  prepared: ReadonlyMap<string, PreparedCve>,
  mentions: Iterable<VulnerabilityMention>,
): void {
  for (const [id, cve] of prepared) for (const origin of cve.origins) widenScope(scopes, origin, id);
  for (const mention of mentions) {
    if (repositoryIds.has(mention.repositoryId)) widenScope(scopes, mention.package, mention.vulnerabilityId);
  }
}

/** Whether a rejection applies in a branch: one naming no branches applies in all of them. */
export function rejectionAppliesTo(branches: readonly string[] | null, branch: string): boolean {
  return branches === null || branches.includes(branch);
}

/** The key of a criterion name: vendor, product and target software (`''` when none). */
export function criterionNameKey(vendor: string, product: string, targetSw: string | null): string {
  return `${vendor}\u0000${product}\u0000${targetSw ?? ''}`;
}

/** The criterion names that can make a vulnerability a candidate for the origins recomputed whole, and their products to look up. */
export interface CandidateNames {
  /** Criterion name key (see `criterionNameKey`) → the origins it maps to. */
  readonly originsByName: ReadonlyMap<string, ReadonlySet<string>>;
  readonly products: readonly string[];
}

/** `namesByOrigin`: origin → the keys of the criterion names that map to it. */
export function candidateNames(scopes: ReadonlyMap<string, OriginScope>, namesByOrigin: ReadonlyMap<string, readonly string[]>): CandidateNames {
  const originsByName = new Map<string, Set<string>>();
  for (const [origin, scope] of scopes) {
    if (scope !== 'all') continue;
    for (const key of namesByOrigin.get(origin) ?? []) originsByName.set(key, (originsByName.get(key) ?? new Set()).add(origin));
  }
  return { originsByName, products: [...new Set([...originsByName.keys()].map((key) => key.split('\u0000')[1]!))] };
}

/** A criterion as stored: which vulnerability it belongs to and its name. */
export interface CriterionOfVulnerability {
  readonly vulnerabilityId: string;
  readonly vendor: string;
  readonly product: string;
  readonly targetSw: string | null;
}

/**
 * The candidate vulnerabilities of each origin: for one recomputed whole, every vulnerability
 * with a criterion whose name maps to it; for one recomputed narrowly, just its scope.
 */
export function candidateVulnerabilities(
  scopes: ReadonlyMap<string, OriginScope>,
  names: CandidateNames,
  criteria: Iterable<CriterionOfVulnerability>,
): Map<string, Set<string>> {
  const candidates = new Map<string, Set<string>>();
  for (const criterion of criteria) {
    for (const origin of names.originsByName.get(criterionNameKey(criterion.vendor, criterion.product, criterion.targetSw)) ?? []) {
      candidates.set(origin, (candidates.get(origin) ?? new Set()).add(criterion.vulnerabilityId));
    }
  }
  for (const [origin, scope] of scopes) if (scope !== 'all') candidates.set(origin, new Set(scope));
  return candidates;
}

/** A secfixes line of the branch and the repository whose secdb holds it. */
export interface BranchSecfixLine extends SecfixLine {
  readonly repositoryId: number;
}

/** A (repository, package, vulnerability) pair. */
export interface PairKey {
  readonly repositoryId: number;
  readonly package: string;
  readonly vulnerabilityId: string;
}

/** A pair's decided state, as a row to write. */
export interface PairRecord extends PairKey {
  readonly state: StateName;
  /** The version the repository publishes, which the decision was made for. */
  readonly version: string | null;
  readonly fixedVersion: string | null;
  readonly evidence: readonly Evidence[];
}

/** What one round of a branch is decided from; everything keyed by origin covers the origins of `scopes`. */
export interface BranchSnapshot {
  readonly repositories: readonly { readonly id: number; readonly name: string }[];
  /** Repository id → origin → the version that speaks for it (see `publishedVersions`). */
  readonly published: ReadonlyMap<number, ReadonlyMap<string, string>>;
  /** The origins to decide, and which of their vulnerabilities. */
  readonly scopes: ReadonlyMap<string, OriginScope>;
  /** Origin → its secfixes lines in every repository of the branch. */
  readonly secfixes: ReadonlyMap<string, readonly BranchSecfixLine[]>;
  /** Origin → its rejections that apply in the branch (see `rejectionAppliesTo`). */
  readonly rejections: ReadonlyMap<string, readonly RejectionRecord[]>;
  /** Origin → its candidate vulnerabilities (see `candidateVulnerabilities`). */
  readonly candidates: ReadonlyMap<string, ReadonlySet<string>>;
  /** The candidates' NVD data, prepared against the branch's packages. */
  readonly prepared: ReadonlyMap<string, PreparedCve>;
  /**
   * The CVE 5 affected data of candidates whose configurations are NVD's, prepared against the
   * branch's packages: the second opinion on NVD's ranges (see second-opinion.ts). None when no
   * CVE 5 data was imported.
   */
  readonly cve5?: ReadonlyMap<string, PreparedCve5>;
  /** Origin → its stored states in the branch's repositories, those in its scope at least. */
  readonly stored: ReadonlyMap<string, readonly PairKey[]>;
}

export interface BranchDecision {
  /** The states to write. */
  readonly records: PairRecord[];
  /** Stored states in scope that nothing ties the package to the vulnerability any more. */
  readonly obsolete: PairKey[];
  /** Pairs decided (`records.length`). */
  readonly pairs: number;
}

const NO_STATES = new Map<string, PairState>();

/**
 * Decides every pair of the snapshot's origins in scope. A package lives in the repositories that
 * publish it; one nobody publishes, in those whose secfixes list it. Only there are its states
 * decided; in any other repository holding a stored state of it, that state is obsolete.
 */
export function decideBranch(snapshot: BranchSnapshot): BranchDecision {
  const repositoryName = new Map(snapshot.repositories.map((repository) => [repository.id, repository.name]));
  const records: PairRecord[] = [];
  const obsolete: PairKey[] = [];
  for (const [origin, scope] of snapshot.scopes) {
    const publishing = [...snapshot.published].filter(([, versions]) => versions.has(origin)).map(([repositoryId]) => repositoryId);
    const lines = snapshot.secfixes.get(origin) ?? [];
    const secfixRepositories = new Set(lines.map((line) => line.repositoryId));
    const living = new Set<number>(publishing.length > 0 ? publishing : secfixRepositories);
    const stored = snapshot.stored.get(origin) ?? [];
    const repositories = new Set(living);
    for (const state of stored) repositories.add(state.repositoryId);
    for (const repositoryId of repositories) {
      const version = snapshot.published.get(repositoryId)?.get(origin);
      const nvd = living.has(repositoryId) ? nvdEvaluations(snapshot, origin, version) : undefined;
      const decided =
        nvd === undefined
          ? NO_STATES
          : decideStates({
              repo: repositoryName.get(repositoryId)!,
              version,
              secfixes: lines,
              rejections: snapshot.rejections.get(origin) ?? [],
              nvd,
              cve5: cve5Opinions(snapshot, nvd.keys(), origin, version),
            });
      for (const [vulnerabilityId, pairState] of decided) {
        if (!inScope(scope, vulnerabilityId)) continue;
        records.push({
          repositoryId,
          package: origin,
          vulnerabilityId,
          state: pairState.state,
          version: version ?? null,
          fixedVersion: pairState.fixedVersion,
          evidence: pairState.evidence,
        });
      }
      for (const state of stored) {
        if (state.repositoryId === repositoryId && inScope(scope, state.vulnerabilityId) && !decided.has(state.vulnerabilityId)) {
          obsolete.push({ repositoryId, package: origin, vulnerabilityId: state.vulnerabilityId });
        }
      }
    }
  }
  return { records, obsolete, pairs: records.length };
}

/** What CVE 5 says about the origin at a version, for the vulnerabilities NVD has a say on. */
function cve5Opinions(snapshot: BranchSnapshot, ids: Iterable<string>, origin: string, version: string | undefined): Map<string, Cve5Opinion> | undefined {
  if (snapshot.cve5 === undefined || snapshot.cve5.size === 0) return undefined;
  const opinions = new Map<string, Cve5Opinion>();
  for (const id of ids) {
    const cve = snapshot.cve5.get(id);
    const opinion = cve === undefined ? undefined : evaluateCve5(cve, origin, version);
    if (opinion !== undefined) opinions.set(id, opinion);
  }
  return opinions;
}

/** What NVD says about each candidate vulnerability of an origin at a version; only those that concern it. */
function nvdEvaluations(snapshot: BranchSnapshot, origin: string, version: string | undefined): Map<string, NvdEvaluation> {
  const nvd = new Map<string, NvdEvaluation>();
  for (const id of snapshot.candidates.get(origin) ?? []) {
    const cve = snapshot.prepared.get(id);
    const evaluation = cve === undefined ? undefined : evaluateCve(cve, origin, version);
    if (evaluation !== undefined) nvd.set(id, evaluation);
  }
  return nvd;
}
