import type { Kysely } from 'kysely';
import { InputError } from '../base/input-error.js';
import { type PublishedBinary, securityIndexDocument } from '../engine/security-index.js';
import { formatSecurityIndex } from '../formats/security-index.js';
import { trackerSecurityData } from '../scan/tracker.js';
import { type Schema, listBranches, listCurrentBinaries } from '../store/index.js';

/**
 * The security index of `branch` (formats/security-index.ts), for one architecture or, without
 * `arch`, all of them: the tracker's security data of the whole branch and the binaries its
 * indexes list now. Throws UnknownBranchError for an unknown branch and InputError for an
 * architecture the branch does not have.
 */
export async function securityIndex(db: Kysely<Schema>, branch: string, arch?: string): Promise<string> {
  const data = await trackerSecurityData(db, `branch ${branch}`, branch);
  const known = (await listBranches(db)).find((candidate) => candidate.name === branch)!;
  if (arch !== undefined && !known.archs.includes(arch)) {
    throw new InputError('--arch', undefined, `branch ${branch} has no architecture "${arch}" (it has ${known.archs.join(', ') || 'none'})`);
  }
  const repoNames = new Map(known.repositories.map((repository) => [repository.id, repository.name]));
  const origins = [...new Set([...data.fixes.keys(), ...(data.notAffected?.keys() ?? []), ...(data.rejected?.keys() ?? [])])];
  const binaries = (await listCurrentBinaries(db, [...repoNames.keys()], origins)).map(
    (binary): PublishedBinary => ({ repo: repoNames.get(binary.repositoryId)!, origin: binary.origin, version: binary.version, name: binary.name, arch: binary.arch }),
  );
  return formatSecurityIndex(securityIndexDocument(data, binaries, arch));
}
