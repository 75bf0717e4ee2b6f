import type { Kysely } from 'kysely';
import { packageNameProblem } from '../formats/names.js';
import { type Rejection, parseRejections } from '../formats/rejections.js';
import type { DownloadOptions } from '../sources/acquire.js';
import { readInput } from '../sources/file.js';
import {
  type RejectionEntry,
  type Schema,
  type Store,
  type StoredRejection,
  listRejectionsFromSource,
  markDirty,
  replaceRejections,
} from '../store/index.js';
import { type ImportSummary, branchName, normalizeLocation, prepareFile, qualifiedSource, refuseBadName, refuseUnknownBranch, runImport } from './import-run.js';
import { ANY_BRANCH, packageDirtyKey } from './dirty-keys.js';
import { recordRejectionEvents } from './triage.js';

export interface RejectionsImportOptions {
  /** A security-rejections YAML file, path or URL. */
  readonly location: string;
  /** Retries, size cap and interruption of a URL's download. */
  readonly download?: DownloadOptions | undefined;
  /** The branches the rejections hold for; undefined means every branch. */
  readonly branches?: readonly string[];
}

/**
 * Imports a rejections file as the complete set of rejections from that source (its absolute
 * path or URL). Packages whose rejections changed are marked dirty as `package` `*:${package}`
 * (every branch) or `${branch}:${package}` per branch concerned, before and after.
 */
export function importRejections(store: Store, options: RejectionsImportOptions): Promise<ImportSummary> {
  const { location } = options;
  const branches = options.branches === undefined ? null : [...new Set(options.branches.map(branchName))].sort();
  const qualifiers = branches === null ? [] : [`branches ${branches.join(' ')}`];
  const source = normalizeLocation(location);
  return runImport(store, { kind: 'rejections', location, runSource: qualifiedSource(location, qualifiers) }, (previous) =>
    prepareFile({ kind: 'rejections', location, download: options.download }, previous, async (path) => {
      const rejections = parseRejections(await readInput(path), location);
      for (const rejection of rejections) refuseBadName(packageNameProblem(rejection.package), location);
      // Stored per source: no other file can replace them, so the import names no target.
      return async (db) => {
        for (const branch of branches ?? []) await refuseUnknownBranch(db, branch, location);
        return { counts: await writeRejections(db, source, rejections, branches) };
      };
    }),
  );
}

async function writeRejections(
  db: Kysely<Schema>,
  source: string,
  rejections: readonly Rejection[],
  branches: readonly string[] | null,
): Promise<Record<string, number>> {
  const stored = await listRejectionsFromSource(db, source);
  const storedByKey = new Map(stored.map((row) => [`${row.package}\u0000${row.vulnerabilityId}`, row]));
  // The file has no dates: a rejection keeps the time it was first imported, so an unchanged one stays unchanged.
  const at = new Date().toISOString();
  const entries: RejectionEntry[] = rejections.map((rejection) => ({
    package: rejection.package,
    vulnerabilityId: rejection.id,
    branches,
    justification: null,
    rationale: [rejection.rationale, rejection.note].filter((text) => text !== undefined).join('\n') || null,
    author: null,
    createdAt: storedByKey.get(`${rejection.package}\u0000${rejection.id}`)?.createdAt ?? at,
  }));
  const result = await replaceRejections(db, source, entries);
  // The same decisions also go into the triage log, so both sources show one history.
  const listedKeys = new Set(entries.map((entry) => `${entry.package}\u0000${entry.vulnerabilityId}`));
  const dropped = stored.filter((row) => !listedKeys.has(`${row.package}\u0000${row.vulnerabilityId}`)).map((row) => ({ package: row.package, id: row.vulnerabilityId }));
  const listed = entries.map((entry) => ({ package: entry.package, id: entry.vulnerabilityId, rationale: entry.rationale }));
  const triageEvents = await recordRejectionEvents(db, listed, dropped, branches);
  await markDirty(db, 'package', dirtyKeys(result.changedPackages, branches, stored));
  return {
    rejections: entries.length,
    added: result.added,
    removed: result.removed,
    updated: result.updated,
    changedPackages: result.changedPackages.length,
    triageEvents,
  };
}

/** A changed package is dirty on the branches its rejections covered before and cover now. */
function dirtyKeys(changed: readonly string[], branches: readonly string[] | null, stored: readonly StoredRejection[]): string[] {
  const keys: string[] = [];
  for (const pkg of changed) {
    const covered = [branches, ...stored.filter((row) => row.package === pkg).map((row) => row.branches)];
    if (covered.includes(null)) keys.push(packageDirtyKey(ANY_BRANCH, pkg));
    else keys.push(...covered.flatMap((list) => (list ?? []).map((branch) => packageDirtyKey(branch, pkg))));
  }
  return keys;
}
