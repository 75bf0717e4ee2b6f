import type { Command } from 'commander';
import type { SyncSourceResult, SyncSummary } from '../tracker/sync.js';
import { withCliStore } from './database.js';
import { withInterruption, signalExitCode } from './interrupt.js';
import { type CliIo, type CliStatus, UsageError, printResult } from './io.js';
import { DB_OPTION_HELP, parseByteSize } from './options.js';
import { startProgressBar } from './progress.js';
import { subcommand } from './subcommand.js';

/** One line per source and one for the update, for people. */
function describeSync(summary: SyncSummary): string {
  const line = (item: SyncSourceResult) => {
    const start = `  ${item.kind.padEnd(10)} ${item.status.padEnd(10)} ${item.location}`;
    if (item.status === 'failed') return `${start}: ${item.error ?? 'failed'}`;
    if (item.status === 'unchanged') return start;
    return `${start} (${Object.entries(item.counts).map(([name, count]) => `${name} ${count}`).join(', ')})`;
  };
  const { update } = summary;
  return [
    ...summary.sources.map(line),
    update === null
      ? `  update     skipped (${summary.interrupted ?? 'not run'})`
      : `  update     ${update.pairs} pairs decided, ${update.written} states written, ${update.transitions} changes, ${update.deleted} removed (${update.durationMs} ms)`,
  ].join('\n');
}

const HELP = `
Every source is fetched, even when another fails: what can be imported is imported (each source
in its own transaction), then states are updated. Downloads are retried on HTTP 5xx and 429
(4 tries, backoff from 1 s, waiting as Retry-After says, up to 60 s) and capped in size: by
default 64 MiB for an index or secdb file, 1 GiB for an NVD feed, 16 MiB for a CVE 5 record or
a rejections file. SIGINT or SIGTERM stops the download under way, removes its temporary file,
records its run as interrupted and skips the update; a second signal ends secfix at once.

Exit status: 0 every source imported or unchanged; 2 a source failed (the others are still
imported and states updated) or bad usage; 130 or 143 interrupted by SIGINT or SIGTERM.

Examples:
  secfix sync --config config/alpine.yaml
  secfix sync --config data/demo.yaml --db sqlite:demo.db --json
  secfix sync --config config/alpine.yaml --max-download-bytes 2G
`;

/** `secfix sync --config FILE`: fetch and import every configured source, then update. */
export function syncCommand(io: CliIo, status: CliStatus): Command {
  return subcommand(io, 'sync')
    .description('fetch every source the configuration lists (skipping unchanged ones by checksum, ETag or Last-Modified), import what changed and update states')
    .option('--config <file>', 'configuration file (YAML); see config/alpine.yaml', './secfix.yaml')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--allow-untrusted', 'accept indexes whose signature cannot be verified', false)
    .option('--max-download-bytes <size>', 'largest download accepted from any source, e.g. 512M or 2G (default: per kind of source, see below)')
    .option('--json', 'print {sources: [{kind, location, status, counts, error}], update, interrupted} as one JSON object', false)
    .addHelpText('after', HELP)
    .action(async (flags: { config: string; db?: string; allowUntrusted?: boolean; maxDownloadBytes?: string; json?: boolean }) => {
      const maxBytes = flags.maxDownloadBytes === undefined ? undefined : parseByteSize(flags.maxDownloadBytes);
      if (flags.maxDownloadBytes !== undefined && maxBytes === undefined) {
        throw new UsageError(`--max-download-bytes ${JSON.stringify(flags.maxDownloadBytes)}: expected a byte count such as 500000, 64M or 2G`);
      }
      const [{ loadConfig }, { syncFromConfig }] = await Promise.all([import('../sources/config.js'), import('../tracker/sync.js')]);
      const config = await loadConfig(flags.config);
      await withInterruption((interruption) =>
        withCliStore(flags.db, async ({ store }) => {
          let bar: ReturnType<typeof startProgressBar>;
          try {
            const summary = await syncFromConfig(store, config, {
              allowUntrusted: flags.allowUntrusted === true,
              download: { signal: interruption.signal, ...(maxBytes === undefined ? {} : { maxBytes }) },
              onSource: (kind, location) => {
                bar?.stop();
                bar = startProgressBar(io, `${kind} ${location}`);
                return bar?.update;
              },
            });
            bar?.stop();
            printResult(io, flags.json, summary, () => `${describeSync(summary)}\n`);
            const failed = summary.sources.filter((source) => source.status === 'failed').length;
            const { received } = interruption;
            if (received !== undefined) {
              io.stderr.write(`secfix: sync ${summary.interrupted ?? 'interrupted'}; the update was skipped\n`);
              status.exitCode = signalExitCode(received);
            } else if (failed > 0) {
              io.stderr.write(`secfix: ${failed} of ${summary.sources.length} sources failed; the others were imported and states updated\n`);
              status.exitCode = 2;
            }
          } finally {
            bar?.stop();
          }
        }, { create: true }),
      );
    });
}
