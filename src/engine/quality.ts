import type { Cpe } from '../formats/cpe.js';
import type { NvdConfiguration } from '../formats/nvd.js';
import type { SecdbDocument, SecdbPackage } from '../formats/secdb.js';
import { type SecfixId, classifySecfixId } from '../formats/secfix-id.js';
import { compareVersions, isValidVersion } from '../version/index.js';
import { type PreparedCve, concernsOrigin, evaluateCve, prepareCve } from './configuration.js';
import type { SecfixLine } from './decide.js';
import { isNotAffectedLine } from './fix-rules.js';
import { type MappingIndex, type MappingIndexOf, type MappingRules, type PackageUniverse, buildMappingIndex, packageUniverse, sameUniverse } from './cpe-mapping.js';
import type { Evidence } from '../base/states.js';
import { describeBounds } from './bounds-text.js';
import { upstreamVersion } from './upstream-version.js';

/** Data-quality checks behind `secfix check`: secdb lines that cannot be right as written. */

export const QUALITY_KINDS = [
  /** A fix version no index of the branch ever listed: a typo, or a release never built. */
  'fix-version-not-in-index',
  /** A fix version apk cannot order (`1.9.5p2-r0`), so no published version can be judged against it. */
  'invalid-fix-version',
  /** A fix older than every NVD range the CVE has for the package: wrong id, or wrong package. */
  'fix-below-affected-range',
  /** An id that is not a CVE, GHSA or ALPINE id, so nothing else can refer to it. */
  'unrecognized-id',
  /** An id listed both as never affecting the package (`0`) and as fixed in a version. */
  'not-affected-and-fixed',
  /** A secdb package that no index of the branch has. */
  'package-not-in-index',
  /**
   * A pair decided not affected although its secfixes list a later fix, because every NVD range
   * for the package starts above the published version: for the team to confirm.
   */
  'introduced-after-published',
  /**
   * A pair decided unknown because NVD's configuration and a CVE 5 record's affected data
   * disagree about the published version: for the team to decide.
   */
  'sources-disagree',
] as const;
export type QualityKind = (typeof QUALITY_KINDS)[number];

/**
 * Kinds that are notes for the team to confirm, not problems in the data: the engine decided the
 * pair from a reading of the sources (an upgrade record, or conflicting sources) a person should
 * check. `secfix check` lists them but exits 1 only for the other kinds.
 */
export const NOTE_KINDS: ReadonlySet<QualityKind> = new Set(['introduced-after-published', 'sources-disagree']);

export interface QualityFinding {
  readonly kind: QualityKind;
  readonly branch: string;
  readonly repo?: string;
  readonly package: string;
  readonly id?: string;
  readonly version?: string;
  readonly detail: string;
}

export interface QualityInput {
  readonly branch: string;
  /** The branch's secfixes, one entry per repo, as a secdb document lists them. */
  readonly secdb: readonly Pick<SecdbDocument, 'repo' | 'packages'>[];
  /** Origin → every version any index of the branch ever listed (all repos, every snapshot seen). */
  readonly versionsSeen: ReadonlyMap<string, ReadonlySet<string>>;
  /** NVD's ranges (`rangesAboveFix`) of a fix line's id for its package when the fix is older than all of them. */
  readonly rangesAboveFix: (repo: string, pkg: string, version: string, id: string) => string | undefined;
}

/**
 * NVD's ranges of `cve` for `pkg`, described, when the fix `version` is older than every one of
 * them (the fix is below the affected range); undefined otherwise.
 */
export function rangesAboveFix(cve: PreparedCve, pkg: string, version: string): string | undefined {
  const criteria = evaluateCve(cve, pkg, version)?.criteria ?? [];
  if (criteria.length === 0 || !criteria.every((criterion) => criterion.outcome === 'before-range')) return undefined;
  return criteria.map((criterion) => describeBounds(criterion.bounds)).join(', ');
}

/**
 * Whether `version` falls in the stretch of history the tracker saw: at or after the oldest
 * version any index snapshot listed. An older fix may well have been published before the
 * tracker started watching, so its absence proves nothing.
 */
