/**
 * The triage vocabulary, defined here and nowhere else: what a person (or an imported rejections
 * file) may say about one origin package and one vulnerability. The CLI, the API, the store and
 * the exports all use these exact names.
 */
import type { StateName } from './states.js';

/**
 * `withdrawn` retracts the latest standing event of the same scope (same branch set); the
 * others state something about the pair.
 */
export const TRIAGE_STATUSES = [
  'under-investigation',
  'affected',
  'not-affected',
  'fixed',
  'pending-upstream-fix',
  'fix-not-planned',
  'analysis-not-planned',
  'withdrawn',
] as const;
export type TriageStatus = (typeof TRIAGE_STATUSES)[number];

/** Statuses that must carry a note: they explain why nothing will happen for now. */
export const NOTE_REQUIRED_STATUSES: readonly TriageStatus[] = ['pending-upstream-fix', 'fix-not-planned', 'analysis-not-planned'];

/** Why a package is not affected; a `not-affected` event must name one. */
export const TRIAGE_JUSTIFICATIONS = [
  'component-not-present',
  'vulnerable-code-not-present',
  'vulnerable-code-version-not-used',
  'vulnerable-code-not-in-execute-path',
  'vulnerable-code-cannot-be-controlled-by-adversary',
  'inline-mitigations-already-exist',
  'disputed',
] as const;
export type TriageJustification = (typeof TRIAGE_JUSTIFICATIONS)[number];

/**
 * The OpenVEX justification each one is written as. OpenVEX has five; the two secfix adds both
 * say the vulnerable code is not in what ships, as Wolfi's equivalent types map them
 * (chainguard-dev/advisory-schema, false_positive_determination.go): a version that never
 * shipped, and a record whose analysis is contested.
 */
export const OPENVEX_JUSTIFICATIONS: Readonly<Record<TriageJustification, string>> = {
  'component-not-present': 'component_not_present',
  'vulnerable-code-not-present': 'vulnerable_code_not_present',
  'vulnerable-code-version-not-used': 'vulnerable_code_not_present',
  'vulnerable-code-not-in-execute-path': 'vulnerable_code_not_in_execute_path',
  'vulnerable-code-cannot-be-controlled-by-adversary': 'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline-mitigations-already-exist': 'inline_mitigations_already_exist',
  disputed: 'vulnerable_code_not_present',
};

/** One recorded triage event, as stored: append-only, never changed or deleted. */
export interface TriageEvent {
  readonly id: number;
  /** The origin (source) package. */
  readonly package: string;
  readonly vulnerabilityId: string;
  /** The branches it concerns, sorted; null means every branch. */
  readonly branches: readonly string[] | null;
  readonly status: TriageStatus;
  readonly justification: TriageJustification | null;
  /** The fix version of a `fixed` event. */
  readonly version: string | null;
  readonly note: string | null;
  readonly author: string;
  /** ISO-8601 UTC time. */
  readonly createdAt: string;
  /**
   * The digest of each computed state the event was made against, by `branch/repo`; a pair whose
   * computed state later differs is flagged for re-review.
   */
  readonly computedDigests: Readonly<Record<string, string>>;
}

/**
 * What rules a pair: the computed state when no triage stands, else the triage status; and
 * `end-of-life` for a pair that would be open on a branch past its end of support.
 */
export type RulingStatus = StateName | Exclude<TriageStatus, 'withdrawn'> | 'fix-pending-publication' | 'end-of-life';
