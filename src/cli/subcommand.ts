import { Command } from 'commander';
import type { CliIo } from './io.js';

/**
 * A command that reports usage errors and help like the top-level program does: through `io`,
 * and by throwing CommanderError (main turns it into exit 2, or 0 for help) instead of exiting
 * the process. Commander copies these settings only to commands made with `.command()`, not to
 * commands built separately and attached with `.addCommand()`.
 */
export function subcommand(io: CliIo, name: string): Command {
  return new Command(name)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
}
