import { severityRank } from '../base/severity.js';
import type { StateName } from '../base/states.js';
import type { TriageEvent } from '../base/triage.js';
import { type BranchOutcome, type NotifyPair, branchKey } from '../base/notify.js';
import type { RulingStatus } from '../base/triage.js';
import type { PairTriage } from './triage.js';
import { type QueuePlace, byUrgency } from './triage-queue.js';

/**
 * Decides what `secfix notify gitlab` does: one issue per (origin, vulnerability) that is open
 * (see `Resolution` in triage.ts) on a supported branch, opened once the pair has been open for a
 * grace period, updated with a note when its open branches change, closed when none is left.
 * Pure: the tracker loads the pairs and the issues, and carries the plan out.
 */

/** One open pair of the triage queue, with how long it has been open. */
interface OpenPairInput {
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly vulnerabilityId: string;
  readonly version: string | null;
  readonly fixedVersion: string | null;
  readonly status: RulingStatus;
  /** The vulnerability's KEV listing, NVD's severity word and publication: what orders the pairs. */
  readonly urgency: QueuePlace['urgency'];
  /** The index's maintainer text (`Name <e-mail>`), or null. */
  readonly maintainer: string | null;
  /** Since when the pair has been in its current state (or its triage stood); null when unknown. */
  readonly openSince: string | null;
}

/** An issue secfix keeps, as its hidden markers tell. */
export interface KnownIssue {
  readonly iid: number;
  readonly state: 'opened' | 'closed';
  readonly origin: string;
  readonly vulnerabilityId: string;
  /** The branch keys the issue last recorded as open; null when it records none (written by hand). */
  readonly recordedOpen: readonly string[] | null;
}

export interface NotifyPolicy {
  /** `low` … `critical`; null: every severity, and vulnerabilities with none. */
  readonly minSeverity: string | null;
  readonly graceHours: number;
  readonly maxPerRun: number;
}

/**
 * `create`: open an issue. `update`: post a note on the branches that left or joined the open set
 * and rewrite the body (and reopen an issue secfix closed). `close`: post a note saying why and close.
 */
export type NotifyAction =
  | { readonly kind: 'create'; readonly pair: NotifyPair }
  | { readonly kind: 'update'; readonly issue: KnownIssue; readonly pair: NotifyPair; readonly gone: readonly string[]; readonly added: readonly string[]; readonly reopen: boolean }
  | { readonly kind: 'close'; readonly issue: KnownIssue; readonly gone: readonly string[] };

export interface NotifyPlan {
  readonly actions: readonly NotifyAction[];
  /** Pairs without an issue, open for less than the grace period. */
  readonly waiting: number;
  /** Pairs without an issue, less severe than `minSeverity`. */
  readonly belowSeverity: number;
  /** Pairs that would get an issue but for `maxPerRun`: the next run opens them. */
  readonly overLimit: number;
}

const pairKey = (origin: string, vulnerabilityId: string) => `${origin}\u0000${vulnerabilityId}`;

/**
 * Since when a queued pair has been open: its latest state change, or, when a person's triage
 * (`affected`, `under-investigation`) is what makes it open and came later, that event's time.
 */
export function openSince(latestStateChange: string | null, triage: TriageEvent | null, computedState: StateName | null): string | null {
  const triaged = triage === null || computedState === 'vulnerable' ? null : triage.createdAt;
  if (latestStateChange === null) return triaged;
  return triaged !== null && triaged > latestStateChange ? triaged : latestStateChange;
}

/**
 * The open pairs (the queue's, so none on a branch past its end of support), given in any order,
 * grouped by (origin, vulnerability), in the queue's order of their most urgent entry (`byUrgency`).
 */
export function groupOpenPairs(entries: readonly OpenPairInput[]): NotifyPair[] {
  const grouped = new Map<string, OpenPairInput[]>();
  for (const entry of entries) {
    const key = pairKey(entry.package, entry.vulnerabilityId);
    const group = grouped.get(key);
    if (group === undefined) grouped.set(key, [entry]);
    else group.push(entry);
  }
  const mostUrgent = (group: readonly OpenPairInput[]) => group.reduce((best, entry) => (byUrgency(entry, best) < 0 ? entry : best));
  const ordered = [...grouped.values()].map((group) => ({ first: mostUrgent(group), group })).sort((a, b) => byUrgency(a.first, b.first));
  return ordered.map(({ first, group }) => {
    const times = group.map((entry) => entry.openSince).filter((time) => time !== null).sort();
    const branchesOpen = group
      .map(({ branch, repo, version, fixedVersion, status }) => ({ branch, repo, version, fixedVersion, status }))
      .sort((a, b) => (branchKey(a) < branchKey(b) ? -1 : 1));
    return {
      origin: first.package,
      vulnerabilityId: first.vulnerabilityId,
      severity: first.urgency.severity,
      kev: first.urgency.kev,
      maintainers: [...new Set(group.map((entry) => entry.maintainer).filter((text) => text !== null))].sort(),
      branches: branchesOpen,
      openSince: times[0] ?? null,
    };
  });
}

