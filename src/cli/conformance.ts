import type { Command } from 'commander';
import { withCliStore } from './database.js';
import { type CliIo, type CliStatus, UsageError } from './io.js';
import { DB_OPTION_HELP } from './options.js';
import { subcommand } from './subcommand.js';

const branchName = (branch: string) => branch.replace(/^v(?=\d)/, '');

function buildCommand(io: CliIo): Command {
  return subcommand(io, 'build')
    .description("write a scanner conformance kit from the tracker's data: per case a root filesystem, a docker-save image, and answers.json")
    .argument('<dir>', 'the folder to write (absent or empty)')
    .requiredOption('--branch <b>', 'the branch whose packages make the cases (e.g. 3.16, edge)')
    .option('--db <url>', DB_OPTION_HELP)
    .addHelpText(
      'after',
      '\nCases: fixed, unfixed, subpackages, not-affected, fix-not-published (the branch scanned) and\nend-of-life (the other branch whose support ended first); one the data has no example of is\nlisted under "skipped" in answers.json. See docs/scanners.md.\n\nExample:\n  secfix conformance build kit --branch 3.16\n',
    )
    .action(async (dir: string, flags: { branch: string; db?: string }) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { buildConformanceKit } = await import('../tracker/conformance.js');
        const answers = await buildConformanceKit(store, dir, branchName(flags.branch));
        const skipped = answers.skipped.map((skip) => `skipped ${skip.name}: ${skip.reason}\n`).join('');
        io.stderr.write(`${skipped}wrote ${answers.cases.length} cases to ${dir}\n`);
      });
    });
}

function runCommand(io: CliIo, status: CliStatus): Command {
  return subcommand(io, 'run')
    .description('run a scanner on every case of a kit and print a pass/fail table (exit 1 when a case fails)')
    .argument('<dir>', 'a folder `conformance build` wrote')
    .argument('<command...>', 'the scanner command, after --; `{}` stands for the case path, else the path is appended')
    .option('--timeout <seconds>', 'stop a scanner run after this long; the target fails', '300')
    .addHelpText(
      'after',
      '\nThe scanner prints SARIF 2.1.0 or secfix scan JSON on standard output (docs/scanners.md says\nwhich properties a SARIF result needs). Each case is scanned as a root filesystem and as an image.\n\nExample:\n  secfix conformance run kit -- secfix scan --db sqlite:secfix.db --format json {}\n',
    )
    .action(async (dir: string, command: string[], flags: { timeout: string }) => {
      const seconds = Number(flags.timeout);
      if (!/^\d+$/.test(flags.timeout) || seconds === 0) throw new UsageError(`--timeout: expected a whole number of seconds, got ${JSON.stringify(flags.timeout)}`);
      const { renderRunTable, runConformanceKit } = await import('../tracker/conformance.js');
      const runs = await runConformanceKit(dir, command, seconds * 1000);
      io.stdout.write(renderRunTable(runs));
      if (runs.some((run) => run.verdict?.passed !== true)) status.exitCode = 1;
    });
}

export function conformanceCommand(io: CliIo, status: CliStatus): Command {
  return subcommand(io, 'conformance')
    .description('a conformance kit for scanners: test systems with the answers a correct scanner gives')
    .addCommand(buildCommand(io))
    .addCommand(runCommand(io, status));
}
