import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../base/input-error.js';
import { resolvePath } from './layers.js';
import { type SystemFiles, collectSystemFiles } from './system.js';

/*
 * Reading the system files of a root filesystem folder (a mounted image, a chroot, `/`).
 * Symlinks are followed inside the root, never out of it: an image's absolute link
 * `etc/os-release -> /usr/lib/os-release` means the image's file, not the host's.
 */

function fsError(path: string, error: unknown): InputError {
  const code = (error as NodeJS.ErrnoException).code;
  const problem = code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory, expected a file' : `cannot read: ${(error as Error).message}`;
  return new InputError(path, undefined, problem);
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The target of the symlink at `path` inside `root`, or undefined when it is none (or absent). */
function readLinkInRoot(root: string, path: string): string | undefined {
  const onDisk = join(root, path);
  try {
    return lstatSync(onDisk).isSymbolicLink() ? readlinkSync(onDisk) : undefined;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw fsError(onDisk, error);
  }
}

/** A file inside `root` after resolving links inside it; undefined when it does not exist. */
function readInRoot(root: string, path: string): Buffer | undefined {
  const resolved = resolvePath(path, (candidate) => readLinkInRoot(root, candidate));
  if (resolved === undefined) throw new InputError(join(root, path), undefined, 'too many levels of symbolic links');
  const onDisk = join(root, resolved);
  try {
    return readFileSync(onDisk);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw fsError(onDisk, error);
  }
}

/** The system files present under `root`. */
export function readRootfs(root: string): SystemFiles {
  return collectSystemFiles((path) => readInRoot(root, path));
}
