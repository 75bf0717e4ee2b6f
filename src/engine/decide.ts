import { compareVersions, isValidVersion } from '../version/index.js';
import type { NvdEvaluation } from './configuration.js';
import { fixesNewestFirst, isNotAffectedLine, rejectionWins } from './fix-rules.js';
import type { CriterionEvidence, Evidence, NvdOutcome, PairState, StateName } from '../base/states.js';
import { describeBounds } from './bounds-text.js';
import { type Cve5Opinion, sourcesDisagree } from './second-opinion.js';
import { compareUpstream, cpeVersionText, upstreamVersion } from './upstream-version.js';

/**
 * Decides the state of one (branch, repo, origin package, vulnerability) pair from its inputs
 * alone, so a state always follows its inputs, both ways: new evidence can turn `fixed` back
 * into `vulnerable`. Fix evidence comes only from this package's own secfixes in this branch;
 * the caller filters, and nothing here looks at other packages.
 */

/** One secfixes entry of the package in this branch. */
export interface SecfixLine {
  /** The repo whose secdb (or APKBUILD) holds the line; a package can move between repos. */
  readonly repo: string;
  /** The secfixes key: a full apk version with `-rN`, or `0` for "never affected". */
  readonly version: string;
  /** The entry's id (first token). */
  readonly id: string;
  /** The entry as written, id and note. */
  readonly text: string;
}

/** A rejection of this vulnerability for this package. */
export interface RejectionRecord {
  readonly id: string;
  readonly source: string;
  readonly author?: string;
  readonly rationale?: string;
  readonly justification?: string;
}

export interface PairInput {
  readonly repo: string;
  /** The newest version the repo publishes (full, with `-rN`); undefined when it publishes none. */
  readonly version: string | undefined;
  /** The package's secfixes lines in this branch, all repos, naming this vulnerability or an alias. */
  readonly secfixes: readonly SecfixLine[];
  readonly rejections: readonly RejectionRecord[];
  /** evaluateCve's answer for this package and version; undefined when no configuration concerns it. */
  readonly nvd: NvdEvaluation | undefined;
  /** evaluateCve5's answer, the second opinion on NVD's; undefined when no CVE 5 data names the package. */
  readonly cve5?: Cve5Opinion | undefined;
}

function state(name: StateName, fixedVersion: string | null, evidence: readonly Evidence[]): PairState {
  return { state: name, fixedVersion, evidence };
}

function rejectionEvidence(rejection: RejectionRecord): Evidence {
  const { id, source, author, rationale, justification } = rejection;
  return {
    kind: 'rejection',
    id,
    source,
    ...(author === undefined ? {} : { author }),
    ...(rationale === undefined ? {} : { rationale }),
    ...(justification === undefined ? {} : { justification }),
  };
}

function versionEvidence(repo: string, version: string | undefined): Evidence {
  return version === undefined ? { kind: 'no-version', repo } : { kind: 'published-version', repo, version };
}

/** Code-unit order: unlike localeCompare, the same on every machine. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Equal fix versions by repo and text, so equal inputs in any order give equal evidence. */
function byRepoAndText(a: SecfixLine, b: SecfixLine): number {
  return compareText(a.repo, b.repo) || compareText(a.text, b.text);
}

/** `ordered`: the fix lines, newest first; `fixedVersion`: the newest, which alone counts. */
function fromSecfixes(input: PairInput, ordered: readonly SecfixLine[], fixedVersion: string, notAffected: readonly Evidence[]): PairState {
  const { repo, version } = input;
  const incomparable = [version, fixedVersion].filter((text): text is string => text !== undefined && !isValidVersion(text));
  const evidence: Evidence[] = [
    ...ordered.map((line): Evidence => ({ kind: 'secfix', repo: line.repo, version: line.version, text: line.text })),
    ...notAffected,
    versionEvidence(repo, version),
    ...incomparable.map((text): Evidence => ({ kind: 'incomparable-version', version: text })),
  ];
  if (version === undefined || incomparable.length > 0) return state('unknown', fixedVersion, evidence);
  if (compareVersions(version, fixedVersion) >= 0) return state('fixed', fixedVersion, evidence);
  const { nvd } = input;
  const introduced = nvd === undefined ? undefined : introducedAfterPublished(nvd, version, fixedVersion);
  if (nvd === undefined || introduced === undefined) return state('vulnerable', fixedVersion, evidence);
  // Taking the line as an upgrade record rests on NVD's ranges alone: CVE 5 saying the version is affected makes it unknown.
  const disagreement = sourcesDisagree(false, nvd, input.cve5);
  if (disagreement !== undefined) return state('unknown', fixedVersion, [...evidence, ...nvd.criteria, disagreement]);
  return state('not-affected', fixedVersion, [...evidence, ...nvd.criteria, introduced]);
}

