import type { ApkPackage } from '../formats/apkindex.js';
import { parseApkIndexText, readApkIndexArchive } from '../formats/apkindex.js';
import { InputError } from '../base/input-error.js';
import { isGzip, readInputBytes } from '../sources/file.js';
import { readTrustedKeys } from '../sources/keys.js';
import { compareVersions, isValidVersion } from '../version/index.js';
import type { PublishedVersions } from '../engine/scan-model.js';

/** `v3.16.3-13-g4d933a1fa3` (an index's DESCRIPTION, from `git describe` of aports) → `3.16`. */
function descriptionBranch(description: string | undefined): string | undefined {
  return description === undefined ? undefined : /^v(\d+\.\d+)\./.exec(description)?.[1];
}

/** Adds each package's version to the newest known for its origin. */
function addNewest(newest: Map<string, string>, packages: readonly ApkPackage[]): void {
  for (const pkg of packages) {
    if (pkg.version === undefined || !isValidVersion(pkg.version)) continue;
    const known = newest.get(pkg.origin);
    if (known === undefined || compareVersions(pkg.version, known) > 0) newest.set(pkg.origin, pkg.version);
  }
}

/**
 * The newest version of each origin the given indexes publish. A signed `APKINDEX.tar.gz` is
 * verified against `--keys DIR` and refused without it; plain APKINDEX text is read as is.
 */
export async function readPublishedVersions(paths: readonly string[], keysDir: string | undefined): Promise<PublishedVersions> {
  const newest = new Map<string, string>();
  const branches = new Set<string>();
  let trustedKeys: Map<string, string> | undefined;
  for (const path of paths) {
    const bytes = await readInputBytes(path);
    if (!isGzip(bytes)) {
      addNewest(newest, parseApkIndexText(bytes.toString('utf8'), path));
      continue;
    }
    if (keysDir === undefined) throw new InputError(path, undefined, 'cannot verify a signed index without --keys DIR');
    trustedKeys ??= await readTrustedKeys(keysDir);
    const archive = readApkIndexArchive(bytes, path, { trustedKeys });
    addNewest(newest, archive.packages);
    const branch = descriptionBranch(archive.description);
    if (branch !== undefined) branches.add(branch);
  }
  return { newest, sources: [...paths], branches: [...branches].sort() };
}
