import { createHash } from 'node:crypto';
import { type PairState, STATE_NAMES, type StateName } from '../base/states.js';
import type { RulingStatus, TriageEvent } from '../base/triage.js';
import { compareVersions, isValidVersion } from '../version/index.js';
import { stateDigest } from './decide.js';

/**
 * Combines a pair's computed state (from NVD, secdb and the index) with its triage: which one
 * rules, whether the pair is open or resolved, and whether a triage decision was made against
 * inputs that have changed since.
 */

/**
 * What a pair asks of people, defined here and used by every count, chart, queue and scan:
 * - `open`: it needs someone's work: computed vulnerable with no triage, triaged `affected` or
 *   `under-investigation`, or triaged against computed inputs that have changed since
 *   (re-review);
 * - `resolved`: nothing to do now (fixed, not affected, rejected, unknown, a fix awaiting
 *   publication, or a decision to wait or not to act);
 * - `end-of-life`: it would be open, but its branch is past its end of support
 *   (`isBranchSupported`), so no fix will come there: shown as such, counted as neither.
 */
export const RESOLUTIONS = ['open', 'resolved', 'end-of-life'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export interface PairTriageInput {
  readonly branch: string;
  readonly repo: string;
  /** The computed state of the pair; null when the engine computed none. */
  readonly computed: PairState | null;
  /** The newest version the branch's repo publishes; null when it publishes none. */
  readonly publishedVersion: string | null;
  /** Every triage event of the package and vulnerability, in any order. */
  readonly events: readonly TriageEvent[];
  /** The branch is past its end of support on the day asked about (`!isBranchSupported(...)`). */
  readonly endOfLife: boolean;
}

export interface PairTriage {
  readonly computedState: StateName | null;
  /** The triage event that stands for this branch, if any. */
  readonly triage: TriageEvent | null;
  readonly status: RulingStatus;
  readonly resolution: Resolution;
  /** A triage stands but the computed state differs from the one it was made against. */
  readonly needsReview: boolean;
}

/** A short, stable digest of a computed state, stored with each event to detect later changes. */
export function computedDigest(state: PairState): string {
  return createHash('sha256').update(stateDigest(state)).digest('hex').slice(0, 32);
}

/** The key of `computedDigests` for one pair. */
export function digestKey(branch: string, repo: string): string {
  return `${branch}/${repo}`;
}

/** The scope of an event: its branch set (null = every branch). Withdrawals act within one scope. */
export function scopeKey(branches: readonly string[] | null): string {
  return branches === null ? '*' : [...branches].sort().join(',');
}

function byTime(a: TriageEvent, b: TriageEvent): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id - b.id;
}

/**
 * The events still standing, oldest first: each `withdrawn` retracts the latest standing event
 * of its own scope, so withdrawing twice undoes the last two decisions, and a withdrawal with
 * nothing standing in its scope does nothing.
 */
export function standingEvents(events: readonly TriageEvent[]): TriageEvent[] {
  const byScope = new Map<string, TriageEvent[]>();
  for (const event of [...events].sort(byTime)) {
    const scope = scopeKey(event.branches);
    const stack = byScope.get(scope) ?? [];
    if (event.status === 'withdrawn') stack.pop();
    else stack.push(event);
    byScope.set(scope, stack);
  }
  return [...byScope.values()].flat().sort(byTime);
}

/** The latest standing event that concerns `branch`, if any. */
export function standingTriage(events: readonly TriageEvent[], branch: string): TriageEvent | null {
  const applying = standingEvents(events).filter((event) => event.branches === null || event.branches.includes(branch));
  return applying.at(-1) ?? null;
}

/** Whether a `fixed` event's version is published: the branch's version is at or past it. */
function fixPublished(fixVersion: string | null, publishedVersion: string | null): boolean {
  if (fixVersion === null || publishedVersion === null) return false;
  if (!isValidVersion(fixVersion) || !isValidVersion(publishedVersion)) return false;
  return compareVersions(publishedVersion, fixVersion) >= 0;
}

function rulingStatus(triage: TriageEvent, publishedVersion: string | null): RulingStatus {
  if (triage.status === 'withdrawn') throw new Error('a withdrawal never stands');
  if (triage.status === 'fixed' && !fixPublished(triage.version, publishedVersion)) return 'fix-pending-publication';
  return triage.status;
}

const OPEN_STATUSES: ReadonlySet<RulingStatus> = new Set<RulingStatus>(['vulnerable', 'affected', 'under-investigation']);

/**
 * The computed states that leave a pair open while nobody has triaged it (no event at all): the
 * store selects the queue's untriaged part by these, so it never restates what open means.
 */
export const OPEN_UNTRIAGED_STATES: readonly StateName[] = STATE_NAMES.filter((state) => OPEN_STATUSES.has(state));

/** The computed state and the standing triage of one pair, and what rules it. */
export function resolvePairTriage(input: PairTriageInput): PairTriage {
  const computedState = input.computed?.state ?? null;
  const triage = standingTriage(input.events, input.branch);
  const ruling = triage === null ? (computedState ?? 'unknown') : rulingStatus(triage, input.publishedVersion);
  // Hashed only against a standing event: the queue resolves hundreds of thousands of untriaged pairs.
  const needsReview = triage !== null && triage.computedDigests[digestKey(input.branch, input.repo)] !== (input.computed === null ? undefined : computedDigest(input.computed));
  const open = OPEN_STATUSES.has(ruling) || needsReview;
  if (open && input.endOfLife) return { computedState, triage, status: 'end-of-life', resolution: 'end-of-life', needsReview };
  return { computedState, triage, status: ruling, resolution: open ? 'open' : 'resolved', needsReview };
}
