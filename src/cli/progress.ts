import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';
import type { ProgressCallback } from '../tracker/import.js';
import type { CliIo } from './io.js';

interface ProgressBar {
  readonly update: ProgressCallback;
  stop(): void;
}

/**
 * A progress bar for a long task, drawn on stderr only when stderr is the process's own terminal;
 * otherwise (pipes, logs, tests) undefined, so output stays quiet.
 */
export function startProgressBar(io: CliIo, label: string): ProgressBar | undefined {
  if (io.stderr !== process.stderr || process.stderr.isTTY !== true) return undefined;
  let bar: cliProgress.SingleBar | undefined;
  return {
    update(done, total) {
      // The format is fixed once the first report tells whether a total is known.
      if (bar === undefined) {
        // Loaded at the first draw, synchronously (reports are callbacks): runs without a terminal never pay for it.
        const { SingleBar } = createRequire(import.meta.url)('cli-progress') as typeof cliProgress;
        const format = total === undefined ? `${label} {value}` : `${label} [{bar}] {percentage}% {value}/{total} ETA {eta_formatted}`;
        bar = new SingleBar({ format, stream: process.stderr, clearOnComplete: true, hideCursor: true });
        bar.start(total ?? 0, done);
        return;
      }
      if (total !== undefined) bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      bar?.stop();
    },
  };
}
