import { Command } from 'commander';
import type { CliIo } from './io.js';

/**
 * A command that reports usage errors and help like the top-level program does: through `io`,
 * and by throwing CommanderError (main turns it into exit 2, or 0 for help) instead of exiting
 * the process. Commander copies these settings only to commands made with `.command()`, not to
 * commands built separately and attached with `.addCommand()`.
 */
export function subcommand(io: CliIo, name: string): Command {
  return withCliOutput(new Command(name), io);
}

/**
 * Sends commander's output through `io` and makes it throw instead of exiting; a usage error
 * is one line, `secfix: PROBLEM; see --help`, like every other failure.
 */
export function withCliOutput(command: Command, io: CliIo): Command {
  return command
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`secfix: ${text.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').replace(/\.$/, '')}; see --help\n`),
    })
    .exitOverride();
}
