import { NOT_AFFECTED_VERSION } from '../formats/secfix-id.js';
import { compareVersions } from '../version/index.js';

/**
 * The fix rules every judgement of a package shares: decide.ts applies them to a tracked pair,
 * upgrades.ts to an installed package, quality.ts to the secdb lines themselves.
 */

/** "`0` means not affected": a secfixes line under the version `0` says the id never affected the package; it is no fix. */
export function isNotAffectedLine(line: { readonly version: string }): boolean {
  return line.version === NOT_AFFECTED_VERSION;
}

/**
 * The ids a package's `0` lines declare not affected: those with no real fix line beside them,
 * since a fix version says the package was affected (the fix wins, as decide.ts rules).
 */
export function notAffectedIds(lines: readonly { readonly version: string; readonly id: string }[]): Set<string> {
  const fixed = new Set(lines.filter((line) => !isNotAffectedLine(line)).map((line) => line.id));
  return new Set(lines.filter((line) => isNotAffectedLine(line) && !fixed.has(line.id)).map((line) => line.id));
}

/**
 * "Newest fix per CVE": of one vulnerability's secfixes lines, only the newest fix version counts
 * (a regression re-fix lists the id again under a later version). Returns the fix lines, `0`
 * lines left out, newest first; `tieBreak` orders equal versions, which otherwise keep their order.
 */
export function fixesNewestFirst<L extends { readonly version: string }>(lines: readonly L[], tieBreak?: (a: L, b: L) => number): L[] {
  return lines.filter((line) => !isNotAffectedLine(line)).sort((a, b) => compareVersions(b.version, a.version) || (tieBreak?.(a, b) ?? 0));
}

/**
 * "A rejection wins": a vulnerability with any rejection for the package is decided by the
 * rejection alone, before fixes, `0` lines and NVD: the tracker makes the pair `rejected`, and a
 * scan names it in no finding. `rejectionsOfPair`: the rejections naming this package and id.
 */
export function rejectionWins(rejectionsOfPair: readonly unknown[]): boolean {
  return rejectionsOfPair.length > 0;
}
