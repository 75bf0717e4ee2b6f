import { parseCpe } from '../formats/cpe.js';
import type { Cpe } from '../formats/cpe.js';
import type { NvdConfiguration, NvdCpeMatch, NvdOperator } from '../formats/nvd.js';
import type { VersionConstraint } from '../formats/version-line.js';
import { compareVersions } from '../version/index.js';
import { criterionNameOf, isForeignPlatform, mapCriterionToPackages } from './cpe-mapping.js';
import type { MappingIndex, PackageMatch } from './cpe-mapping.js';
import type { CriterionBounds, CriterionEvidence, CriterionOutcome, ForeignPlatformEvidence, MatchRule, NvdOutcome } from '../base/states.js';
import { compareUpstream, cpeVersionText, normalizeNvdVersion, upstreamVersion } from './upstream-version.js';

/**
 * Evaluates a CVE's NVD configurations for one package. Each match is true, false or unknown
 * for the package's version; nodes and configurations combine them with AND/OR and negate.
 * A match that does not concern the package (another product, or a `vulnerable: false`
 * platform) is context we cannot check, so it never decides: it takes the value that leaves
 * its operator's result to the other operands. A node or configuration made only of context
 * does the same one level up, so an AND with "running on Linux" reduces to the package's own
 * criteria. A platform the configuration lists as foreign (macOS, Windows, hardware) is the
 * exception: it does not hold on an apk distribution, so an AND that needs it does not apply,
 * unless another platform of the same OR holds.
 */

/** A match with its CPE parsed and mapped once, so many packages can be evaluated against it. */
export interface PreparedMatch {
  readonly match: NvdCpeMatch;
  readonly cpe: Cpe;
  readonly bounds: CriterionBounds;
  /** Origin → the rule that mapped it; empty for `vulnerable: false` matches. */
  readonly packages: ReadonlyMap<string, MatchRule>;
  /** A `vulnerable: false` platform that an apk distribution is not (see `isForeignPlatform`). */
  readonly foreign: boolean;
}

export interface PreparedNode {
  readonly operator: NvdOperator;
  readonly negate: boolean;
  readonly matches: readonly PreparedMatch[];
}

export interface PreparedConfiguration {
  readonly operator: NvdOperator;
  readonly negate: boolean;
  readonly nodes: readonly PreparedNode[];
}

export interface PreparedCve {
  readonly configurations: readonly PreparedConfiguration[];
  /** Every origin a vulnerable match maps to: the packages this CVE concerns. */
  readonly origins: ReadonlySet<string>;
}

/** What NVD says about one package version, with every criterion that concerned it. */
export interface NvdEvaluation {
  readonly outcome: NvdOutcome;
  readonly criteria: readonly CriterionEvidence[];
  /** Foreign platforms that kept a configuration concerning the package from applying. */
  readonly platforms: readonly ForeignPlatformEvidence[];
}

/** Three-valued truth; `undefined` is unknown. */
type Truth = boolean | undefined;

/** A match or node outside the package: it leaves the decision to its siblings. */
const CONTEXT = 'context';
/** A platform that does not hold here: false in an AND, outweighed by a holding platform in an OR. */
const FOREIGN = 'foreign';
type Value = Truth | typeof CONTEXT | typeof FOREIGN;

const NO_PACKAGES: ReadonlyMap<string, MatchRule> = new Map();

/** A criterion's CPE, parsed once per `parsedCpes` (criteria were checked when the NVD record was read, so this parse cannot fail on them). */
function parsedCriterion(criteria: string, parsedCpes: Map<string, Cpe> | undefined): Cpe {
  let cpe = parsedCpes?.get(criteria);
  if (cpe === undefined) {
    cpe = parseCpe(criteria, 'NVD criterion');
    parsedCpes?.set(criteria, cpe);
  }
  return cpe;
}

