import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../base/input-error.js';
import { readInput } from '../sources/file.js';
import { advise } from '../engine/upgrades.js';
import { type BranchSource, decideBranch } from './branch.js';
import { type ImageDescription, type ImageSystem, isImageFolder, readImageArchive, readImageFolder } from './image.js';
import type { Finding, PublishedVersions, ScanWarning, SecurityData } from '../engine/scan-model.js';
import { readPublishedVersions } from './published.js';
import { readRootfs } from './rootfs.js';
import { parseSecdbForBranch, readSecdbSources, secdbSecurityData } from './secdb-files.js';
import { MAX_REQUEST_PACKAGES, fetchSecurityData, securityDataFromJson } from './tracker-api.js';
import { SYSTEM_FILES, type SystemFileName, type SystemFiles, readSystem } from './system.js';

/** Loads one branch's security data, for the origins installed. */
export type SecurityDataLoader = (branch: string, origins: readonly string[]) => Promise<SecurityData>;

export interface ScanOptions {
  /**
   * What to scan: a root filesystem folder, an image tarball or an unpacked image folder
   * (`target`), or an installed database file (`installed`).
   */
  readonly input: { readonly target: string } | { readonly installed: string };
  /** `--branch`, already normalized (`3.16`, `edge`). */
  readonly branch?: string;
  readonly loadSecurityData: SecurityDataLoader;
  /** APKINDEX files telling what the branch publishes now. */
  readonly index?: readonly string[];
  readonly keysDir?: string;
  /** Cap on the bytes an image decompresses to (`--max-image-bytes`); DEFAULT_MAX_IMAGE_BYTES when absent. */
  readonly maxImageBytes?: number;
  /** `YYYY-MM-DD`. */
  readonly today: string;
}

interface ScanTarget {
  readonly kind: 'rootfs' | 'image' | 'installed';
  readonly path: string;
  /** The installed database findings point at: root-relative, or the file given. */
  readonly installedDb: string;
  readonly image?: ImageDescription;
}

export interface ScanReport {
  readonly target: ScanTarget;
  readonly system: {
    readonly branch: string;
    readonly branchSource: BranchSource;
    readonly release: string | undefined;
    readonly arch: string | undefined;
    readonly packages: number;
  };
  readonly securityData: Pick<SecurityData, 'kind' | 'sources' | 'repos'>;
  readonly index: Omit<PublishedVersions, 'newest'> | undefined;
  readonly findings: readonly Finding[];
  readonly warnings: readonly ScanWarning[];
}

/** Security data from secdb files, folders and published folders (verified with `keysDir` when given), chosen by each document's branch. */
export function secdbLoader(paths: readonly string[], keysDir?: string): SecurityDataLoader {
  return async (branch) => {
    const sources = await readSecdbSources(paths, keysDir);
    const { files, branches } = parseSecdbForBranch(sources, branch);
    const data = secdbSecurityData(files, branch);
    if (data === undefined) {
      throw new InputError(paths.join(', '), undefined, `no secdb document for branch ${branch} (the ${sources.length} read cover ${branches.join(', ')})`);
    }
    return data;
  };
}

/** Security data from a running tracker's API; `baseUrl` as trackerBaseUrl returns it. */
export function serverLoader(baseUrl: string): SecurityDataLoader {
  return async (branch, origins) => {
    // No branch has this many origins; say so rather than send a request the tracker refuses.
    if (origins.length > MAX_REQUEST_PACKAGES) {
      throw new InputError(baseUrl, undefined, `the system has ${origins.length} origin packages; the tracker answers at most ${MAX_REQUEST_PACKAGES}`);
    }
    const { url, body } = await fetchSecurityData(baseUrl, branch, origins);
    const data = securityDataFromJson(body, url);
    if (data.branch !== branch) throw new InputError(url, '$.branch', `the tracker answered for branch ${data.branch}, not ${branch}`);
    return data;
  };
}

