import { compareVersions } from '../version/index.js';
import { badRequest } from './errors.js';

/** Orders branch names as people read them: `edge` first, then releases newest first (3.22 before 3.9). */
export function compareBranchNames(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'edge') return -1;
  if (b === 'edge') return 1;
  return compareVersions(b, a);
}

/** The names of `branches` in reading order. */
export function branchNamesInOrder(branches: readonly { readonly name: string }[]): string[] {
  return branches.map((branch) => branch.name).sort(compareBranchNames);
}

/** A 400 unless `branch`, when given, is one of `branchNames`. */
export function requireKnownBranch(branch: string | undefined, branchNames: readonly string[]): void {
  if (branch !== undefined && !branchNames.includes(branch)) {
    throw badRequest(`unknown branch "${branch}"; the branches are ${branchNames.join(', ')}`);
  }
}
