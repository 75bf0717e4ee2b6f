import { compareVersions } from '../version/index.js';

/** Orders branch names as people read them: `edge` first, then releases newest first (3.22 before 3.9). */
export function compareBranchNames(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'edge') return -1;
  if (b === 'edge') return 1;
  return compareVersions(b, a);
}

/** Whether a branch is still supported on `today` (`YYYY-MM-DD`): no end date, or one not yet reached. */
export function isSupported(endOfSupport: string | null, today: string): boolean {
  return endOfSupport === null || endOfSupport.slice(0, 10) > today;
}