interface LoadedTarget {
  readonly target: ScanTarget;
  readonly files: SystemFiles;
  readonly label: (name: SystemFileName) => string;
  readonly warnings: readonly ScanWarning[];
}

function fromImage(path: string, loaded: ImageSystem): LoadedTarget {
  return {
    target: { kind: 'image', path, installedDb: SYSTEM_FILES.installed, image: loaded.image },
    files: loaded.files,
    label: (name) => `${path}: ${SYSTEM_FILES[name]}`,
    warnings: loaded.warnings,
  };
}

async function loadTarget(input: ScanOptions['input'], maxImageBytes: number | undefined): Promise<LoadedTarget> {
  if ('installed' in input) {
    const path = input.installed;
    return { target: { kind: 'installed', path, installedDb: path }, files: { installed: await readInput(path) }, label: () => path, warnings: [] };
  }
  const path = input.target;
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch {
    throw new InputError(path, undefined, 'no such file or folder');
  }
  if (!isFolder) return fromImage(path, await readImageArchive(path, maxImageBytes));
  if (isImageFolder(path)) return fromImage(path, await readImageFolder(path, maxImageBytes));
  return { target: { kind: 'rootfs', path, installedDb: SYSTEM_FILES.installed }, files: readRootfs(path), label: (name) => join(path, SYSTEM_FILES[name]), warnings: [] };
}

/**
 * Scans one system: reads it, decides its branch, loads that branch's security data and the
 * published versions, and returns the findings with every warning met on the way. Bad input
 * throws InputError naming the file.
 */
export async function runScan(options: ScanOptions): Promise<ScanReport> {
  const loaded = await loadTarget(options.input, options.maxImageBytes);
  const { target } = loaded;
  const installed = loaded.files.installed;
  if (installed === undefined) {
    throw target.kind === 'image'
      ? new InputError(target.path, undefined, `no ${SYSTEM_FILES.installed} in the image: not an apk-based image`)
      : new InputError(loaded.label('installed'), undefined, 'no such file: not an apk-based root filesystem');
  }
  const system = readSystem(installed, loaded.files, loaded.label);
  const decision = decideBranch(system, options.branch);
  if (decision.branch === undefined || decision.source === undefined) {
    throw new InputError(
      loaded.label('installed'),
      undefined,
      'cannot tell the Alpine branch (no etc/alpine-release, alpine-release package, os-release or versioned repository): give --branch',
    );
  }
  const branch = decision.branch;
  const origins = [...new Set(system.packages.map((pkg) => pkg.origin))];
  const data = await options.loadSecurityData(branch, origins);
  const published = options.index === undefined || options.index.length === 0 ? undefined : await readPublishedVersions(options.index, options.keysDir);
  const advice = advise({ packages: system.packages, data, published: published?.newest, today: options.today });

  const warnings: ScanWarning[] = [...loaded.warnings, ...decision.warnings];
  for (const indexBranch of published?.branches ?? []) {
    if (indexBranch !== branch) warnings.push({ code: 'index-branch-mismatch', message: `an index given is for branch ${indexBranch}, not ${branch}` });
  }
  const uncovered = new Set(
    system.repositories.flatMap((repository) => (repository.branch === branch && repository.repo !== undefined && !data.repos.includes(repository.repo) ? [repository.repo] : [])),
  );
  for (const repo of uncovered) {
    warnings.push({ code: 'repo-not-covered', message: `etc/apk/repositories uses ${branch}/${repo} but the security data has no ${repo}: its packages are not checked` });
  }
  warnings.push(...advice.warnings);
  return {
    target,
    system: { branch, branchSource: decision.source, release: decision.release, arch: system.arch, packages: system.packages.length },
    securityData: { kind: data.kind, sources: data.sources, repos: data.repos },
    index: published === undefined ? undefined : { sources: published.sources, branches: published.branches },
    findings: advice.findings,
    warnings,
  };
}
