import type { Command } from 'commander';
import type { DownloadOptions } from '../sources/acquire.js';
import type { Store } from '../store/index.js';
import type { ImportSummary, ProgressCallback } from '../tracker/import.js';
import { withCliStore } from './database.js';
import { signalExitCode, withInterruption } from './interrupt.js';
import type { CliIo, CliStatus } from './io.js';
import { DB_OPTION_HELP, collectValues } from './options.js';
import { startProgressBar } from './progress.js';
import { subcommand } from './subcommand.js';

interface CommonFlags {
  db?: string;
  json?: boolean;
}

/** Imports one location with `importer`, the module of its kind; `download` carries the interruption signal. */
type ImportOne<Importer> = (importer: Importer, store: Store, location: string, progress: ProgressCallback, download: DownloadOptions) => Promise<ImportSummary>;

/** `imported secdb main.json in 120 ms: packages 68, secfixes 1317, ...` */
function describeSummary(summary: ImportSummary): string {
  if (summary.status === 'unchanged') return `unchanged ${summary.kind} ${summary.source}: same as the last import, nothing written`;
  const counts = Object.entries(summary.counts).map(([name, count]) => `${name} ${count}`);
  return `imported ${summary.kind} ${summary.source} in ${summary.durationMs} ms: ${counts.join(', ')}`;
}

/** A subcommand with the options every import shares and its examples. */
function importSubcommand(io: CliIo, name: string, description: string, examples: readonly string[]): Command {
  return subcommand(io, name)
    .description(description)
    .option('--db <url>', DB_OPTION_HELP)
    .option('--json', 'print the summary as one JSON object (an array for several sources)', false)
    .addHelpText('after', `\nExamples:\n${examples.map((example) => `  ${example}`).join('\n')}\n`);
}

/**
 * Imports each location in turn (each one transaction), printing a line per source, or with
 * --json one object (several: an array) at the end. The first failure stops the command;
 * sources imported before it stay imported. SIGINT or SIGTERM stops it as it stops `sync`:
 * the download under way is aborted and its temporary file removed, its run recorded as
 * interrupted, nothing of that source written, and secfix exits 130 or 143.
 */
async function runImports<Importer>(
  io: CliIo,
  status: CliStatus,
  flags: CommonFlags,
  kind: string,
  locations: readonly string[],
  // Only this kind's importer is loaded, when the command runs: the others (YAML for rejections, ...) cost start-up time.
  loadImporter: () => Promise<Importer>,
  importOne: ImportOne<Importer>,
): Promise<void> {
  const importer = await loadImporter();
  await withInterruption((interruption) =>
    withCliStore(flags.db, async ({ store }) => {
      const summaries: ImportSummary[] = [];
      for (const [index, location] of locations.entries()) {
        const bar = startProgressBar(io, `${kind} ${location}`);
        let summary: ImportSummary | undefined;
        try {
          summary = await importOne(importer, store, location, (done, total) => bar?.update(done, total), { signal: interruption.signal });
        } catch (error) {
          // The importer recorded the run as interrupted and wrote nothing; the signal is what to report.
          if (interruption.received === undefined) throw error;
        } finally {
          bar?.stop();
        }
        if (summary !== undefined) {
          summaries.push(summary);
          if (flags.json !== true) io.stdout.write(`${describeSummary(summary)}\n`);
        }
        const { received } = interruption;
        if (received !== undefined) {
          const notImported = locations.slice(summary === undefined ? index : index + 1);
          io.stderr.write(`secfix: import interrupted: ${received} received${notImported.length === 0 ? '' : `; not imported: ${notImported.join(', ')}`}\n`);
          status.exitCode = signalExitCode(received);
          return;
        }
      }
      if (flags.json === true) io.stdout.write(`${JSON.stringify(summaries.length === 1 ? summaries[0] : summaries)}\n`);
    }, { create: true }),
  );
}

