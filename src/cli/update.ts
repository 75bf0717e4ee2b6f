import type { Command } from 'commander';
import { withCliStore } from './database.js';
import { type CliIo, type CliStatus, printResult } from './io.js';
import { CONFIG_OPTION_HELP, DB_OPTION_HELP, mappingRulesFor } from './options.js';
import { subcommand } from './subcommand.js';

interface UpdateFlags {
  db?: string;
  config?: string;
  full?: boolean;
  json?: boolean;
}

/** `secfix update [--full]`: recompute the states whose inputs changed (or all of them). */
export function updateCommand(io: CliIo, _status: CliStatus): Command {
  return subcommand(io, 'update')
    .description(
      'recompute vulnerability states from the stored data: only pairs whose inputs changed since the last update, or all with --full ' +
        '(the first update, over no states, recomputes all and says full); ' +
        'then store what the web pages show that depends only on the data (home counts, triage queue counts, quality report, search names), when the data changed; ' +
        'the incremental update rechecks the quality report only where the changes reach',
    )
    .option('--db <url>', DB_OPTION_HELP)
    .option('--config <file>', CONFIG_OPTION_HELP)
    .option('--full', 'recompute every pair and rebuild the quality report whole (gives the same result as the incremental update)', false)
    .option('--json', 'print the summary as one JSON object', false)
    .addHelpText('after', '\nExamples:\n  secfix update\n  secfix update --full --db postgres://postgres@127.0.0.1/secfix\n')
    .action(async (flags: UpdateFlags) => {
      const [rules, { updateStates }] = await Promise.all([mappingRulesFor(flags.config), import('../tracker/update.js')]);
      await withCliStore(flags.db, async ({ store }) => {
        const summary = await updateStates(store, { full: flags.full === true, rules });
        printResult(
          io,
          flags.json,
          summary,
          () =>
            `${summary.mode} update in ${summary.durationMs} ms: ${summary.originsRecomputed} packages recomputed over ${summary.branches} branches, ` +
            `${summary.pairs} pairs, ${summary.written} states written, ${summary.transitions} state changes, ${summary.deleted} removed\n`,
        );
      });
    });
}
