/** Where a command reads and writes, so tests can run commands in-process. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** The exit status a command leaves behind; commands set it, main returns it. */
export interface CliStatus {
  exitCode: number;
}

/** Thrown for a wrong command line; main prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const processIo: CliIo = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
};
