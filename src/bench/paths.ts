import { fileURLToPath } from 'node:url';

/** Absolute path of a file shipped in the repository (the bench runs from dist/bench). */
export function bundledPath(...segments: string[]): string {
  return fileURLToPath(new URL(['..', '..', ...segments].join('/'), import.meta.url));
}
