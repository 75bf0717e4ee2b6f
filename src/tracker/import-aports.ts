import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { InputError } from '../formats/input-error.js';
import { parseAportsApkbuild } from '../formats/secfixes.js';
import { walkAports } from '../sources/aports.js';
import { type SecfixEntry, type Store, ensureBranch, ensureRepository, markDirty, replaceSecfixes } from '../store/index.js';
import { secfixEntries } from './import-secdb.js';
import { type ImportSummary, type ProgressCallback, branchName, qualifiedSource, runImport } from './import-run.js';
import { packageDirtyKey } from './dirty-keys.js';

export interface AportsImportOptions {
  /** An aports checkout: `<repo>/<package>/APKBUILD`. */
  readonly dir: string;
  /** The branch the checkout is of. */
  readonly branch: string;
  readonly progress?: ProgressCallback;
}

/** One repository's APKBUILDs: every package found, and the secfixes they list. */
interface AportsRepository {
  readonly packages: string[];
  readonly entries: SecfixEntry[];
}

interface AportsTree {
  /** SHA-256 over every APKBUILD's path and text, in path order: the tree's fingerprint. */
  readonly checksum: string;
  readonly repositories: Map<string, AportsRepository>;
  readonly apkbuilds: number;
  readonly warnings: number;
}

/**
 * Imports the `# secfixes:` blocks of an aports checkout as source `aports`. Each repository
 * (first-level folder) is created if new; for every package that has an APKBUILD, its aports
 * secfixes become exactly what the APKBUILD lists. Changed packages are marked dirty as
 * `package` `${branch}:${package}`.
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
        const branchId = await ensureBranch(db, branch);
        let added = 0;
        let removed = 0;
        const changed: string[] = [];
        for (const [repo, { packages, entries }] of tree.repositories) {
          const repositoryId = await ensureRepository(db, branchId, repo);
          const result = await replaceSecfixes(db, { repositoryId, source: 'aports', packages }, entries, importRunId);
          added += result.added;
          removed += result.removed;
          changed.push(...result.changedPackages);
        }
        await markDirty(db, 'package', changed.map((pkg) => packageDirtyKey(branch, pkg)));
        const counts = {
          repositories: tree.repositories.size,
          apkbuilds: tree.apkbuilds,
          secfixes: [...tree.repositories.values()].reduce((sum, repository) => sum + repository.entries.length, 0),
          added,
          removed,
          changedPackages: new Set(changed).size,
          warnings: tree.warnings,
        };
        // A tree replaces the aports secfixes of the packages it has, in each of its repositories.
        // The target is the branch, a superset of that: one value to compare, and another tree of
        // the same branch (even of other repositories) at worst costs this one a needless re-import.
        return { counts, target: `aports:${branch}` };
      },
    };
  });
}

async function readAportsTree(dir: string, progress: ProgressCallback | undefined): Promise<AportsTree> {
  const hash = createHash('sha256');
  const repositories = new Map<string, AportsRepository>();
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
    let repository = repositories.get(parsed.repo);
    if (repository === undefined) {
      repository = { packages: [], entries: [] };
      repositories.set(parsed.repo, repository);
    }
    repository.packages.push(parsed.package);
    repository.entries.push(...secfixEntries(parsed.package, parsed.secfixes));
    apkbuilds += 1;
    warnings += parsed.warnings.length;
    progress?.(apkbuilds);
  }
  return { checksum: hash.digest('hex'), repositories, apkbuilds, warnings };
}