/** The issue that stands for a pair when several carry its marker: an open one, else the first made. */
function pickIssue(current: KnownIssue | undefined, candidate: KnownIssue): KnownIssue {
  if (current === undefined) return candidate;
  if ((current.state === 'opened') !== (candidate.state === 'opened')) return current.state === 'opened' ? current : candidate;
  return current.iid <= candidate.iid ? current : candidate;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((key, index) => key === b[index]);
}

/**
 * What to do, at time `now`, for the open pairs (from `groupOpenPairs`) and the issues found by
 * marker. A pair without an issue gets one once it has been open `graceHours` and is severe
 * enough, up to `maxPerRun` creations; a pair with an issue gets a note when its open branches
 * differ from those the issue recorded. An open issue whose pair has no open branch left is
 * closed. A closed issue is reopened only when secfix closed it (it records no open branch): one
 * a person closed while branches were open stays closed, and still gets notes on changes.
 */
export function planNotifications(pairs: readonly NotifyPair[], issues: readonly KnownIssue[], policy: NotifyPolicy, now: Date): NotifyPlan {
  const byPair = new Map<string, KnownIssue>();
  for (const issue of issues) {
    const key = pairKey(issue.origin, issue.vulnerabilityId);
    byPair.set(key, pickIssue(byPair.get(key), issue));
  }
  const leastRank = policy.minSeverity === null ? 0 : severityRank(policy.minSeverity);
  const graceStart = new Date(now.getTime() - policy.graceHours * 3_600_000).toISOString();
  const actions: NotifyAction[] = [];
  let [waiting, belowSeverity, overLimit, created] = [0, 0, 0, 0];
  const seen = new Set<string>();
  for (const pair of pairs) {
    const key = pairKey(pair.origin, pair.vulnerabilityId);
    seen.add(key);
    const issue = byPair.get(key);
    const open = pair.branches.map(branchKey);
    if (issue !== undefined) {
      const recorded = issue.recordedOpen ?? [];
      if (sameKeys(recorded, open) && issue.recordedOpen !== null) continue;
      const gone = recorded.filter((branch) => !open.includes(branch));
      const added = open.filter((branch) => !recorded.includes(branch));
      actions.push({ kind: 'update', issue, pair, gone, added, reopen: issue.state === 'closed' && recorded.length === 0 });
      continue;
    }
    if (policy.minSeverity !== null && severityRank(pair.severity) < leastRank) belowSeverity += 1;
    else if (pair.openSince !== null && pair.openSince > graceStart) waiting += 1;
    else if (created >= policy.maxPerRun) overLimit += 1;
    else {
      actions.push({ kind: 'create', pair });
      created += 1;
    }
  }
  for (const [key, issue] of byPair) {
    if (seen.has(key) || issue.state === 'closed') continue;
    actions.push({ kind: 'close', issue, gone: issue.recordedOpen ?? [] });
  }
  return { actions, waiting, belowSeverity, overLimit };
}

/** What became of a branch an issue listed as open. */
export interface BranchOutcomeInput {
  readonly key: string;
  readonly supported: boolean;
  /** The pair's computed state and triage on that branch now; null when it has neither. */
  readonly triage: PairTriage | null;
  readonly fixedVersion: string | null;
}

/**
 * Why a branch left the open set: its end of support, else what rules the pair now (with the
 * fix version, the justification or who triaged it), else that the tracker no longer has it.
 */
export function branchOutcome(input: BranchOutcomeInput): BranchOutcome {
  const { key, triage } = input;
  if (!input.supported) return { key, outcome: 'end of support', detail: null };
  if (triage === null) return { key, outcome: 'no longer tracked', detail: null };
  const event = triage.triage;
  const version = event?.version ?? input.fixedVersion;
  const facts = [
    triage.status === 'fixed' || triage.status === 'fix-pending-publication' ? (version === null ? null : `version ${version}`) : null,
    event?.justification ?? null,
    event === null ? null : `triaged by ${event.author}${event.note === null ? '' : `: ${event.note}`}`,
  ].filter((fact) => fact !== null);
  return { key, outcome: triage.status, detail: facts.length === 0 ? null : facts.join('; ') };
}
