import type { SecurityIndexDocument, SecurityIndexPackage } from '../formats/security-index.js';
import { compareVersions, isValidVersion } from '../version/index.js';
import { fixesNewestFirst, isNotAffectedLine } from './fix-rules.js';
import type { FixLine, SecurityData } from './scan-model.js';

/*
 * Decides what a branch's security index says (formats/security-index.ts has the file), from the
 * tracker's security data and the binaries the branch publishes, so that a scan reading the index
 * makes the same `upgrade` findings as a scan reading the tracker:
 * - an origin is listed when the branch publishes a binary of it (of the architecture, when one
 *   is asked) and it has a fix or a not-affected id; its version is the newest of those binaries;
 * - per id, the newest valid fix version counts (as upgrades.ts rules), and only when that
 *   version is published: a fix waiting for publication is no upgrade anyone can install;
 * - rejected and not-affected ids are listed as not affected and never as fixes.
 */

/** A binary package the branch publishes now. */
export interface PublishedBinary {
  readonly repo: string;
  readonly origin: string;
  readonly version: string;
  readonly name: string;
  readonly arch: string;
}

function newestBinaries(binaries: readonly PublishedBinary[]): PublishedBinary[] {
  const newest = binaries.reduce<string | undefined>((best, binary) => (best === undefined || compareVersions(binary.version, best) > 0 ? binary.version : best), undefined);
  return binaries.filter((binary) => binary.version === newest);
}

/** The published fixes of one origin at `version`: fix version → ids. */
function publishedFixes(lines: readonly FixLine[], version: string, excluded: ReadonlySet<string>): Map<string, string[]> {
  const linesById = new Map<string, FixLine[]>();
  for (const line of lines) {
    if (isNotAffectedLine(line) || !isValidVersion(line.version) || excluded.has(line.id)) continue;
    linesById.set(line.id, [...(linesById.get(line.id) ?? []), line]);
  }
  const fixes = new Map<string, string[]>();
  for (const [id, idLines] of linesById) {
    const newest = fixesNewestFirst(idLines)[0]!.version;
    if (compareVersions(version, newest) >= 0) fixes.set(newest, [...(fixes.get(newest) ?? []), id]);
  }
  return fixes;
}

/** The security index of `data`'s branch for `arch` (every architecture when undefined). */
export function securityIndexDocument(data: SecurityData, binaries: readonly PublishedBinary[], arch: string | undefined): SecurityIndexDocument {
  const byOrigin = new Map<string, PublishedBinary[]>();
  for (const binary of binaries) {
    if ((arch !== undefined && binary.arch !== arch) || !isValidVersion(binary.version)) continue;
    byOrigin.set(binary.origin, [...(byOrigin.get(binary.origin) ?? []), binary]);
  }
  const packages = new Map<string, SecurityIndexPackage>();
  for (const [origin, originBinaries] of byOrigin) {
    const current = newestBinaries(originBinaries);
    const version = current[0]!.version;
    const notAffected = new Set([...(data.notAffected?.get(origin) ?? []), ...(data.rejected?.get(origin) ?? [])]);
    const fixes = publishedFixes(data.fixes.get(origin) ?? [], version, notAffected);
    if (fixes.size === 0 && notAffected.size === 0) continue;
    packages.set(origin, { repo: current[0]!.repo, version, binaries: current.map((binary) => binary.name), fixes, notAffected: [...notAffected] });
  }
  return {
    branch: data.branch,
    arch: arch ?? null,
    repos: data.repos,
    ...(data.endOfSupport === undefined ? {} : { endOfSupport: data.endOfSupport }),
    packages,
  };
}
