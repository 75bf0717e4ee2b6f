import { fileURLToPath } from 'node:url';

/** Absolute path of a file in the repository, for tests reading bundled fixtures. */
export function repoPath(...segments: string[]): string {
  return fileURLToPath(new URL(['..', '..', ...segments].join('/'), import.meta.url));
}
