import type { RulingStatus } from './triage.js';

/**
 * What a maintainer issue (`secfix notify gitlab`) is about, shared by the engine that plans the
 * issues and the writer of their text.
 */

/** One branch an issue lists as open. */
export interface OpenBranch {
  readonly branch: string;
  readonly repo: string;
  readonly version: string | null;
  readonly fixedVersion: string | null;
  readonly status: RulingStatus;
}

/** What one issue is about: an (origin, vulnerability) and its open supported branches. */
export interface NotifyPair {
  readonly origin: string;
  readonly vulnerabilityId: string;
  readonly severity: string | null;
  readonly kev: boolean;
  /** Every maintainer text the branches' indexes give, sorted. */
  readonly maintainers: readonly string[];
  /** By branch key (`branchKey`). */
  readonly branches: readonly OpenBranch[];
  /** The earliest time a branch of it became open; null when none is known. */
  readonly openSince: string | null;
}

/** How an issue names one branch: `3.20/main`. */
export function branchKey(branch: { readonly branch: string; readonly repo: string }): string {
  return `${branch.branch}/${branch.repo}`;
}

/** Why a branch left an issue's open set, as a note says it. */
export interface BranchOutcome {
  readonly key: string;
  /** The ruling status now (`fixed`, `not-affected`, `fix-pending-publication`, …), or why it is gone. */
  readonly outcome: string;
  /** The fix version, the justification, who triaged it; null when there is nothing to add. */
  readonly detail: string | null;
}
