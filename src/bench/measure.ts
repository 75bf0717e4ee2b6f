/** Small timing helpers shared by the benchmarks. */

/** Milliseconds since `start` (from `process.hrtime.bigint()`), with microsecond precision. */
export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs `fn` repeatedly for about `targetMs` and returns operations per second. */
export function opsPerSecond(fn: () => number, opsPerCall: number, targetMs = 1000): number {
  fn(); // warm up the JIT before timing
  let calls = 0;
  const start = process.hrtime.bigint();
  let spent = 0;
  while (spent < targetMs) {
    fn();
    calls += 1;
    spent = elapsedMs(start);
  }
  return Math.round((calls * opsPerCall) / (spent / 1000));
}

/** Median of several runs of `fn`, in milliseconds. */
export function medianMs(fn: () => void, runs = 7): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = process.hrtime.bigint();
    fn();
    times.push(elapsedMs(start));
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]! * 100) / 100;
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
