import { CASE_NAMES, type CaseName, type ExpectedFinding, type ForbiddenFinding, type KitCase, type SkippedCase } from '../formats/conformance-answers.js';
import type { InstalledStanza } from '../formats/installed.js';
import type { ReportedFinding } from '../formats/scanner-output.js';
import { compareVersions, isValidVersion } from '../version/index.js';
import { fixesNewestFirst, isNotAffectedLine } from './fix-rules.js';
import type { FixLine, SecurityData } from './scan-model.js';

/*
 * The scanner conformance kit: which real packages make each test system, what a correct
 * scanner must report for it, and whether a scanner's report passes. Pure, over the tracker's
 * security data of a branch.
 *
 * The answers follow docs/scanners.md:
 * - A package is matched by its origin: every binary package built from it is affected alike.
 * - Per vulnerability, the origin's newest fix in the branch counts; `0` means not affected.
 * - An installed version below the fix must be reported. The fix to advise is the fix version
 *   when the branch publishes it (its newest published version reaches the fix), else none
 *   (null): a fix recorded but not published cannot be installed. A branch whose index the
 *   tracker does not hold (an end-of-life branch no longer synced) counts its fixes as published.
 * - An installed version at or past the fix, and a `0` id, must not be reported.
 * - An end-of-life branch keeps its data: its findings are reported as for any branch.
 *
 * Only origins the data is clear about are chosen: valid versions, no vulnerability the tracker
 * holds open without a fix (whose report depends on the scanner's sources), no rejection, no
 * triage event, no id both fixed and `0`. Among those, the first by name, so the same data gives the same kit.
 */

/** One branch's data for the kit. */
export interface KitBranch {
  /** The tracker's security data of the whole branch. */
  readonly data: SecurityData;
  /** Binary package names the branch publishes now, by origin. */
  readonly binaries: ReadonlyMap<string, readonly string[]>;
  /** The branch's first architecture, for the installed packages; undefined when none is known. */
  readonly arch: string | undefined;
  /** Origins with triage events: left out, since `secfix scan --db` reads the computed states only. */
  readonly triaged: ReadonlySet<string>;
}

export interface KitChoice {
  readonly cases: KitCase[];
  readonly skipped: SkippedCase[];
}

