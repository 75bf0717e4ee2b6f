import { Readable } from 'node:stream';
import type { CliIo } from '../cli/io.js';
import { main } from '../cli/main.js';

/** What one in-process run of the CLI printed and returned. */
export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `secfix ARGV...` in this process with captured output and an empty stdin; `today` is the day it runs on. */
export async function runCli(argv: readonly string[], today?: string): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdin: Readable.from([]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    ...(today === undefined ? {} : { today: () => today }),
  };
  const status = await main(argv, io);
  return { status, stdout, stderr };
}
