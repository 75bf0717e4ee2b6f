/** What a command running under `withInterruption` sees. */
interface Interruption {
  /** Aborted by the first SIGINT or SIGTERM, with `interrupted: SIGTERM received` as its reason. */
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  readonly received: NodeJS.Signals | undefined;
}

/**
 * Runs `work` so the first SIGINT or SIGTERM lets it stop cleanly (downloads abort, their
 * temporary files are removed, their runs recorded as interrupted) instead of killing the
 * process; `once` gives a second signal its default effect, ending secfix at once.
 */
export async function withInterruption<T>(work: (interruption: Interruption) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    received = signal;
    controller.abort(new Error(`interrupted: ${signal} received`));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    return await work({
      signal: controller.signal,
      get received() {
        return received;
      },
    });
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

/** The shell's status for a process a signal stopped: 130 for SIGINT, 143 for SIGTERM. */
export function signalExitCode(signal: NodeJS.Signals): number {
  // node:os is loaded only here: this module is part of the command table every start loads.
  return 128 + process.getBuiltinModule('node:os').constants.signals[signal];
}