/** The packages a vulnerable match's name maps to, before their version lines are looked at. */
function mappedPackages(match: NvdCpeMatch, cpe: Cpe, index: MappingIndex): readonly PackageMatch[] {
  const name = match.vulnerable ? criterionNameOf(cpe) : undefined;
  return name === undefined ? [] : mapCriterionToPackages(name, index);
}

/** Whether a mapped package keeps the criterion: a rule's version lines, when it has any, take in its bounds. */
const keepsCriterion = ({ lines }: PackageMatch, bounds: CriterionBounds) => lines === undefined || lines.some((line) => isInVersionLine(bounds, line));

/**
 * Parses and maps every criterion of a CVE once. `parsedCpes` may carry parses across calls: the
 * same CVE is prepared once per branch, and NVD repeats criteria across CVEs.
 */
export function prepareCve(configurations: readonly NvdConfiguration[], index: MappingIndex, parsedCpes?: Map<string, Cpe>): PreparedCve {
  const origins = new Set<string>();
  const prepared = configurations.map((configuration) => ({
    operator: configuration.operator,
    negate: configuration.negate,
    nodes: configuration.nodes.map((node) => ({
      operator: node.operator,
      negate: node.negate,
      matches: node.matches.map((match): PreparedMatch => {
        const cpe = parsedCriterion(match.criteria, parsedCpes);
        const bounds = boundsOf(match, cpe);
        // Most criteria of a CVE name other products: they share one empty map.
        let packages: ReadonlyMap<string, MatchRule> = NO_PACKAGES;
        for (const mapped of mappedPackages(match, cpe, index)) {
          if (!keepsCriterion(mapped, bounds)) continue;
          origins.add(mapped.origin);
          if (packages === NO_PACKAGES) packages = new Map();
          (packages as Map<string, MatchRule>).set(mapped.origin, mapped.rule);
        }
        return { match, cpe, bounds, packages, foreign: !match.vulnerable && isForeignPlatform(cpe, index) };
      }),
    })),
  }));
  return { configurations: prepared, origins };
}

/**
 * Whether `prepareCve` of these configurations would find that they concern `origin` (its
 * `origins` has it), without preparing them: a caller with one package in mind skips the CVEs
 * that name others.
 */
export function concernsOrigin(configurations: readonly NvdConfiguration[], index: MappingIndex, origin: string, parsedCpes?: Map<string, Cpe>): boolean {
  for (const configuration of configurations) {
    for (const node of configuration.nodes) {
      for (const match of node.matches) {
        if (!match.vulnerable) continue;
        const cpe = parsedCriterion(match.criteria, parsedCpes);
        for (const mapped of mappedPackages(match, cpe, index)) {
          if (mapped.origin === origin && keepsCriterion(mapped, boundsOf(match, cpe))) return true;
        }
      }
    }
  }
  return false;
}

const HOLDS: Readonly<Record<VersionConstraint['operator'], (order: number) => boolean>> = {
  '<': (order) => order < 0,
  '<=': (order) => order <= 0,
  '>': (order) => order > 0,
  '>=': (order) => order >= 0,
  '=': (order) => order === 0,
};

/**
 * Whether a criterion belongs to a rule's version line: it names no version (every version), or
 * one of the versions it names (bounds, or its exact version) satisfies the line, or one cannot
 * be read (no miss on a guess). `mit:kerberos < 4.0` names only 4.0, Kerberos 4's numbering,
 * which a line `<4` for krb5's 1.x releases leaves out; a range across lines stays in.
 */
export function isInVersionLine(bounds: CriterionBounds, line: readonly VersionConstraint[]): boolean {
  const { startIncluding, startExcluding, endIncluding, endExcluding, exact, update } = bounds;
  const named = [startIncluding, startExcluding, endIncluding, endExcluding, exact === undefined ? undefined : cpeVersionText(exact, update)];
  const versions = named.filter((version): version is string => version !== undefined);
  if (versions.length === 0) return true;
  return versions.some((version) => {
    const normalized = normalizeNvdVersion(version);
    return normalized === undefined || line.every(({ operator, version: limit }) => HOLDS[operator](compareVersions(normalized, limit)));
  });
}