function isWithinObservedHistory(version: string, seen: ReadonlySet<string>): boolean {
  if (!isValidVersion(version)) return true;
  let oldest: string | undefined;
  for (const candidate of seen) if (isValidVersion(candidate) && (oldest === undefined || compareVersions(candidate, oldest) < 0)) oldest = candidate;
  return oldest === undefined || compareVersions(version, oldest) >= 0;
}

/** Findings in secdb order: by document, package, version key, id. */
export function checkSecfixQuality(input: QualityInput): QualityFinding[] {
  const { branch } = input;
  const findings: QualityFinding[] = [];
  for (const { repo, packages } of input.secdb) {
    for (const { name, secfixes } of packages) {
      const at = { branch, repo, package: name };
      const seen = input.versionsSeen.get(name);
      if (seen === undefined) {
        findings.push({ kind: 'package-not-in-index', ...at, detail: `no index of ${branch} has a package built from ${name}` });
      }
      const notAffectedIds = new Set(secfixes.filter(isNotAffectedLine).flatMap((entry) => entry.ids.map(({ id }) => id)));
      for (const entry of secfixes) {
        const { version, ids } = entry;
        const isFix = !isNotAffectedLine(entry);
        if (isFix && seen !== undefined && !seen.has(version) && isWithinObservedHistory(version, seen)) {
          findings.push({ kind: 'fix-version-not-in-index', ...at, version, detail: `${name} ${version} never appeared in an index of ${branch}` });
        }
        if (isFix && !isValidVersion(version)) {
          findings.push({ kind: 'invalid-fix-version', ...at, version, detail: `${version} is not a valid apk version` });
        }
        for (const { id, kind } of ids) {
          if (kind === 'other') {
            findings.push({ kind: 'unrecognized-id', ...at, id, version, detail: `"${id}" is not a CVE, GHSA or ALPINE id` });
          }
          if (!isFix) continue;
          if (notAffectedIds.has(id)) {
            findings.push({ kind: 'not-affected-and-fixed', ...at, id, version, detail: `${id} is listed under 0 and as fixed in ${version}` });
          }
          const ranges = input.rangesAboveFix(repo, name, version, id);
          if (ranges !== undefined) {
            findings.push({
              kind: 'fix-below-affected-range',
              ...at,
              id,
              version,
              detail: `fix ${upstreamVersion(version)} is older than every NVD range of ${id} for ${name}: ${ranges}`,
            });
          }
        }
      }
    }
  }
  return findings;
}

/** A fix line older than every NVD range of its id for its package, with those ranges (`rangesAboveFix`). */
export interface FixBelowRange {
  readonly repo: string;
  readonly package: string;
  readonly version: string;
  readonly id: string;
  readonly ranges: string;
}

/**
 * The fix lines of `secfixes` (package → lines) below NVD's ranges, judged from `prepared`, the
 * CVEs prepared against the branch's mapping index, which holds every CVE that concerns a line's
 * package (a CVE that does not has no range for it): what `BranchQualityCheck` finds of these
 * lines from NVD data over the same index.
 */
export function fixesBelowRange(secfixes: ReadonlyMap<string, readonly SecfixLine[]>, prepared: ReadonlyMap<string, PreparedCve>): FixBelowRange[] {
  const below: FixBelowRange[] = [];
  for (const [pkg, lines] of secfixes) {
    for (const { repo, version, id } of lines) {
      const cve = prepared.get(id);
      if (cve === undefined || isNotAffectedLine({ version })) continue;
      const ranges = rangesAboveFix(cve, pkg, version);
      if (ranges !== undefined) below.push({ repo, package: pkg, version, id, ranges });
    }
  }
  return below;
}

/**
 * Every fix line of a branch already judged against NVD (`fixesBelowRange`, as a full update's
 * rounds do), over `universe`, the packages of the mapping index the CVEs were prepared against.
 */
export interface JudgedFixes {
  readonly universe: PackageUniverse;
  readonly below: readonly FixBelowRange[];
}

