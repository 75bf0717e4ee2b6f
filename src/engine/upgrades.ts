import type { ApkPackage } from '../formats/apkindex.js';
import { compareVersions, isValidVersion } from '../version/index.js';
import { builtInEndOfSupport, isBranchSupported } from './end-of-support.js';
import { fixesNewestFirst, isNotAffectedLine, rejectionWins } from './fix-rules.js';
import { FINDING_KINDS, type Finding, type FindingVulnerability, type FixLine, type InstalledRef, type ScanWarning, type SecurityData } from './scan-model.js';

/*
 * Decides what an installed system needs from its packages and one branch's security data.
 * Pure: the same inputs give the same findings, in the same order.
 *
 * Rules, per origin (source package) at one installed version:
 * - Only the origin's own secfixes in the scanned branch count; `0` lines never make a finding.
 * - For each id, the newest fix version listed counts (a regression re-fix lists it again).
 * - An id whose newest fix is above the installed version (apk order, `-rN` included) needs
 *   that fix. With a known index it is an `upgrade` when the newest published version reaches
 *   the fix (target: that newest version), else `fix-not-published` (target: the fix). Without
 *   an index, or when the index does not carry the origin, it is an `upgrade` to the fix.
 * - The tracker's open vulnerabilities (vulnerable, no fix) are `unfixed`; its rejections
 *   remove an id from every finding.
 * - An id the data holds not affected for the origin (a decided or triaged `not-affected`, or
 *   a secdb `0` line) makes no finding, even when a later fix line lists it: such a line
 *   records an upgrade, not that the installed version was affected.
 */

export type ScannedPackage = Pick<ApkPackage, 'name' | 'version' | 'origin' | 'arch' | 'line'>;

export interface AdviseInput {
  readonly packages: readonly ScannedPackage[];
  readonly data: SecurityData;
  /** Newest published version by origin, from index files; overrides the tracker's. */
  readonly published?: ReadonlyMap<string, string>;
  /** Today as `YYYY-MM-DD`, for the end-of-support warning. */
  readonly today: string;
}

export interface Advice {
  readonly findings: Finding[];
  readonly warnings: ScanWarning[];
}

interface OriginGroup {
  readonly origin: string;
  readonly version: string;
  readonly packages: InstalledRef[];
}

const byId = (a: FindingVulnerability, b: FindingVulnerability) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function newestOf(versions: readonly string[]): string | undefined {
  return versions.reduce<string | undefined>((newest, version) => (newest === undefined || compareVersions(version, newest) > 0 ? version : newest), undefined);
}

