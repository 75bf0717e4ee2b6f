import { type AlpineRelease, type ApkRepository, type InstalledPackage, parseAlpineRelease, parseApkArch, parseApkRepositories, parseInstalledDb } from '../formats/installed.js';
import { parseOsRelease } from '../formats/os-release.js';

/** The files a scan reads from a system, relative to its root. */
export const SYSTEM_FILES = {
  installed: 'lib/apk/db/installed',
  repositories: 'etc/apk/repositories',
  arch: 'etc/apk/arch',
  alpineRelease: 'etc/alpine-release',
  osRelease: 'etc/os-release',
} as const;
export type SystemFileName = keyof typeof SYSTEM_FILES;

/** os-release(5): when `/etc/os-release` is missing, readers use `/usr/lib/os-release`. */
export const OS_RELEASE_FALLBACK = 'usr/lib/os-release';

/** The system files found, by name; `installed` is the one a scan cannot do without. */
export type SystemFiles = Partial<Record<SystemFileName, Buffer>>;

/** What a system's own files say about it. */
export interface ScannedSystem {
  readonly packages: readonly InstalledPackage[];
  /** `etc/apk/arch`. */
  readonly arch: string | undefined;
  /** `etc/alpine-release`. */
  readonly alpineRelease: AlpineRelease | undefined;
  /** `etc/os-release` variables (`ID`, `VERSION_ID`, …). */
  readonly osRelease: ReadonlyMap<string, string> | undefined;
  readonly repositories: readonly ApkRepository[];
}

/**
 * Parses a system's files. `label` names a file for error messages (the path on disk, or the
 * image and the path inside it). Bad content throws InputError naming the file and the place.
 */
export function readSystem(installed: Buffer, files: SystemFiles, label: (name: SystemFileName) => string): ScannedSystem {
  const text = (name: SystemFileName) => files[name]?.toString('utf8');
  const archText = text('arch');
  const arch = archText === undefined ? undefined : parseApkArch(archText, label('arch'));
  const releaseText = text('alpineRelease');
  const osReleaseText = text('osRelease');
  const repositoriesText = text('repositories');
  return {
    packages: parseInstalledDb(installed.toString('utf8'), label('installed')),
    arch,
    alpineRelease: releaseText === undefined ? undefined : parseAlpineRelease(releaseText, label('alpineRelease')),
    osRelease: osReleaseText === undefined ? undefined : parseOsRelease(osReleaseText),
    repositories: repositoriesText === undefined ? [] : parseApkRepositories(repositoriesText, arch === undefined ? {} : { arch }).repositories,
  };
}

/** Collects the system files `read` finds (root-relative paths), with os-release's fallback. */
export function collectSystemFiles(read: (path: string) => Buffer | undefined): SystemFiles {
  const files: SystemFiles = {};
  for (const [name, path] of Object.entries(SYSTEM_FILES) as [SystemFileName, string][]) {
    const content = read(path) ?? (name === 'osRelease' ? read(OS_RELEASE_FALLBACK) : undefined);
    if (content !== undefined) files[name] = content;
  }
  return files;
}
