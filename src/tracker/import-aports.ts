import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { InputError } from '../base/input-error.js';
import { packageNameProblem, repositoryNameProblem } from '../formats/names.js';
import { parseAportsApkbuild } from '../formats/secfixes.js';
import { walkAports } from '../sources/aports.js';
import { type SecfixEntry, type Store, ensureBranch, ensureRepository, listBranches, markDirty, replaceSecfixes } from '../store/index.js';
import { secfixEntries } from './import-secdb.js';
import { type ImportSummary, type ProgressCallback, branchName, qualifiedSource, refuseBadName, refuseUnknownBranch, runImport } from './import-run.js';
import { packageDirtyKey } from './dirty-keys.js';

export interface AportsImportOptions {
  /** An aports checkout: `<repo>/<package>/APKBUILD`. */
  readonly dir: string;
  /** The branch the checkout is of. */
  readonly branch: string;
  readonly progress?: ProgressCallback;
}

interface AportsTree {
  /** SHA-256 over every APKBUILD's path and text, in path order: the tree's fingerprint. */
  readonly checksum: string;
  /** Repository (top folder) → the secfixes its APKBUILDs list. */
  readonly repositories: Map<string, SecfixEntry[]>;
  readonly apkbuilds: number;
  readonly warnings: number;
}

/**
 * Imports the `# secfixes:` blocks of an aports checkout as source `aports`: the checkout is the
 * branch's whole aports, so the branch's aports secfixes become exactly what its APKBUILDs list.
 * A package whose APKBUILD left the tree (removed, or moved to another repository) loses its
 * secfixes there. Each repository (first-level folder) is created if new. Changed packages are
 * marked dirty as `package` `${branch}:${package}`.
 */
export function importAports(store: Store, options: AportsImportOptions): Promise<ImportSummary> {
  const branch = branchName(options.branch);
  const { dir } = options;
  const target = { kind: 'aports', location: dir, runSource: qualifiedSource(dir, [`branch ${branch}`]) };
  return runImport(store, target, async (previous) => {
    // The tree is parsed before the fingerprint is known: a walk reads every file anyway, and
    // what it keeps (the secfixes) is small.
    const tree = await readAportsTree(dir, options.progress);
    if (tree.checksum === previous?.checksum) return { status: 'unchanged' };
    return {
      status: 'changed',
      checksum: tree.checksum,
      etag: null,
      lastModified: null,
      dispose: () => Promise.resolve(),
      async write(db, importRunId) {
        await refuseUnknownBranch(db, branch, dir);
        const branchId = await ensureBranch(db, branch);
        for (const repo of tree.repositories.keys()) await ensureRepository(db, branchId, repo);
        const repositories = (await listBranches(db)).find((known) => known.id === branchId)?.repositories ?? [];
        let added = 0;
        let removed = 0;
        const changed: string[] = [];
        for (const repository of repositories) {
          const entries = tree.repositories.get(repository.name) ?? [];
          const result = await replaceSecfixes(db, { repositoryId: repository.id, source: 'aports' }, entries, importRunId);
          added += result.added;
          removed += result.removed;
          changed.push(...result.changedPackages);
        }
        await markDirty(db, 'package', changed.map((pkg) => packageDirtyKey(branch, pkg)));
        const counts = {
          repositories: tree.repositories.size,
          apkbuilds: tree.apkbuilds,
          secfixes: [...tree.repositories.values()].reduce((sum, entries) => sum + entries.length, 0),
          added,
          removed,
          changedPackages: new Set(changed).size,
          warnings: tree.warnings,
        };
        // A tree replaces the branch's aports secfixes: another tree of the same branch undoes it.
        return { counts, target: `aports:${branch}` };
      },
    };
  });
}

async function readAportsTree(dir: string, progress: ProgressCallback | undefined): Promise<AportsTree> {
  const hash = createHash('sha256');
  const repositories = new Map<string, SecfixEntry[]>();
  let apkbuilds = 0;
  let warnings = 0;
  for await (const file of walkAports(dir)) {
    hash.update(`${file.path}\u0000${file.text}\u0000`);
    let parsed;
    try {
      parsed = parseAportsApkbuild(file);
    } catch (error) {
      // The parser names the file by its path in the tree; the user knows it by its full path.
      if (error instanceof InputError && error.source === file.path) throw new InputError(join(dir, file.path), error.place, error.problem);
      throw error;
    }
    refuseBadName(repositoryNameProblem(parsed.repo) ?? packageNameProblem(parsed.package), join(dir, file.path));
    const entries = repositories.get(parsed.repo) ?? [];
    entries.push(...secfixEntries(parsed.package, parsed.secfixes));
    repositories.set(parsed.repo, entries);
    apkbuilds += 1;
    warnings += parsed.warnings.length;
    progress?.(apkbuilds);
  }
  return { checksum: hash.digest('hex'), repositories, apkbuilds, warnings };
}