/** Installed packages grouped by origin and version; packages no version can be judged for are warned about. */
function groupPackages(packages: readonly ScannedPackage[], warnings: ScanWarning[]): OriginGroup[] {
  const groups = new Map<string, OriginGroup>();
  for (const pkg of packages) {
    if (pkg.version === undefined) {
      warnings.push({ code: 'package-without-version', message: `package ${pkg.name} (line ${pkg.line}) has no version: not checked` });
      continue;
    }
    if (!isValidVersion(pkg.version)) {
      warnings.push({ code: 'invalid-version', message: `package ${pkg.name} (line ${pkg.line}) has the invalid version ${JSON.stringify(pkg.version)}: not checked` });
      continue;
    }
    const key = `${pkg.origin}\u0000${pkg.version}`;
    const group = groups.get(key) ?? { origin: pkg.origin, version: pkg.version, packages: [] };
    group.packages.push({ name: pkg.name, arch: pkg.arch, line: pkg.line });
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** The newest valid fix version of each id of an origin; invalid keys are warned about once. */
function newestFixes(origin: string, data: SecurityData, warned: Set<string>, warnings: ScanWarning[]): Map<string, string> {
  const linesById = new Map<string, FixLine[]>();
  for (const line of data.fixes.get(origin) ?? []) {
    if (isNotAffectedLine(line)) continue;
    if (!isValidVersion(line.version)) {
      const key = `${origin}\u0000${line.version}`;
      if (!warned.has(key)) {
        warned.add(key);
        warnings.push({ code: 'invalid-version', message: `${data.branch}/${line.repo} secfixes of ${origin} list the invalid version ${JSON.stringify(line.version)}: ignored` });
      }
      continue;
    }
    const lines = linesById.get(line.id);
    if (lines === undefined) linesById.set(line.id, [line]);
    else lines.push(line);
  }
  return new Map([...linesById].map(([id, lines]) => [id, fixesNewestFirst(lines)[0]!.version]));
}

function adviseGroup(group: OriginGroup, input: AdviseInput, warned: Set<string>, warnings: ScanWarning[]): Finding[] {
  const { data } = input;
  const rejectedIds = data.rejected?.get(group.origin);
  // The tracker's data keeps only the ids of an origin's rejections.
  const rejectionsOf = (id: string) => (rejectedIds?.has(id) === true ? [id] : []);
  const notAffected = data.notAffected?.get(group.origin);
  const excluded = (id: string) => rejectionWins(rejectionsOf(id)) || notAffected?.has(id) === true;
  const newestPublished = (input.published ?? data.published)?.get(group.origin);
  const upgrade: FindingVulnerability[] = [];
  const waiting: FindingVulnerability[] = [];
  for (const [id, fixedVersion] of newestFixes(group.origin, data, warned, warnings)) {
    if (excluded(id) || compareVersions(group.version, fixedVersion) >= 0) continue;
    const published = newestPublished === undefined || compareVersions(newestPublished, fixedVersion) >= 0;
    (published ? upgrade : waiting).push({ id, fixedVersion });
  }
  const needingFix = new Set([...upgrade, ...waiting].map((vulnerability) => vulnerability.id));
  const unfixed = (data.open?.get(group.origin) ?? [])
    .filter((open) => !needingFix.has(open.id) && !excluded(open.id))
    .map((open): FindingVulnerability => ({ id: open.id, state: open.state }));

  const finding = (kind: Finding['kind'], vulnerabilities: FindingVulnerability[], targetVersion: string | undefined): Finding => ({
    kind,
    origin: group.origin,
    installedVersion: group.version,
    packages: group.packages,
    targetVersion,
    newestPublished,
    vulnerabilities: vulnerabilities.sort(byId),
  });
  const fixVersions = (list: readonly FindingVulnerability[]) => list.flatMap((vulnerability) => vulnerability.fixedVersion ?? []);
  const findings: Finding[] = [];
  if (upgrade.length > 0) findings.push(finding('upgrade', upgrade, newestPublished ?? newestOf(fixVersions(upgrade))));
  if (waiting.length > 0) findings.push(finding('fix-not-published', waiting, newestOf(fixVersions(waiting))));
  if (unfixed.length > 0) findings.push(finding('unfixed', unfixed, undefined));
  return findings;
}

/** The findings for every installed package, ordered by origin, installed version and kind. */
export function advise(input: AdviseInput): Advice {
  const warnings: ScanWarning[] = [];
  const warned = new Set<string>();
  const findings = groupPackages(input.packages, warnings).flatMap((group) => adviseGroup(group, input, warned, warnings));
  findings.sort(
    (a, b) =>
      (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0) ||
      compareVersions(a.installedVersion, b.installedVersion) ||
      FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind),
  );
  const branch = input.data.branch;
  // Secdb files carry no date: only then does the built-in table speak.
  const endOfSupport = input.data.endOfSupport ?? (input.data.kind === 'secdb' ? builtInEndOfSupport(branch) : undefined);
  if (endOfSupport !== undefined && !isBranchSupported(endOfSupport, input.today)) {
    warnings.push({
      code: 'end-of-support',
      message: `branch ${branch} reached its end of support on ${endOfSupport.slice(0, 10)}: it no longer gets security fixes; upgrade to a supported release`,
    });
  }
  return { findings, warnings };
}
