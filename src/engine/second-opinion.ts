import { type Cpe, parseCpe } from '../formats/cpe.js';
import type { Cve5Affected, Cve5Status, Cve5Version } from '../formats/cve5.js';
import type { CriterionBounds, Evidence } from '../base/states.js';
import { describeBounds } from './bounds-text.js';
import { type NvdEvaluation, isInVersionLine, rangeOutcome } from './configuration.js';
import { type CriterionName, type MappingIndex, criterionNameOf, mapCriterionToPackages } from './cpe-mapping.js';
import { compareUpstream, upstreamVersion } from './upstream-version.js';

/**
 * A second opinion on NVD's ranges: the `affected` data of CVE 5 records (the CNA's, or CISA's
 * ADP container in vulnrichment records), read for the same package as NVD's configuration.
 * Where the two disagree about the published version (one says affected, the other not),
 * decide.ts makes the pair `unknown` with both sides in the evidence. Where CVE 5 says nothing
 * clear (no entry maps to the package, versions of a type apk cannot order, entries that
 * contradict each other, no status for the version), NVD decides alone, as without CVE 5 data.
 *
 * Entries map to packages by the CPE mapping rules: through their CPEs when they list any (CISA's
 * ADP adds them), else through vendor and product spelled as CPE names are (lower case, `_` for
 * spaces, `n/a` as any vendor). `packageName` is not used: Red Hat's records name their own
 * builds there (`postgresql:15` under "Red Hat Enterprise Linux 8"), whose status says nothing
 * about upstream releases.
 */

/**
 * Version types whose versions are upstream release numbers apk's rules can order, as NVD's are:
 * `semver`, and `custom`, which OpenSSL uses for `1.1.1u`. Others (`git`, `rpm`, `maven`, ...)
 * name commits or other schemes, so their entries give no opinion.
 */
const COMPARABLE_VERSION_TYPES: ReadonlySet<string | undefined> = new Set([undefined, 'semver', 'custom']);

/** `version` values that name no lower bound. */
const OPEN_START = new Set(['0', '*']);

/** The versions a CVE 5 version entry covers: from `version` (unless `0` or `*`) to `lessThan` or `lessThanOrEqual` (`*`: no end), or that one version. */
function cve5VersionBounds(version: Cve5Version): CriterionBounds {
  const start: CriterionBounds = OPEN_START.has(version.version) ? {} : { startIncluding: version.version };
  if (version.lessThan !== undefined) return version.lessThan === '*' ? start : { ...start, endExcluding: version.lessThan };
  if (version.lessThanOrEqual !== undefined) return version.lessThanOrEqual === '*' ? start : { ...start, endIncluding: version.lessThanOrEqual };
  return version.version === '*' ? {} : { startIncluding: version.version, endIncluding: version.version };
}

/** The affected entries of one CVE, each with the origins of the branch it names. */
export interface PreparedCve5 {
  readonly entries: readonly { readonly entry: Cve5Affected; readonly origins: ReadonlySet<string> }[];
}

/** What CVE 5 says about one package version, and the entries that said it. */
export interface Cve5Opinion {
  /** `unknown` when no entry gives a status, or entries contradict each other. */
  readonly status: Cve5Status;
  readonly entries: readonly Cve5Affected[];
}

/** A CVE 5 name (`OpenSSL`, `HTTP Server`, `n/a`) as CPE spells it, or undefined when it names nothing. */
function cpeSpelling(name: string | undefined): string | undefined {
  const spelled = name?.trim().toLowerCase().replace(/\s+/g, '_');
  return spelled === undefined || spelled === '' || spelled === 'n/a' ? undefined : spelled;
}

function entryNames(entry: Cve5Affected, parsedCpes: Map<string, Cpe> | undefined): CriterionName[] {
  if (entry.cpes.length > 0) {
    return entry.cpes.flatMap((text) => {
      let cpe = parsedCpes?.get(text);
      if (cpe === undefined) {
        // The CVE 5 parser checked every CPE when the record was read.
        cpe = parseCpe(text, 'CVE 5 cpes');
        parsedCpes?.set(text, cpe);
      }
      return criterionNameOf(cpe) ?? [];
    });
  }
  const product = cpeSpelling(entry.product);
  return product === undefined ? [] : [{ vendor: cpeSpelling(entry.vendor), product }];
}

/** Maps every entry once against the branch's packages; a rule's version line must hold one of the entry's versions. */
export function prepareCve5(affected: readonly Cve5Affected[], index: MappingIndex, parsedCpes?: Map<string, Cpe>): PreparedCve5 {
  return {
    entries: affected.map((entry) => {
      const bounds = entry.versions.map(cve5VersionBounds);
      const origins = new Set<string>();
      for (const name of entryNames(entry, parsedCpes)) {
        for (const { origin, lines } of mapCriterionToPackages(name, index)) {
          if (lines === undefined || bounds.length === 0 || bounds.some((range) => lines.some((line) => isInVersionLine(range, line)))) origins.add(origin);
        }
      }
      return { entry, origins };
    }),
  };
}

