/**
 * The keys importers leave in the store's `dirty` table for packages, and `update` reads back:
 * `branch:origin`, or `*:origin` for every branch. (Vulnerabilities are marked by their id.)
 */

export const ANY_BRANCH = '*';

export function packageDirtyKey(branch: string, origin: string): string {
  return `${branch}:${origin}`;
}

/** The branch (or ANY_BRANCH) and origin a package key names. */
export function parsePackageDirtyKey(key: string): { readonly branch: string; readonly origin: string } {
  const separator = key.indexOf(':');
  return { branch: key.slice(0, separator), origin: key.slice(separator + 1) };
}