/**
 * Whether NVD's criterion starts above `version` in a way the secfixes cannot contradict: a
 * closed range (NVD stated both where the bug came and where it went; a start with no end is
 * how NVD writes an unfixed bug, and also a common slip for an end, as samba's `>4.15.13` for
 * CVE-2022-37967), or an exact version the package's own fix is past (NVD often names only the
 * release a bug was reported against, so an exact version above the fix says nothing).
 */
function startsAbove(criterion: CriterionEvidence, fixedVersion: string): boolean {
  const { bounds, outcome } = criterion;
  if (outcome !== 'before-range') return false;
  if (bounds.exact !== undefined) return compareUpstream(fixedVersion, cpeVersionText(bounds.exact, bounds.update)) === 1;
  const hasStart = bounds.startIncluding !== undefined || bounds.startExcluding !== undefined;
  const hasEnd = bounds.endIncluding !== undefined || bounds.endExcluding !== undefined;
  return hasStart && hasEnd;
}

/**
 * The evidence that the published version predates the bug: every NVD criterion that concerns
 * the package starts above it (see `startsAbove`). A secdb fix line is often an upgrade record
 * (curl 7.83 listing CVE-2023-38039 at 8.3.0-r0, whose bug came in 7.84.0), not proof the older
 * version was affected.
 */
function introducedAfterPublished(nvd: NvdEvaluation, version: string, fixedVersion: string): Evidence | undefined {
  if (nvd.criteria.length === 0) return undefined;
  if (!nvd.criteria.every((criterion) => startsAbove(criterion, fixedVersion))) return undefined;
  const upstream = upstreamVersion(version);
  const ranges = [...new Set(nvd.criteria.map((criterion) => describeBounds(criterion.bounds)))].join(', ');
  return { kind: 'introduced-after-published', version: upstream, text: `NVD: ${ranges}; ${upstream} is older than the first affected version` };
}

const NVD_STATES = {
  affected: 'vulnerable',
  'fixed-upstream': 'fixed',
  'not-affected': 'not-affected',
  unknown: 'unknown',
} as const satisfies Record<NvdOutcome, StateName>;

function fromNvd(input: PairInput): PairState {
  const { repo, version, nvd } = input;
  if (nvd === undefined) return state('unknown', null, [versionEvidence(repo, version), { kind: 'no-criteria' }]);
  const evidence = [versionEvidence(repo, version), ...nvd.criteria, ...nvd.platforms];
  // Without a published version only an every-version criterion could be compared; nothing is shipped to judge.
  if (version === undefined) return state('unknown', null, evidence);
  const disagreement = nvd.outcome === 'unknown' ? undefined : sourcesDisagree(nvd.outcome === 'affected', nvd, input.cve5);
  if (disagreement !== undefined) return state('unknown', null, [...evidence, disagreement]);
  return state(NVD_STATES[nvd.outcome], null, evidence);
}

/**
 * The state of one pair. In order: a rejection gives `rejected`; a fix version from secfixes
 * (the highest listed) gives `fixed` when the published version reaches it, `vulnerable` when it
 * does not yet (`not-affected` when every NVD criterion for the package starts above the
 * published version, see `introducedAfterPublished`), `unknown` when nothing is published or a
 * version is not comparable; a `0` line
 * alone gives `not-affected`; otherwise NVD decides. A `0` line beside a real fix version is
 * contradictory, and the fix version wins, since it says the package was affected.
 *
 * CVE 5 data is a second opinion on NVD's ranges only (second-opinion.ts): where it contradicts
 * the range argument that decides the pair (NVD's verdict, or the introduced-after reading of a
 * secfixes line), the pair is `unknown` with both sides shown. The distribution's own word (a
 * rejection, a `0` line, a fix line the published version reaches or has yet to reach) is not a
 * range argument, and stands.
 */
