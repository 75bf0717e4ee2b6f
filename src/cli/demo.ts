import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../base/input-error.js';
import { withCliStore } from './database.js';
import { type CliIo, type CliStatus, UsageError, todayOf } from './io.js';
import { stateSummary, stateSummaryTable } from './query.js';
import { type ServeFlags, checkListenable, serveUntilStopped, withServeOptions } from './serve.js';
import { subcommand } from './subcommand.js';

/** Whether anything (a file, a folder, a dangling link) is at `path`. */
async function pathExists(path: string): Promise<boolean> {
  try {
    await (await import('node:fs/promises')).lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** `secfix demo`: a fresh SQLite database built from the Alpine sample data in data/, offline, then served. */
export function demoCommand(io: CliIo, _status: CliStatus): Command {
  return withServeOptions(
    subcommand(io, 'demo')
      .description('build a fresh SQLite database from the bundled Alpine sample data (offline), summarize it and serve it over HTTP')
      .option('--file <path>', 'the SQLite file to create, or to replace when an earlier demo built it (any other file is left alone)', './secfix-demo.db')
      .option('--no-serve', 'build and summarize only; do not start the web server')
      .option('--json', 'print the sync summary and the state counts as one JSON object (implies --no-serve)', false),
  ).action(async (flags: ServeFlags & { file: string; json?: boolean; serve: boolean }) => {
    const file = resolve(flags.file);
    if (flags.serve && flags.json !== true) await checkListenable(flags);
    const { createDemoDatabase, isDemoDatabase } = await import('../store/index.js');
    if ((await pathExists(file)) && !(await isDemoDatabase(file))) {
      throw new UsageError(`--file ${file}: exists and is not a database secfix demo built; choose another path or remove it`);
    }
    const { rm } = await import('node:fs/promises');
    await Promise.all(['', '-wal', '-shm'].map((suffix) => rm(`${file}${suffix}`, { force: true })));
    createDemoDatabase(file);
    const [{ BUNDLED_DEMO_CONFIG, loadConfig }, { syncFromConfig }] = await Promise.all([import('../sources/config.js'), import('../tracker/sync.js')]);
    const config = await loadConfig(BUNDLED_DEMO_CONFIG);
    const started = Date.now();
    await withCliStore(`sqlite:${file}`, async ({ store }) => {
      const sync = await syncFromConfig(store, config);
      // The bundled data always imports; a failure here is a broken installation.
      const failed = sync.sources.find((source) => source.status === 'failed');
      if (failed !== undefined) throw new InputError(BUNDLED_DEMO_CONFIG, undefined, `a bundled source failed: ${failed.error ?? failed.location}`);
      const summary = await stateSummary(store.db, todayOf(io));
      if (flags.json === true) {
        io.stdout.write(`${JSON.stringify({ database: file, sync, summary })}\n`);
        return;
      }
      const db = `--db sqlite:${flags.file}`;
      io.stdout.write(
        `secfix demo: ${config.distribution}, ${sync.sources.length} sources imported and ${sync.update?.pairs ?? 0} pairs decided in ${Date.now() - started} ms\n` +
          `database: ${file}\n\n${stateSummaryTable(summary)}\n` +
          `Try:\n  npx secfix query states ${db} --branch 3.16 --state vulnerable\n  npx secfix query states ${db} --cve CVE-2023-42366 --json\n  npx secfix check ${db}\n`,
      );
      if (!flags.serve) return;
      await serveUntilStopped(store, { distribution: config.distribution, purlNamespace: config.purlNamespace, mappingRules: config.mapping, roles: config.auth }, flags, (address) =>
        io.stdout.write(`\nServing the demo at ${address} (Ctrl-C stops)\n`),
      );
    }, { create: true });
  });
}
