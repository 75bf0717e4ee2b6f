import type { Kysely } from 'kysely';
import { type ApkIndexEntry, parseApkIndexEntries, readApkIndexArchive } from '../formats/apkindex.js';
import { InputError } from '../base/input-error.js';
import { packageNameProblem, repositoryNameProblem } from '../formats/names.js';
import type { DownloadOptions } from '../sources/acquire.js';
import { isGzip, readInputBytes } from '../sources/file.js';
import { readTrustedKeys } from '../sources/keys.js';
import {
  type IndexedOriginVersion,
  type Schema,
  type Store,
  ensureBranch,
  ensureRepository,
  listBranches,
  markDirty,
  replaceIndexSnapshot,
  setBranchArchs,
} from '../store/index.js';
import { parseVersion } from '../version/index.js';
import { type ImportSummary, type ImportWritten, branchName, prepareFile, qualifiedSource, refuseBadName, refuseUnknownBranch, runImport } from './import-run.js';
import { packageDirtyKey } from './dirty-keys.js';

export interface ApkIndexImportOptions {
  readonly branch: string;
  readonly repo: string;
  /** `APKINDEX.tar.gz` (signed) or plain `APKINDEX` text: a path or URL. */
  readonly location: string;
  /** Retries, size cap and interruption of a URL's download. */
  readonly download?: DownloadOptions | undefined;
  /** Folder of trusted public keys; a signed index is refused without it unless `allowUntrusted`. */
  readonly keysDir?: string;
  readonly allowUntrusted?: boolean;
}

/** One architecture's package index of a repository, grouped into origin versions. */
interface ReadIndex {
  readonly arch: string;
  readonly packages: number;
  readonly originVersions: IndexedOriginVersion[];
  readonly invalidVersions: number;
}

/**
 * Imports one architecture's index of a repository, creating the branch and repository if new.
 * Origins whose published versions changed are marked dirty as `package` `${branch}:${origin}`.
 */
export function importApkIndex(store: Store, options: ApkIndexImportOptions): Promise<ImportSummary> {
  const branch = branchName(options.branch);
  const { repo, location } = options;
  refuseBadName(repositoryNameProblem(repo), location);
  const target = {
    kind: 'apkindex',
    location,
    runSource: qualifiedSource(location, [`branch ${branch}`, `repo ${repo}`]),
  };
  return runImport(store, target, (previous) =>
    prepareFile({ kind: 'apkindex', location, download: options.download }, previous, async (path) => {
      const index = await readIndex(path, location, options);
      return async (db) => {
        await refuseUnknownBranch(db, branch, location);
        return writeIndex(db, branch, repo, index);
      };
    }),
  );
}

async function readIndex(path: string, location: string, options: ApkIndexImportOptions): Promise<ReadIndex> {
  const bytes = await readInputBytes(path);
  let packages: ApkIndexEntry[];
  let indexSource = location;
  if (isGzip(bytes)) {
    if (options.keysDir === undefined && options.allowUntrusted !== true) {
      throw new InputError(location, undefined, 'cannot verify a signed index without a keys folder (--keys DIR) or --allow-untrusted');
    }
    const trustedKeys = options.keysDir === undefined ? new Map<string, string>() : await readTrustedKeys(options.keysDir);
    packages = readApkIndexArchive(bytes, location, { trustedKeys, allowUntrusted: options.allowUntrusted === true }, parseApkIndexEntries).packages;
    indexSource = `${location}:APKINDEX`;
  } else {
    packages = parseApkIndexEntries(bytes.toString('utf8'), location);
  }
  return groupIndex(packages, indexSource);
}

function groupIndex(packages: readonly ApkIndexEntry[], source: string): ReadIndex {
  const archs = new Set<string>();
  for (const pkg of packages) if (pkg.arch !== undefined) archs.add(pkg.arch);
  if (archs.size > 1) {
    throw new InputError(source, undefined, `lists packages of several architectures (${[...archs].sort().join(', ')}); import one index per architecture`);
  }
  const [arch] = archs;
  if (arch === undefined) throw new InputError(source, undefined, 'no package names its architecture (A:), so the index cannot be placed');

  const groups = new Map<string, { entry: IndexedOriginVersion; binaries: string[] }>();
  let invalidVersions = 0;
  for (const pkg of packages) {
    refuseBadName(packageNameProblem(pkg.name), source, `line ${pkg.line}`);
    if (pkg.origin !== pkg.name) refuseBadName(packageNameProblem(pkg.origin), source, `line ${pkg.line}`);
    const version = pkg.version;
    if (version === undefined) throw new InputError(source, `line ${pkg.line}`, `package "${pkg.name}" has no version (V:)`);
    const key = `${pkg.origin}\u0000${version}`;
    const group = groups.get(key);
    if (group !== undefined) {
      group.binaries.push(pkg.name);
      continue;
    }
    // An invalid version is kept (apk still orders it, token by token) and only counted.
    const parsed = parseVersion(version);
    if (!parsed.valid) invalidVersions += 1;
    const binaries = [pkg.name];
    const entry: IndexedOriginVersion = {
      origin: pkg.origin,
      version,
      versionKey: parsed.key,
      maintainer: pkg.maintainer ?? null,
      buildTime: pkg.buildTime === undefined ? null : new Date(pkg.buildTime * 1000).toISOString(),
      commit: pkg.commit ?? null,
      binaries,
    };
    groups.set(key, { entry, binaries });
  }
  return { arch, packages: packages.length, originVersions: [...groups.values()].map((group) => group.entry), invalidVersions };
}

/** Replaces the snapshot of the repository's architecture: the target `apkindex:<branch>/<repo>/<arch>`. */
async function writeIndex(db: Kysely<Schema>, branch: string, repo: string, index: ReadIndex): Promise<ImportWritten> {
  const branchId = await ensureBranch(db, branch);
  const repositoryId = await ensureRepository(db, branchId, repo);
  const known = (await listBranches(db)).find((summary) => summary.id === branchId)?.archs ?? [];
  if (!known.includes(index.arch)) await setBranchArchs(db, branchId, [...known, index.arch]);
  const changes = await replaceIndexSnapshot(db, { repositoryId, arch: index.arch, packages: index.originVersions });
  await markDirty(db, 'package', changes.changedOrigins.map((origin) => packageDirtyKey(branch, origin)));
  const counts = {
    packages: index.packages,
    originVersions: index.originVersions.length,
    versionsAdded: changes.versionsAdded,
    versionsRemoved: changes.versionsRemoved,
    versionsReturned: changes.versionsReturned,
    changedOrigins: changes.changedOrigins.length,
    invalidVersions: index.invalidVersions,
  };
  return { counts, target: `apkindex:${branch}/${repo}/${index.arch}` };
}