/** What is stored of one repository of a branch, for `BranchQualityCheck`. */
export interface RepositoryQualityData {
  readonly name: string;
  /** Every origin version any imported index of the repository listed. */
  readonly seen: readonly { readonly origin: string; readonly version: string }[];
  /** The secfixes to check: all of the repository's, or those of the packages rechecked. */
  readonly secfixes: readonly { readonly package: string; readonly version: string; readonly vulnerabilityId: string; readonly note: string | null }[];
  /** Whether the repository has any secfix, when `secfixes` are only some packages'; by default, whether `secfixes` has any. */
  readonly hasSecfixes?: boolean;
  /** The binary packages the repository publishes now. */
  readonly binaries: readonly { readonly binary: string; readonly origin: string }[];
}

export interface BranchQuality {
  readonly findings: QualityFinding[];
  /** Repositories with secfixes but no imported index: nothing to check them against, so they are skipped rather than flooding the report. */
  readonly skipped: string[];
}

/** Identifies a fix line among a branch's: repository, package, fix version, id. */
const fixLineKey = (repo: string, pkg: string, version: string, id: string) => `${repo}\0${pkg}\0${version}\0${id}`;

/** Vulnerability ids in code-point order. */
const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The first position of `lines` (in id order) whose id is not below `id`. */
function firstAtLeast(lines: readonly { readonly vulnerabilityId: string }[], id: string): number {
  let [low, high] = [0, lines.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareIds(lines[middle]!.vulnerabilityId, id) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The quality check of one branch's stored secfixes (see `checkSecfixQuality`), fed NVD data a
 * batch of ids at a time (`addNvd`), in any order, so that no caller need hold every
 * configuration the secfixes name at once; `result` once every id of `ids` was given (an id
 * never given has no NVD data). Between the two it holds only the branch's mapping index and
 * which fix lines name each id: every branch is checked alongside the others. Given `judged` over
 * the universe the check maps against, it takes those judgements and wants no NVD data (`ids`
 * stays empty).
 */
export class BranchQualityCheck {
  /** The vulnerability ids the fix lines to check name. */
  readonly ids = new Set<string>();
  /** The repositories to check: with secfixes and an index. */
  private readonly checked: readonly RepositoryQualityData[];
  private readonly skipped: string[] = [];
  /** Each checked repository's fix lines in id order (references to its rows, which the caller holds anyway). */
  private readonly linesById: readonly (readonly RepositoryQualityData['secfixes'][number][])[];
  private readonly index: MappingIndex | undefined;
  /** `fixLineKey` → `rangesAboveFix`, for the lines whose fix is below NVD's ranges. */
  private readonly belowRange = new Map<string, string>();

  /** `indexOf` gives the branch's mapping index, built by `rules` unless the caller holds it. */
  constructor(
    private readonly branch: string,
    private readonly repositories: readonly RepositoryQualityData[],
    rules: MappingRules,
    { indexOf = (_branch, universe) => buildMappingIndex(universe, rules), judged }: { readonly indexOf?: MappingIndexOf; readonly judged?: JudgedFixes } = {},
  ) {
    const checked: RepositoryQualityData[] = [];
    for (const repository of repositories) {
      if (!(repository.hasSecfixes ?? repository.secfixes.length > 0)) continue;
      if (repository.seen.length === 0) this.skipped.push(repository.name);
      else if (repository.secfixes.length > 0) checked.push(repository);
    }
    this.checked = checked;
    if (checked.length === 0) {
      this.linesById = [];
      return;
    }
    const origins = new Set(repositories.flatMap((repository) => repository.seen.map((row) => row.origin)));
    const binaries = repositories.flatMap((repository) => repository.binaries);
    const universe = packageUniverse([...binaries.map((row) => ({ name: row.binary, origin: row.origin })), ...[...origins].map((origin) => ({ name: origin, origin }))]);
    if (judged !== undefined && sameUniverse(judged.universe, universe)) {
      for (const line of judged.below) this.belowRange.set(fixLineKey(line.repo, line.package, line.version, line.id), line.ranges);
      this.linesById = [];
      return;
    }
    for (const repository of checked) for (const line of repository.secfixes) this.ids.add(line.vulnerabilityId);
    this.linesById = checked.map((repository) => [...repository.secfixes].sort((a, b) => compareIds(a.vulnerabilityId, b.vulnerabilityId)));
    this.index = indexOf(branch, universe);
  }

  /**
   * Judges the fix lines naming the ids of `configurations` (NVD configurations by id) against
   * NVD. `parsedCpes` carries criteria parses across calls: every branch checks the same CVEs.
   * Each call looks at the lines from its least id to its greatest: a caller gives batches of
   * consecutive ids.
   */
  addNvd(configurations: ReadonlyMap<string, readonly NvdConfiguration[]>, parsedCpes?: Map<string, Cpe>): void {
    const { index } = this;
    if (index === undefined || configurations.size === 0) return;
    const ids = [...configurations.keys()].sort(compareIds);
    const [least, greatest] = [ids[0]!, ids[ids.length - 1]!];
    const prepared = new Map<string, PreparedCve>();
    this.checked.forEach((repository, at) => {
      const lines = this.linesById[at]!;
      for (let line = firstAtLeast(lines, least); line < lines.length && compareIds(lines[line]!.vulnerabilityId, greatest) <= 0; line++) {
        const { vulnerabilityId: id, package: pkg, version } = lines[line]!;
        const configuration = configurations.get(id);
        if (configuration === undefined) continue;
        let cve = prepared.get(id);
        if (cve === undefined) {
          // A CVE that does not concern the package has no range for its fix (a tenth of the lines do).
          if (!concernsOrigin(configuration, index, pkg, parsedCpes)) continue;
          prepared.set(id, (cve = prepareCve(configuration, index, parsedCpes)));
        }
        const ranges = rangesAboveFix(cve, pkg, version);
        if (ranges !== undefined) this.belowRange.set(fixLineKey(repository.name, pkg, version, id), ranges);
      }
    });
    // Answers are kept per criterion name: the next batch names mostly others.
    index.answers.clear();
  }

  result(): BranchQuality {
    if (this.checked.length === 0) return { findings: [], skipped: this.skipped };
    const versionsSeen = new Map<string, Set<string>>();
    for (const repository of this.repositories) {
      for (const { origin, version } of repository.seen) versionsSeen.set(origin, (versionsSeen.get(origin) ?? new Set()).add(version));
    }
    const secdb = this.checked.map((repository) => {
      const packages = new Map<string, Map<string, SecfixId[]>>();
      for (const line of repository.secfixes) {
        const versions = packages.get(line.package) ?? new Map<string, SecfixId[]>();
        const entries = versions.get(line.version) ?? [];
        entries.push({ id: line.vulnerabilityId, kind: classifySecfixId(line.vulnerabilityId), ...(line.note === null ? {} : { note: line.note }) });
        versions.set(line.version, entries);
        packages.set(line.package, versions);
      }
      const secfixes = (versions: Map<string, SecfixId[]>) => [...versions].map(([version, ids]) => ({ version, ids }));
      return { repo: repository.name, packages: [...packages].map(([name, versions]): SecdbPackage => ({ name, secfixes: secfixes(versions) })) };
    });
    const findings = checkSecfixQuality({
      branch: this.branch,
      secdb,
      versionsSeen,
      rangesAboveFix: (repo, pkg, version, id) => this.belowRange.get(fixLineKey(repo, pkg, version, id)),
    });
    return { findings, skipped: this.skipped };
  }
}

/** A stored state as `introducedAfterPublishedFindings` reads it. */
export interface StateForQuality {
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly vulnerabilityId: string;
  readonly version: string | null;
  readonly evidence: readonly Evidence[];
}

/**
 * The pairs whose decision a person should confirm, read from their evidence: not affected because
 * NVD's ranges start above the published version, or unknown because NVD and CVE 5 disagree.
 */
export function evidenceNoteFindings(states: readonly StateForQuality[]): QualityFinding[] {
  return states.flatMap((state) =>
    state.evidence.flatMap((evidence): QualityFinding[] => {
      if (evidence.kind !== 'introduced-after-published' && evidence.kind !== 'sources-disagree') return [];
      return [
        {
          kind: evidence.kind,
          branch: state.branch,
          repo: state.repo,
          package: state.package,
          id: state.vulnerabilityId,
          ...(state.version === null ? {} : { version: state.version }),
          detail: evidence.kind === 'introduced-after-published' ? `${evidence.text}; the secfixes line is taken as an upgrade record` : `${evidence.text}; decided unknown`,
        },
      ];
    }),
  );
}
