import { dayOf } from '../engine/end-of-support.js';

/** Where a command reads and writes, so tests can run commands in-process. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /**
   * Today as `YYYY-MM-DD` (UTC): the day end-of-support is judged on, asked here and nowhere else
   * (tests pass a day from their data). The clock's day when absent.
   */
  readonly today?: () => string;
}

/** The day `io` says it is (see `CliIo.today`). */
export function todayOf(io: CliIo): string {
  return io.today === undefined ? dayOf(new Date()) : io.today();
}

/** The exit status a command leaves behind; commands set it, main returns it. */
export interface CliStatus {
  exitCode: number;
}

/** Thrown for a wrong command line; main prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Prints a command's result: with `--json` (`json` true) as one line of JSON, otherwise as the
 * text `asText` gives, which ends with a newline.
 */
export function printResult(io: CliIo, json: boolean | undefined, value: unknown, asText: () => string): void {
  io.stdout.write(json === true ? `${JSON.stringify(value)}\n` : asText());
}

export const processIo: CliIo = {
  // Read only by a command that reads it: making process.stdin loads Node's stream modules.
  get stdin() {
    return process.stdin;
  },
  stdout: process.stdout,
  stderr: process.stderr,
};
