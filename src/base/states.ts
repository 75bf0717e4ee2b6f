/**
 * The state vocabulary, defined here and nowhere else: the states of a (branch, repo, package,
 * vulnerability) pair, the evidence behind each, and the words the matching steps use. The engine
 * decides in these words, the store keeps them and the web shows them, so they belong to no one
 * room. Everything is plain JSON data, because states are stored as JSON and compared after a
 * round trip.
 */

export const STATE_NAMES = ['vulnerable', 'fixed', 'not-affected', 'rejected', 'unknown'] as const;
export type StateName = (typeof STATE_NAMES)[number];

/** Which mapping rule tied a CPE criterion to a package (cpe-mapping.ts explains each). */
export const MATCH_RULES = ['config-product', 'origin-name', 'binary-name', 'versioned-origin', 'language-prefix'] as const;
export type MatchRule = (typeof MATCH_RULES)[number];

/**
 * Where a package version stands against one criterion: inside it, before its start (or below
 * its exact version), at or past its end (or above its exact version), or not comparable.
 */
export const CRITERION_OUTCOMES = ['affected', 'before-range', 'after-range', 'unknown'] as const;
export type CriterionOutcome = (typeof CRITERION_OUTCOMES)[number];

/**
 * What NVD's configurations say about one package version: `fixed-upstream` when the version
 * is past every range that concerns it, `not-affected` when it falls outside them otherwise.
 */
export const NVD_OUTCOMES = ['affected', 'not-affected', 'fixed-upstream', 'unknown'] as const;
export type NvdOutcome = (typeof NVD_OUTCOMES)[number];

/** A criterion's version limits as NVD wrote them; `exact` and `update` for a versioned CPE. */
export interface CriterionBounds {
  readonly startIncluding?: string;
  readonly startExcluding?: string;
  readonly endIncluding?: string;
  readonly endExcluding?: string;
  readonly exact?: string;
  readonly update?: string;
}

/** One NVD criterion that concerns the package, and how the package's version fared against it. */
export interface CriterionEvidence {
  readonly kind: 'criterion';
  /** Index into the CVE's `configurations`. */
  readonly cveConfigurationIndex: number;
  /** The CPE match string. */
  readonly criteria: string;
  readonly bounds: CriterionBounds;
  readonly rule: MatchRule;
  /** The upstream version compared (no `-rN`); null when the repo publishes no version. */
  readonly comparedVersion: string | null;
  readonly outcome: CriterionOutcome;
}

/**
 * A `vulnerable: false` platform criterion of an AND configuration that names a system an apk
 * distribution is not (another operating system, or hardware), so that configuration does not apply.
 */
export interface ForeignPlatformEvidence {
  readonly kind: 'foreign-platform';
  readonly cveConfigurationIndex: number;
  readonly criteria: string;
}

export type Evidence =
  | {
      readonly kind: 'rejection';
      readonly id: string;
      /** Where the rejection was recorded, e.g. the rejections file. */
      readonly source: string;
      readonly author?: string;
      readonly rationale?: string;
      readonly justification?: string;
    }
  /** A secfixes line naming a fix version for this vulnerability; `text` is the entry as written. */
  | { readonly kind: 'secfix'; readonly repo: string; readonly version: string; readonly text: string }
  /** A secfixes line under version `0`: the package was never affected. */
  | { readonly kind: 'not-affected-secfix'; readonly repo: string; readonly text: string }
  /** The newest version the repo publishes, which the fix or the criteria were compared with. */
  | { readonly kind: 'published-version'; readonly repo: string; readonly version: string }
  /** The repo publishes no version of the package, so nothing could be compared. */
  | { readonly kind: 'no-version'; readonly repo: string }
  /** A version that is not a valid apk version, so no order with it can be trusted. */
  | { readonly kind: 'incomparable-version'; readonly version: string }
  | CriterionEvidence
  | ForeignPlatformEvidence
  /**
   * Every NVD criterion that concerns the package starts above the published version (closed
   * ranges, or exact versions the package's own fix is past), so a later secfixes line is an
   * upgrade record, not proof the published version was affected. `version` is the upstream
   * version compared; `text` says it in words.
   */
  | { readonly kind: 'introduced-after-published'; readonly version: string; readonly text: string }
  /**
   * NVD's configuration and a CVE 5 record's affected data (the CNA's, or CISA's ADP) disagree
   * about the published version: one says affected, the other not. `version` is the upstream
   * version compared, `source` the CVE 5 container's provider; `text` gives both sides in words.
   */
  | { readonly kind: 'sources-disagree'; readonly version: string; readonly source: string; readonly text: string }
  /** Neither a secfix, a rejection nor an NVD configuration concerns the package. */
  | { readonly kind: 'no-criteria' };

export interface PairState {
  readonly state: StateName;
  /** The fix version when one is known: from secfixes (with `-rN`), never guessed from NVD. */
  readonly fixedVersion: string | null;
  readonly evidence: readonly Evidence[];
}