/** Assigned one by one rather than spread: every criterion of every candidate CVE has its bounds made once per branch. */
function boundsOf(match: NvdCpeMatch, cpe: Cpe): CriterionBounds {
  const { version, update } = cpe;
  const bounds: { -readonly [K in keyof CriterionBounds]: CriterionBounds[K] } = {};
  if (match.versionStartIncluding !== undefined) bounds.startIncluding = match.versionStartIncluding;
  if (match.versionStartExcluding !== undefined) bounds.startExcluding = match.versionStartExcluding;
  if (match.versionEndIncluding !== undefined) bounds.endIncluding = match.versionEndIncluding;
  if (match.versionEndExcluding !== undefined) bounds.endExcluding = match.versionEndExcluding;
  if (version.kind === 'literal') {
    bounds.exact = version.text;
    if (update.kind === 'literal') bounds.update = update.text;
  }
  return bounds;
}

/** `upstream` against one bound: true or false for the stated relation, undefined if incomparable. */
function relation(upstream: string | undefined, bound: string | undefined, holds: (order: number) => boolean): Truth {
  if (bound === undefined) return false;
  const order = upstream === undefined ? undefined : compareUpstream(upstream, bound);
  return order === undefined ? undefined : holds(order);
}

/** Where `upstream` stands against a criterion's bounds (none at all: every version). */
export function rangeOutcome(bounds: CriterionBounds, upstream: string | undefined): CriterionOutcome {
  const below = [
    relation(upstream, bounds.startIncluding, (order) => order < 0),
    relation(upstream, bounds.startExcluding, (order) => order <= 0),
  ];
  const past = [
    relation(upstream, bounds.endIncluding, (order) => order > 0),
    relation(upstream, bounds.endExcluding, (order) => order >= 0),
  ];
  // One bound that clearly excludes the version settles it, whatever the other bound says.
  if (below.includes(true)) return 'before-range';
  if (past.includes(true)) return 'after-range';
  return [...below, ...past].includes(undefined) ? 'unknown' : 'affected';
}

function exactOutcome(cpe: Cpe, upstream: string | undefined): CriterionOutcome {
  const { version, update } = cpe;
  if (version.kind !== 'literal' || version.leadingWildcard !== '' || version.trailingWildcard !== '') return 'unknown';
  if (update.kind === 'literal' && (update.leadingWildcard !== '' || update.trailingWildcard !== '')) return 'unknown';
  if (upstream === undefined) return 'unknown';
  // With update ANY the CPE covers every update of that release, which apk spells `_p1`, `_rc2`, ….
  const release = normalizeNvdVersion(version.text);
  if (update.kind === 'any' && release !== undefined && upstream.startsWith(`${release}_`)) return 'affected';
  const order = compareUpstream(upstream, cpeVersionText(version.text, update.kind === 'literal' ? update.text : undefined));
  if (order === undefined) return 'unknown';
  return order === 0 ? 'affected' : order < 0 ? 'before-range' : 'after-range';
}

/**
 * One criterion against the package's upstream version. ANY with no bounds is every version,
 * whatever the package's version; NA (`-`) names no version we could compare.
 */
function criterionOutcome({ cpe, bounds }: PreparedMatch, upstream: string | undefined): CriterionOutcome {
  if (cpe.version.kind === 'literal') return exactOutcome(cpe, upstream);
  if (cpe.version.kind === 'na') return 'unknown';
  const hasBounds = bounds.startIncluding ?? bounds.startExcluding ?? bounds.endIncluding ?? bounds.endExcluding;
  return hasBounds === undefined ? 'affected' : rangeOutcome(bounds, upstream);
}