export function decidePairState(input: PairInput): PairState {
  if (rejectionWins(input.rejections)) return state('rejected', null, input.rejections.map(rejectionEvidence));
  const notAffected = input.secfixes
    .filter(isNotAffectedLine)
    .sort(byRepoAndText)
    .map((line): Evidence => ({ kind: 'not-affected-secfix', repo: line.repo, text: line.text }));
  const fixes = fixesNewestFirst(input.secfixes, byRepoAndText);
  const newest = fixes[0];
  if (newest !== undefined) return fromSecfixes(input, fixes, newest.version, notAffected);
  if (notAffected.length > 0) return state('not-affected', null, notAffected);
  return fromNvd(input);
}

/** Everything known about one package in one repo of one branch, for deciding all its pairs at once. */
export interface PackageBatch {
  readonly repo: string;
  readonly version: string | undefined;
  /** Every secfixes line of the package in this branch, all repos. */
  readonly secfixes: readonly SecfixLine[];
  readonly rejections: readonly RejectionRecord[];
  /** evaluateCve's answers for this package, by CVE id; only CVEs that concern the package. */
  readonly nvd: ReadonlyMap<string, NvdEvaluation>;
  /** evaluateCve5's answers for this package, by CVE id; none when no CVE 5 data is compared. */
  readonly cve5?: ReadonlyMap<string, Cve5Opinion>;
  /** Alias id → the id it stands for (e.g. a GHSA id → its CVE), so both are one pair. */
  readonly aliasOf?: ReadonlyMap<string, string>;
}

/** The states of every vulnerability the batch mentions, by (canonical) id in id order. */
export function decideStates(batch: PackageBatch): Map<string, PairState> {
  const canonical = (id: string) => batch.aliasOf?.get(id) ?? id;
  const linesById = new Map<string, SecfixLine[]>();
  const rejectionsById = new Map<string, RejectionRecord[]>();
  const addTo = <T>(map: Map<string, T[]>, id: string, item: T) => {
    const list = map.get(id);
    if (list === undefined) map.set(id, [item]);
    else list.push(item);
  };
  for (const line of batch.secfixes) addTo(linesById, canonical(line.id), line);
  for (const rejection of batch.rejections) addTo(rejectionsById, canonical(rejection.id), rejection);
  // When NVD has records under both an alias and its canonical id, the canonical record speaks.
  const byCanonicalId = <T>(byId: ReadonlyMap<string, T>): Map<string, T> => {
    const result = new Map<string, T>();
    for (const [id, value] of byId) if (canonical(id) === id || !result.has(canonical(id))) result.set(canonical(id), value);
    return result;
  };
  const nvdById = byCanonicalId(batch.nvd);
  const cve5ById = byCanonicalId(batch.cve5 ?? new Map<string, Cve5Opinion>());
  const ids = [...new Set([...linesById.keys(), ...rejectionsById.keys(), ...nvdById.keys()])].sort();
  return new Map(
    ids.map((id) => [
      id,
      decidePairState({
        repo: batch.repo,
        version: batch.version,
        secfixes: linesById.get(id) ?? [],
        rejections: rejectionsById.get(id) ?? [],
        nvd: nvdById.get(id),
        cve5: cve5ById.get(id),
      }),
    ]),
  );
}

/** JSON text with object keys sorted, so a state compares equal to itself after a database round trip. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A stable text for a state: equal exactly when state, fixed version and evidence are equal. */
export function stateDigest(pairState: PairState): string {
  return canonicalJson(pairState);
}

/** Whether two states say the same thing, so the store writes only changes. */
export function sameState(a: PairState, b: PairState): boolean {
  return stateDigest(a) === stateDigest(b);
}
