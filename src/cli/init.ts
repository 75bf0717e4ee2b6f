import type { Command } from 'commander';
import { withCliStore } from './database.js';
import type { CliIo, CliStatus } from './io.js';
import { DB_OPTION_HELP } from './options.js';
import { subcommand } from './subcommand.js';

/** `secfix init`: create the database or bring its schema up to date, and say where it is. */
export function initCommand(io: CliIo, _status: CliStatus): Command {
  return subcommand(io, 'init')
    .description('create the database, or bring its schema up to date (every command does this too)')
    .option('--db <url>', DB_OPTION_HELP)
    .addHelpText('after', '\nExamples:\n  secfix init\n  secfix init --db postgres://secfix@localhost/secfix\n')
    .action((flags: { db?: string }) =>
      withCliStore(flags.db, ({ description, appliedMigrations }) => {
        const what = appliedMigrations.length === 0 ? 'schema already up to date' : `applied ${appliedMigrations.join(', ')}`;
        io.stdout.write(`${description}: ${what}\n`);
        return Promise.resolve();
      }, { create: true }),
    );
}
