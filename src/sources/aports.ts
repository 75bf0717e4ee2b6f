import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../base/input-error.js';
import type { ApkbuildFile } from '../formats/secfixes.js';
import { readInputBytes } from './file.js';

/** True when `path` is a directory (an aports tree), false for a file; a missing path is InputError. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(path, undefined, code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${(error as Error).message}`);
  }
}

async function listDirectory(path: string): Promise<Dirent[]> {
  try {
    return await readdir(path, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT' ? 'no such directory'
      : code === 'ENOTDIR' ? 'not a directory, expected an aports tree'
      : `cannot read: ${(error as Error).message}`;
    throw new InputError(path, undefined, problem);
  }
}

/** Hidden entries such as `.git` or `.gitlab` are tooling, not repositories or packages. */
function visibleDirectories(entries: readonly Dirent[]): string[] {
  return entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name);
}

/** Largest APKBUILD read: real ones stay under 100 KiB; this keeps a hostile one from exhausting memory. */
const MAX_APKBUILD_BYTES = 4 << 20;

/** Reads one APKBUILD, refusing (before reading) a file larger than MAX_APKBUILD_BYTES. */
export async function readApkbuild(path: string): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return readInputBytes(path);
  }
  if (size > MAX_APKBUILD_BYTES) throw new InputError(path, undefined, `${size} bytes, more than the ${MAX_APKBUILD_BYTES} an APKBUILD may have`);
  return readInputBytes(path);
}

/**
 * Lists every `<repo>/<package>/APKBUILD` under an aports checkout (any first-level directory:
 * main, community, testing, ...), then reads them one at a time in path order, so memory holds
 * one APKBUILD at a time. Paths are relative to `root` and `/`-separated; text is decoded
 * leniently for the reason given in parseApkbuild.
 */
export async function* walkAports(root: string): AsyncGenerator<ApkbuildFile> {
  const paths: string[] = [];
  for (const repo of visibleDirectories(await listDirectory(root))) {
    for (const pkg of visibleDirectories(await listDirectory(join(root, repo)))) {
      const entries = await listDirectory(join(root, repo, pkg));
      if (entries.some((entry) => entry.name === 'APKBUILD' && entry.isFile())) paths.push(`${repo}/${pkg}/APKBUILD`);
    }
  }
  // Whole paths in code-unit order, not repo then package: `a-b/x` sorts before `a/x`.
  paths.sort();
  for (const path of paths) {
    const bytes = await readApkbuild(join(root, ...path.split('/')));
    yield { path, text: bytes.toString('utf8') };
  }
}