/** `secfix import KIND ...`: read a source into the database. */
export function importCommand(io: CliIo, status: CliStatus): Command {
  const apkindex = importSubcommand(io, 'apkindex', "import one architecture's package index of a repository", [
    'secfix import apkindex --branch 3.16 --repo main --keys data/alpine-sample/keys data/alpine-sample/apkindex/v3.16-main-x86_64/APKINDEX.tar.gz',
    'secfix import apkindex --branch edge --repo main --keys /etc/apk/keys https://dl-cdn.alpinelinux.org/alpine/edge/main/x86_64/APKINDEX.tar.gz',
  ])
    .argument('<location>', 'signed APKINDEX.tar.gz or plain APKINDEX text: a file or URL')
    .requiredOption('--branch <branch>', 'the branch it belongs to (3.16, edge; v3.16 means 3.16)')
    .requiredOption('--repo <repo>', 'the repository it belongs to (main, community)')
    .option('--keys <dir>', 'folder of trusted apk public keys, like /etc/apk/keys')
    .option('--allow-untrusted', 'accept an index that is unsigned or does not verify', false)
    .action((location: string, flags: CommonFlags & { branch: string; repo: string; keys?: string; allowUntrusted?: boolean }) =>
      runImports(io, status, flags, 'apkindex', [location], () => import('../tracker/import-apkindex.js'), (importer, store, _location, _progress, download) =>
        importer.importApkIndex(store, {
          download,
          branch: flags.branch,
          repo: flags.repo,
          location,
          ...(flags.keys === undefined ? {} : { keysDir: flags.keys }),
          allowUntrusted: flags.allowUntrusted === true,
        }),
      ),
    );

  const secdb = importSubcommand(io, 'secdb', 'import a secdb JSON document; branch and repository come from the file', [
    'secfix import secdb data/alpine-sample/secdb/v3.16/main.json',
    'secfix import secdb https://secdb.alpinelinux.org/v3.20/community.json',
  ])
    .argument('<location>', 'secdb JSON: a file or URL')
    .action((location: string, flags: CommonFlags) => runImports(io, status, flags, 'secdb', [location], () => import('../tracker/import-secdb.js'), (importer, store, _location, _progress, download) => importer.importSecdb(store, { location, download })));

  const aports = importSubcommand(io, 'aports', 'import the # secfixes: blocks of every APKBUILD in an aports checkout', [
    'secfix import aports ~/src/aports --branch edge',
  ])
    .argument('<dir>', "the branch's whole aports checkout (<repo>/<package>/APKBUILD); packages not in it lose their aports secfixes")
    .requiredOption('--branch <branch>', 'the branch the checkout is of')
    .action((dir: string, flags: CommonFlags & { branch: string }) =>
      runImports(io, status, flags, 'aports', [dir], () => import('../tracker/import-aports.js'), (importer, store, _location, progress) => importer.importAports(store, { dir, branch: flags.branch, progress })),
    );

  const nvd = importSubcommand(io, 'nvd', 'import NVD CVE feeds: 2.0 or 1.1, .json or .json.gz, files or URLs', [
    'secfix import nvd data/alpine-sample/nvd/feed-1.1/*.json data/alpine-sample/nvd/api-2.0/nvdcve-2.0-sample.json',
    'secfix import nvd https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-modified.json.gz',
  ])
    .argument('<locations...>', 'NVD documents: files or URLs')
    .action((locations: string[], flags: CommonFlags) =>
      runImports(io, status, flags, 'nvd', locations, () => import('../tracker/import-nvd.js'), (importer, store, location, progress, download) => importer.importNvd(store, { location, progress, download })),
    );

  const cve5 = importSubcommand(io, 'cve5', 'import CVE JSON 5 records (cvelistV5, CISA vulnrichment): files or folders', [
    'secfix import cve5 fixtures/cve5/vulnrichment',
    'secfix import cve5 ~/src/vulnrichment/2024',
  ])
    .argument('<locations...>', 'CVE-*.json files or URLs, or folders searched for them')
    .action((locations: string[], flags: CommonFlags) =>
      runImports(io, status, flags, 'cve5', locations, () => import('../tracker/import-cve5.js'), (importer, store, location, progress, download) => importer.importCve5(store, { location, progress, download })),
    );

  const rejections = importSubcommand(io, 'rejections', 'import a security-rejections YAML file (package: [ids])', [
    'secfix import rejections security-rejections/main.yaml',
    'secfix import rejections --branch 3.19 --branch 3.20 rejections-3.19.yaml',
  ])
    .argument('<location>', 'rejections YAML: a file or URL')
    .option('--branch <branch>', 'a branch the rejections hold for (repeatable; default: every branch)', collectValues)
    .action((location: string, flags: CommonFlags & { branch?: string[] }) =>
      runImports(io, status, flags, 'rejections', [location], () => import('../tracker/import-rejections.js'), (importer, store, _location, _progress, download) =>
        importer.importRejections(store, { location, download, ...(flags.branch === undefined ? {} : { branches: flags.branch }) }),
      ),
    );

  return subcommand(io, 'import')
    .description('read a source into the database: one transaction per source, unchanged sources skipped')
    .addCommand(apkindex)
    .addCommand(secdb)
    .addCommand(aports)
    .addCommand(nvd)
    .addCommand(cve5)
    .addCommand(rejections)
    .addHelpText(
      'after',
      '\nA failed import changes nothing; importing the same source again writes nothing.\n' +
        'SIGINT or SIGTERM stops the download under way, removes its temporary file and records its\n' +
        'run as interrupted (exit 130 or 143); sources imported before it stay imported.\n' +
        'Bad input exits 2 with one line naming the file and the place.\n',
    );
}