interface OriginFacts {
  readonly origin: string;
  /** Newest fix version per vulnerability id. */
  readonly fixes: ReadonlyMap<string, string>;
  readonly notAffected: readonly string[];
  /** The newest version the branch publishes; undefined when the branch has no index. */
  readonly published: string | undefined;
  readonly binaries: readonly string[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The branch other than `scanned` whose support ended first, by the dates the data records. */
export function chooseEndOfLifeBranch(branches: readonly { readonly name: string; readonly endOfSupport: string | null }[], scanned: string): string | undefined {
  return branches
    .filter((branch) => branch.name !== scanned && branch.endOfSupport !== null)
    .sort((a, b) => byName(a.endOfSupport ?? '', b.endOfSupport ?? '') || byName(a.name, b.name))[0]?.name;
}

function hasIndex(branch: KitBranch): boolean {
  return (branch.data.published?.size ?? 0) > 0;
}

/** The origin's facts, or undefined when the data is not clear enough about it to make a test of. */
function originFacts(branch: KitBranch, origin: string, lines: readonly FixLine[]): OriginFacts | undefined {
  const { data } = branch;
  if (branch.triaged.has(origin) || (data.open?.get(origin)?.length ?? 0) > 0 || (data.rejected?.get(origin)?.size ?? 0) > 0) return undefined;
  const published = data.published?.get(origin);
  const binaries = hasIndex(branch) ? branch.binaries.get(origin) : [origin];
  if (binaries === undefined || binaries.length === 0 || (hasIndex(branch) && (published === undefined || !isValidVersion(published)))) return undefined;
  const notAffected = new Set<string>();
  const fixLines = new Map<string, FixLine[]>();
  for (const line of lines) {
    if (isNotAffectedLine(line)) notAffected.add(line.id);
    else if (!isValidVersion(line.version)) return undefined;
    else fixLines.set(line.id, [...(fixLines.get(line.id) ?? []), line]);
  }
  if ([...notAffected].some((id) => fixLines.has(id))) return undefined;
  const fixes = new Map([...fixLines].map(([id, idLines]) => [id, fixesNewestFirst(idLines)[0]!.version]));
  return { origin, fixes, notAffected: [...notAffected].sort(byName), published, binaries: [...binaries].sort(byName) };
}

function eligibleOrigins(branch: KitBranch): OriginFacts[] {
  return [...branch.data.fixes]
    .sort(([a], [b]) => byName(a, b))
    .flatMap(([origin, lines]) => originFacts(branch, origin, lines) ?? []);
}

function newestFix(facts: OriginFacts): string | undefined {
  return [...facts.fixes.values()].reduce<string | undefined>((newest, version) => (newest === undefined || compareVersions(version, newest) > 0 ? version : newest), undefined);
}

function reachesFix(facts: OriginFacts, fix: string): boolean {
  return facts.published === undefined || compareVersions(facts.published, fix) >= 0;
}

/** One release below `version` (`1.2-r3` → `1.2-r2`); undefined for `-r0`, which has none. */
function releaseBelow(version: string): string | undefined {
  const match = /^(.*)-r(\d+)$/.exec(version);
  if (match?.[1] === undefined || match[2] === undefined || match[2] === '0') return undefined;
  return `${match[1]}-r${Number(match[2]) - 1}`;
}

/** The binary package to install alone: the one named as the origin, else the first. */
function mainBinary(facts: OriginFacts): string[] {
  return [facts.binaries.includes(facts.origin) ? facts.origin : facts.binaries[0]!];
}

/** What a correct scanner must and must not report for these binaries of one origin at `version`. */
function answersFor(facts: OriginFacts, version: string, binaries: readonly string[]): Pick<KitCase, 'mustReport' | 'mustNotReport'> {
  const mustReport: ExpectedFinding[] = [];
  const mustNotReport: ForbiddenFinding[] = [];
  for (const [id, fix] of [...facts.fixes].sort(([a], [b]) => byName(a, b))) {
    for (const name of binaries) {
      if (compareVersions(version, fix) < 0) mustReport.push({ package: name, installedVersion: version, vulnerability: id, fixedVersion: reachesFix(facts, fix) ? fix : null });
      else mustNotReport.push({ package: name, vulnerability: id, reason: `${version} reaches the fix ${fix}` });
    }
  }
  for (const id of facts.notAffected) {
    for (const name of binaries) mustNotReport.push({ package: name, vulnerability: id, reason: `the branch records ${facts.origin} as not affected ("0")` });
  }
  return { mustReport, mustNotReport };
}

/**
 * The version `etc/alpine-release` states: the branch's published alpine-base without its
 * `-rN`, else the branch's first release; `edge` without alpine-base gets a snapshot version,
 * the form its releases take.
 */
function releaseOf(branch: KitBranch): string {
  const base = branch.data.published?.get('alpine-base')?.replace(/-r\d+$/, '');
  const name = branch.data.branch;
  if (base !== undefined && (name === 'edge' ? /_[a-z]/.test(base) : base === name || base.startsWith(`${name}.`))) return base;
  return name === 'edge' ? '0.0_alpha0' : `${name}.0`;
}

interface CasePick {
  readonly facts: OriginFacts;
  readonly version: string;
  readonly binaries: readonly string[];
}

type Chooser = (facts: OriginFacts) => CasePick | undefined;

/** Installed one release below the origin's newest fix, which the branch publishes. */
function belowPublishedFix(binaries: (facts: OriginFacts) => readonly string[] | undefined): Chooser {
  return (facts) => {
    const fix = newestFix(facts);
    const version = fix === undefined ? undefined : releaseBelow(fix);
    const installed = binaries(facts);
    if (fix === undefined || version === undefined || !isValidVersion(version) || !reachesFix(facts, fix) || installed === undefined) return undefined;
    return { facts, version, binaries: installed };
  };
}

interface CaseRule {
  readonly chooser: Chooser;
  readonly describe: (pick: CasePick) => string;
  /** Why the case is skipped when no origin fits. */
  readonly none: string;
}

/** The cases of the scanned branch, in the kit's order; the end-of-life case reuses `unfixed`. */
const CASE_RULES: Readonly<Record<Exclude<CaseName, 'end-of-life'>, CaseRule>> = {
  fixed: {
    chooser: (facts) => {
      const fix = newestFix(facts);
      return fix !== undefined && reachesFix(facts, fix) ? { facts, version: fix, binaries: mainBinary(facts) } : undefined;
    },
    describe: ({ facts, version }) => `${facts.origin} installed at its newest fix ${version}: every recorded fix is reached, nothing to report`,
    none: 'no origin has a published fix',
  },
  unfixed: {
    chooser: belowPublishedFix(mainBinary),
    describe: ({ facts, version }) => `${facts.origin} installed at ${version}, one release below its newest fix: report each id fixed above it, with its fix`,
    none: 'no origin has a published fix with a release (-rN, N > 0) below it',
  },
  subpackages: {
    chooser: belowPublishedFix((facts) => {
      const others = facts.binaries.filter((name) => name !== facts.origin);
      return others.length >= 2 ? others.slice(0, 3) : undefined;
    }),
    describe: ({ facts, binaries }) => `${binaries.join(', ')}, built from ${facts.origin}, none named like it: each binary is matched by its origin and reported`,
    none: 'no origin with two binary packages named otherwise has a published fix with a release below it',
  },
  'not-affected': {
    chooser: (facts) => {
      if (facts.notAffected.length === 0 || facts.published === undefined) return undefined;
      const published = facts.published;
      return [...facts.fixes.values()].every((fix) => compareVersions(published, fix) >= 0) ? { facts, version: published, binaries: mainBinary(facts) } : undefined;
    },
    describe: ({ facts }) => `${facts.origin} lists ${facts.notAffected.join(', ')} under "0": not affected at any version, never reported`,
    none: 'no published origin lists an id under "0"',
  },
  'fix-not-published': {
    chooser: (facts) => {
      const published = facts.published;
      if (published === undefined || ![...facts.fixes.values()].some((fix) => compareVersions(published, fix) < 0)) return undefined;
      return { facts, version: published, binaries: mainBinary(facts) };
    },
    describe: ({ facts, version }) =>
      `${facts.origin} installed at ${version}, the newest the branch publishes, below a recorded fix the index does not carry yet: report it with no fix to install (null)`,
    none: 'no origin has a recorded fix newer than its published version',
  },
};

function kitCase(name: CaseName, branch: KitBranch, pick: CasePick, description: string): KitCase {
  const packages: InstalledStanza[] = pick.binaries.map((binary) => ({
    name: binary,
    version: pick.version,
    origin: pick.facts.origin,
    ...(branch.arch === undefined ? {} : { arch: branch.arch }),
  }));
  return { name, description, branch: branch.data.branch, release: releaseOf(branch), packages, ...answersFor(pick.facts, pick.version, pick.binaries) };
}

/**
 * The kit's cases from the scanned branch's data and, for the end-of-life case, the data of
 * the branch `chooseEndOfLifeBranch` named (undefined when none has an end of support).
 * Each case uses another origin where the data allows; a case the data has no example of is
 * skipped with the reason.
 */
export function chooseKitCases(scanned: KitBranch, endOfLife: KitBranch | undefined): KitChoice {
  const origins = eligibleOrigins(scanned);
  const used = new Set<string>();
  const cases: KitCase[] = [];
  const skipped: SkippedCase[] = [];
  for (const name of CASE_NAMES) {
    if (name === 'end-of-life') continue;
    const { chooser, describe, none } = CASE_RULES[name];
    const picks = origins.flatMap((facts) => chooser(facts) ?? []);
    const pick = picks.find((candidate) => !used.has(candidate.facts.origin)) ?? picks[0];
    if (pick === undefined) {
      skipped.push({ name, reason: `${scanned.data.branch}: ${none}` });
      continue;
    }
    used.add(pick.facts.origin);
    cases.push(kitCase(name, scanned, pick, describe(pick)));
  }
  const endOfLifePick = endOfLife === undefined ? undefined : eligibleOrigins(endOfLife).flatMap((facts) => CASE_RULES.unfixed.chooser(facts) ?? [])[0];
  if (endOfLife === undefined || endOfLifePick === undefined) {
    skipped.push({ name: 'end-of-life', reason: endOfLife === undefined ? 'no other branch has an end of support recorded' : `${endOfLife.data.branch}: ${CASE_RULES.unfixed.none}` });
  } else {
    const ended = endOfLife.data.endOfSupport?.slice(0, 10) ?? '';
    const description = `${endOfLife.data.branch}, supported until ${ended}: ${CASE_RULES.unfixed.describe(endOfLifePick)}; the branch's data still holds`;
    cases.push(kitCase('end-of-life', endOfLife, endOfLifePick, description));
  }
  return { cases, skipped };
}

/** How a scanner's report of one case compares with the answers. */
export interface CaseVerdict {
  readonly passed: boolean;
  /** Required findings the scanner did not report. */
  readonly missing: readonly ExpectedFinding[];
  /** Required findings reported with another installed or fixed version. */
  readonly wrong: readonly { readonly expected: ExpectedFinding; readonly reported: ReportedFinding }[];
  /** Reported findings the answers forbid. */
  readonly forbidden: readonly ReportedFinding[];
}

const findingKey = (finding: { readonly package: string; readonly vulnerability: string }) => `${finding.package}\u0000${finding.vulnerability}`;

/** Judges a scanner's findings for one case: every required one exactly, none forbidden; others are not judged. */
export function judgeCase(kitCase: Pick<KitCase, 'mustReport' | 'mustNotReport'>, reported: readonly ReportedFinding[]): CaseVerdict {
  const reportedByKey = new Map<string, ReportedFinding[]>();
  for (const finding of reported) reportedByKey.set(findingKey(finding), [...(reportedByKey.get(findingKey(finding)) ?? []), finding]);
  const missing: ExpectedFinding[] = [];
  const wrong: { expected: ExpectedFinding; reported: ReportedFinding }[] = [];
  for (const expected of kitCase.mustReport) {
    const candidates = reportedByKey.get(findingKey(expected)) ?? [];
    const exact = candidates.some((candidate) => candidate.installedVersion === expected.installedVersion && candidate.fixedVersion === expected.fixedVersion);
    if (exact) continue;
    if (candidates[0] === undefined) missing.push(expected);
    else wrong.push({ expected, reported: candidates[0] });
  }
  const forbiddenKeys = new Set(kitCase.mustNotReport.map(findingKey));
  const forbidden = reported.filter((finding) => forbiddenKeys.has(findingKey(finding)));
  return { passed: missing.length === 0 && wrong.length === 0 && forbidden.length === 0, missing, wrong, forbidden };
}
