import type { Command } from 'commander';
import type { ImportSummary } from '../tracker/import.js';
import type { SyncSummary } from '../tracker/sync.js';
import { withCliStore } from './database.js';
import type { CliIo, CliStatus } from './io.js';
import { DB_OPTION_HELP } from './options.js';
import { startProgressBar } from './progress.js';
import { subcommand } from './subcommand.js';

/** One line per source and one for the update, for people. */
export function describeSync(summary: SyncSummary): string {
  const line = (item: ImportSummary) =>
    item.status === 'unchanged'
      ? `  ${item.kind.padEnd(10)} unchanged  ${item.source}`
      : `  ${item.kind.padEnd(10)} imported   ${item.source} (${Object.entries(item.counts).map(([name, count]) => `${name} ${count}`).join(', ')})`;
  const { update } = summary;
  return [
    ...summary.imports.map(line),
    `  update     ${update.pairs} pairs decided, ${update.written} states written, ${update.transitions} changes, ${update.deleted} removed (${update.durationMs} ms)`,
  ].join('\n');
}

/** `secfix sync --config FILE`: fetch and import every configured source, then update. */
export function syncCommand(io: CliIo, _status: CliStatus): Command {
  return subcommand(io, 'sync')
    .description('fetch every source the configuration lists (skipping unchanged ones by checksum, ETag or Last-Modified), import what changed and update states')
    .option('--config <file>', 'configuration file (YAML); see config/alpine.yaml', './secfix.yaml')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--allow-untrusted', 'accept indexes whose signature cannot be verified', false)
    .option('--json', 'print the summary as one JSON object', false)
    .addHelpText('after', '\nExamples:\n  secfix sync --config config/alpine.yaml\n  secfix sync --config data/demo.yaml --db sqlite:demo.db\n')
    .action(async (flags: { config: string; db?: string; allowUntrusted?: boolean; json?: boolean }) => {
      const [{ loadConfig }, { syncFromConfig }] = await Promise.all([import('../sources/config.js'), import('../tracker/sync.js')]);
      const config = await loadConfig(flags.config);
      await withCliStore(flags.db, async ({ store }) => {
        let bar: ReturnType<typeof startProgressBar>;
        try {
          const summary = await syncFromConfig(store, config, {
            allowUntrusted: flags.allowUntrusted === true,
            onSource: (kind, location) => {
              bar?.stop();
              bar = startProgressBar(io, `${kind} ${location}`);
              return bar?.update;
            },
          });
          bar?.stop();
          io.stdout.write(flags.json === true ? `${JSON.stringify(summary)}\n` : `${describeSync(summary)}\n`);
        } finally {
          bar?.stop();
        }
      }, { create: true });
    });
}