/**
 * NVD often names only the release a bug was reported against (CVE-2023-42363: busybox 1.36.1,
 * yet Alpine fixed it in 1.35.0-r31), so being older than an exact version does not show a
 * package unaffected: that criterion counts as unknown, never as a no.
 */
function truthOf(outcome: CriterionOutcome, bounds: CriterionBounds): Truth {
  if (outcome === 'affected') return true;
  if (outcome === 'unknown' || (outcome === 'before-range' && bounds.exact !== undefined)) return undefined;
  return false;
}

/**
 * AND/OR over three-valued operands, skipping context; all context stays context. A foreign
 * platform is false in an AND; in an OR it counts only when no other platform holds.
 */
function combine(operator: NvdOperator, negate: boolean, values: readonly Value[]): Value {
  const decisive = values.filter((value): value is Truth => value !== CONTEXT && value !== FOREIGN);
  const foreign = values.includes(FOREIGN) && (operator === 'AND' || !values.includes(CONTEXT));
  if (decisive.length === 0 && !foreign) return CONTEXT;
  if (decisive.length === 0) return negate ? CONTEXT : FOREIGN;
  if (foreign) decisive.push(false);
  const dominant = operator === 'OR';
  const result: Truth = decisive.includes(dominant) ? dominant : decisive.includes(undefined) ? undefined : !dominant;
  return negate && result !== undefined ? !result : result;
}

function configurationOutcome(result: Value, criteria: readonly CriterionEvidence[]): NvdOutcome {
  if (result === true) return 'affected';
  if (result === undefined) return 'unknown';
  return criteria.every((criterion) => criterion.outcome === 'after-range') ? 'fixed-upstream' : 'not-affected';
}

/** Strongest first: one affected configuration makes the CVE apply. */
const OUTCOME_PRECEDENCE: readonly NvdOutcome[] = ['affected', 'unknown', 'fixed-upstream', 'not-affected'];

/**
 * What the CVE's configurations say about `origin` at `version` (full apk version, or undefined
 * when the repo publishes none). Undefined when no configuration concerns the package.
 */
export function evaluateCve(cve: PreparedCve, origin: string, version: string | undefined): NvdEvaluation | undefined {
  if (!cve.origins.has(origin)) return undefined;
  const upstream = version === undefined ? undefined : upstreamVersion(version);
  const outcomes: NvdOutcome[] = [];
  const allCriteria: CriterionEvidence[] = [];
  const platforms: ForeignPlatformEvidence[] = [];
  cve.configurations.forEach((configuration, cveConfigurationIndex) => {
    const criteria: CriterionEvidence[] = [];
    const foreign: ForeignPlatformEvidence[] = [];
    const nodeValues = configuration.nodes.map((node) =>
      combine(
        node.operator,
        node.negate,
        node.matches.map((prepared): Value => {
          const rule = prepared.packages.get(origin);
          if (rule === undefined) {
            if (!prepared.foreign) return CONTEXT;
            foreign.push({ kind: 'foreign-platform', cveConfigurationIndex, criteria: prepared.match.criteria });
            return FOREIGN;
          }
          const outcome = criterionOutcome(prepared, upstream);
          criteria.push({
            kind: 'criterion',
            cveConfigurationIndex,
            criteria: prepared.match.criteria,
            bounds: prepared.bounds,
            rule,
            comparedVersion: upstream ?? null,
            outcome,
          });
          return truthOf(outcome, prepared.bounds);
        }),
      ),
    );
    const result = combine(configuration.operator, configuration.negate, nodeValues);
    // A configuration of platforms alone, foreign or not, says nothing about the package.
    if (result === CONTEXT || result === FOREIGN || criteria.length === 0) return;
    outcomes.push(configurationOutcome(result, criteria));
    allCriteria.push(...criteria);
    if (result === false) platforms.push(...foreign);
  });
  const outcome = OUTCOME_PRECEDENCE.find((candidate) => outcomes.includes(candidate)) ?? 'not-affected';
  return { outcome, criteria: allCriteria, platforms };
}
