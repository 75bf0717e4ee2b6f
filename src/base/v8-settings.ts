import { setFlagsFromString } from 'node:v8';

/**
 * The V8 settings a secfix process runs with: `src/cli/start.ts` (what `bin/secfix.js` runs)
 * applies them before the bundle is compiled, and the benchmarks that stand for a command
 * (`update`, `serve`) apply them too.
 *
 * - Four times Node 20's interrupt budget before a function is optimized: most commands run a
 *   second or less, and V8's optimizing compiler spent a third of `update`'s instructions on the
 *   3.16 sample compiling functions the process then barely ran (3,573M instructions; 2,623M
 *   with it). Code that runs long (a full update, the server) is still optimized.
 * - The old generation grows by half its live size between full collections, not by V8's
 *   default of up to four times: a full update keeps about 116 MB live at 50k CVEs, and the
 *   heap grew to 487 MB before collecting (peak RSS 506 MB; 362 MB with it, for the same CPU).
 */
export const V8_FLAGS = ['--interrupt-budget=270336', '--heap-growing-percent=50'] as const;

/** Sets `V8_FLAGS` in this process: call before the code they should govern is compiled. */
export function applyV8Settings(): void {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}
