/**
 * The scan's vocabulary, defined once: what a finding is, what a warning is, and the security
 * data a scan is decided from (whether it came from secdb files or the tracker database).
 */

/**
 * `upgrade`: a fixed version is published, install it; `fix-not-published`: a fix is recorded
 * but the repositories do not carry it yet; `unfixed`: the tracker knows the package is
 * vulnerable and no fix exists.
 */
export const FINDING_KINDS = ['upgrade', 'fix-not-published', 'unfixed'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** One installed binary package a finding concerns. */
export interface InstalledRef {
  readonly name: string;
  readonly arch: string | undefined;
  /** Line of its stanza in the installed database. */
  readonly line: number;
}

export interface FindingVulnerability {
  readonly id: string;
  /** The newest version recorded as fixing it; absent for `unfixed`. */
  readonly fixedVersion?: string;
  /** The tracker's state, for `unfixed`. */
  readonly state?: string;
}

/** What one origin (source package) at one installed version needs. */
export interface Finding {
  readonly kind: FindingKind;
  readonly origin: string;
  readonly installedVersion: string;
  /** The installed binary packages built from this origin at this version. */
  readonly packages: readonly InstalledRef[];
  /** `upgrade`: the version to install; `fix-not-published`: the fix version awaited. */
  readonly targetVersion: string | undefined;
  /** The newest version the known indexes publish for the origin, when an index is known. */
  readonly newestPublished: string | undefined;
  readonly vulnerabilities: readonly FindingVulnerability[];
}

type WarningCode =
  | 'release-unknown'
  | 'branch-conflict'
  | 'mixed-repositories'
  | 'not-alpine'
  | 'end-of-support'
  | 'package-without-version'
  | 'invalid-version'
  | 'repo-not-covered'
  | 'index-branch-mismatch'
  | 'image-choice';

export interface ScanWarning {
  readonly code: WarningCode;
  readonly message: string;
}

/** One secfixes line of an origin in the scanned branch. */
export interface FixLine {
  /** The secfixes key: a full apk version with `-rN`, or `0` for "never affected". */
  readonly version: string;
  readonly id: string;
  readonly repo: string;
}

/** A vulnerability the tracker holds open for an origin: vulnerable, and no fix recorded. */
export interface OpenVulnerability {
  readonly id: string;
  readonly state: string;
}

/** Everything known about one branch, from secdb files, the tracker or its security index. */
export interface SecurityData {
  readonly kind: 'secdb' | 'tracker' | 'index';
  readonly branch: string;
  /** The files or database the data came from, for the report. */
  readonly sources: readonly string[];
  /** Repositories (`main`, `community`) the data covers. */
  readonly repos: readonly string[];
  /** Fix lines by origin, only from this branch. */
  readonly fixes: ReadonlyMap<string, readonly FixLine[]>;
  /** Tracker only: open vulnerabilities by origin. */
  readonly open?: ReadonlyMap<string, readonly OpenVulnerability[]>;
  /** Tracker only: ids rejected for an origin, which no finding may name. */
  readonly rejected?: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Ids that never affected an origin, which no finding may name: the tracker's decided
   * `not-affected` pairs and standing triage decisions, or a secdb's `0` lines.
   */
  readonly notAffected?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Tracker and index only: the newest version the branch publishes, by origin. */
  readonly published?: ReadonlyMap<string, string>;
  /** ISO date the branch stops getting fixes, when the data says. */
  readonly endOfSupport?: string;
}

/** The newest published version of each origin, read from index files. */
export interface PublishedVersions {
  readonly newest: ReadonlyMap<string, string>;
  readonly sources: readonly string[];
  /** Branches the indexes' DESCRIPTION members name (`v3.16.3-…` → `3.16`). */
  readonly branches: readonly string[];
}