/** The status one version entry gives `upstream`: `outside` when it does not cover it, undefined when that cannot be told. */
function versionStatus(version: Cve5Version, upstream: string): Cve5Status | 'outside' | undefined {
  if (!COMPARABLE_VERSION_TYPES.has(version.versionType)) return undefined;
  const outcome = rangeOutcome(cve5VersionBounds(version), upstream);
  if (outcome === 'unknown') return undefined;
  if (outcome !== 'affected') return 'outside';
  // Each change sets the status from its `at` version on; the highest one reached counts, whatever the list's order.
  let status = version.status;
  let reached: string | undefined;
  for (const change of version.changes) {
    const order = compareUpstream(upstream, change.at);
    if (order === undefined) return undefined;
    if (order < 0) continue;
    const higher = reached === undefined ? 1 : compareUpstream(change.at, reached);
    if (higher === undefined) return undefined;
    if (higher > 0) {
      status = change.status;
      reached = change.at;
    }
  }
  return status;
}

/** What one entry says about `upstream`: the status of the versions covering it, else its default. */
function entryStatus(entry: Cve5Affected, upstream: string): Cve5Status {
  const covering = new Set<Cve5Status>();
  for (const version of entry.versions) {
    const status = versionStatus(version, upstream);
    if (status === undefined) return 'unknown';
    if (status !== 'outside') covering.add(status);
  }
  if (covering.size === 0) return entry.defaultStatus;
  return covering.size === 1 ? [...covering][0]! : 'unknown';
}

/**
 * What the entries naming `origin` say about its `version` (full apk version, or undefined when
 * none is published); undefined when no entry names it.
 */
export function evaluateCve5(cve: PreparedCve5, origin: string, version: string | undefined): Cve5Opinion | undefined {
  const entries = cve.entries.filter(({ origins }) => origins.has(origin)).map(({ entry }) => entry);
  if (entries.length === 0) return undefined;
  if (version === undefined) return { status: 'unknown', entries };
  const upstream = upstreamVersion(version);
  const spoken = entries.map((entry) => ({ entry, status: entryStatus(entry, upstream) })).filter(({ status }) => status !== 'unknown');
  const statuses = new Set(spoken.map(({ status }) => status));
  if (statuses.size !== 1) return { status: 'unknown', entries };
  return { status: [...statuses][0]!, entries: spoken.map(({ entry }) => entry) };
}

const rangeText = (bounds: CriterionBounds): string => describeBounds(bounds) || 'every version';

/** An entry's data in words: `OpenSSL OpenSSL: >=1.1.1 <1.1.1u affected, otherwise unaffected`. */
function entryText(entry: Cve5Affected): string {
  const name = [entry.vendor, entry.product].filter((part) => part !== undefined).join(' ');
  const versions = entry.versions.map((version) => `${rangeText(cve5VersionBounds(version))} ${version.status}`);
  const otherwise = entry.defaultStatus === 'unknown' ? [] : [versions.length === 0 ? entry.defaultStatus : `otherwise ${entry.defaultStatus}`];
  return `${name}: ${[...versions, ...otherwise].join(', ')}`;
}

/**
 * The evidence that NVD (`nvdAffected`: whether its configuration holds the published version)
 * and CVE 5 disagree about `nvd`'s compared version, or undefined when they agree or CVE 5 has
 * no clear opinion.
 */
export function sourcesDisagree(nvdAffected: boolean, nvd: NvdEvaluation, opinion: Cve5Opinion | undefined): Evidence | undefined {
  const version = nvd.criteria[0]?.comparedVersion;
  if (opinion === undefined || opinion.status === 'unknown' || version === undefined || version === null) return undefined;
  if (nvdAffected === (opinion.status === 'affected')) return undefined;
  const nvdRanges = [...new Set(nvd.criteria.map((criterion) => rangeText(criterion.bounds)))].join(', ');
  const source = [...new Set(opinion.entries.map((entry) => entry.source))].join(', ');
  const cve5Ranges = opinion.entries.map(entryText).join('; ');
  const verb = (affected: boolean) => (affected ? 'affects' : 'does not affect');
  return {
    kind: 'sources-disagree',
    version,
    source,
    text: `NVD: ${nvdRanges} ${verb(nvdAffected)} ${version}; CVE 5 from ${source} (${cve5Ranges}) ${verb(!nvdAffected)} it`,
  };
}
