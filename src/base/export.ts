/**
 * What the exports publish about one pair (the engine's `exportStatus` decides it), so the
 * secdb, OSV, OpenVEX and CSAF writers all say the same thing:
 * - `fixed`: a fix the branch publishes (a triage `fixed` counts only once published);
 * - `affected`: asserted by a person (affected, a fix waiting upstream or not planned, or a fix
 *   recorded but not yet published), with what a user should do;
 * - `under-investigation`: computed vulnerable from NVD data alone, or being looked at; never
 *   written as `affected` in VEX, because nobody asserted it;
 * - `not-affected`: a triage decision, a secfixes `0` line or a rejection, with the OpenVEX
 *   justification when one is known and a sentence saying why.
 */
export type ExportStatus =
  | { readonly kind: 'fixed'; readonly version: string }
  | {
      readonly kind: 'affected';
      readonly action: string;
      /** The version that fixes it, when a fix is recorded but not yet published. */
      readonly fixVersion: string | null;
      /** False when the team decided not to fix it (`fix-not-planned`). */
      readonly fixPlanned: boolean;
    }
  | { readonly kind: 'under-investigation' }
  | { readonly kind: 'not-affected'; readonly vexJustification: string | null; readonly impact: string };

/** One exported pair: a package of one branch and repository, and what the exports say about it. */
export interface ExportedPair {
  readonly branch: string;
  readonly repo: string;
  /** The origin (source) package. */
  readonly package: string;
  /** The version the repository publishes now; null when it publishes none. */
  readonly version: string | null;
  /** The binary packages of that version, by name then architecture. */
  readonly binaries: readonly { readonly name: string; readonly arch: string }[];
  /** What rules the pair (a state name or a triage status), as secfix calls it. */
  readonly ruling: string;
  /** The standing triage justification, secfix's name. */
  readonly justification: string | null;
  readonly status: ExportStatus;
  /** ISO-8601 UTC: the latest change of the pair's state or triage. */
  readonly modified: string;
}

/** One vulnerability and its exported pairs, ordered by branch, repository and package. */
export interface ExportedVulnerability {
  readonly id: string;
  readonly published: string | null;
  /** ISO-8601 UTC: the latest of the pairs' changes and the vulnerability's own. */
  readonly modified: string;
  readonly pairs: readonly ExportedPair[];
}

/** The purl namespace of the packages when the configuration names none (`purlNamespace`). */
export const DEFAULT_PURL_NAMESPACE = 'alpine';

/** The CSAF publisher namespace when no tracker address is given: Alpine's security tracker. */
export const DEFAULT_CSAF_NAMESPACE = 'https://security.alpinelinux.org';
