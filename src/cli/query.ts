import { type Command, InvalidArgumentError, Option } from 'commander';
import { STATE_NAMES, type StateName } from '../base/states.js';
import type { StateFilter, Store } from '../store/index.js';
import { withCliStore } from './database.js';
import { type CliIo, type CliStatus, printResult, todayOf } from './io.js';
import { DB_OPTION_HELP } from './options.js';
import { subcommand } from './subcommand.js';

export interface StatesFlags {
  db?: string;
  branch?: string;
  repo?: string;
  package?: string;
  cve?: string;
  state?: StateName;
  json?: boolean;
}

/** Fixed-width text columns, for people; scripts use --json. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** The `findStates` filter of `query states` and `export states` flags. */
export function statesFilter(flags: StatesFlags): StateFilter {
  return {
    ...(flags.branch === undefined ? {} : { branch: flags.branch.replace(/^v(?=\d)/, '') }),
    ...(flags.repo === undefined ? {} : { repo: flags.repo }),
    ...(flags.package === undefined ? {} : { package: flags.package }),
    ...(flags.cve === undefined ? {} : { vulnerabilityId: flags.cve.toUpperCase() }),
    ...(flags.state === undefined ? {} : { state: flags.state }),
  };
}

/** The filter options of `query states` and `export states`. */
export function withStatesFilters(command: Command): Command {
  return command
    .option('--db <url>', DB_OPTION_HELP)
    .option('--branch <branch>', 'only this branch (e.g. 3.16, edge)')
    .option('--repo <repo>', 'only this repository (e.g. main)')
    .option('--package <origin>', 'only this origin (source) package')
    .option('--cve <id>', 'only this vulnerability id')
    .addOption(new Option('--state <state>', 'only this state').choices(STATE_NAMES));
}

function statesCommand(io: CliIo): Command {
  return withStatesFilters(subcommand(io, 'states').description('list the state of every (branch, repo, package, CVE) pair with a CPE match, a secfix or a rejection'))
    .option('--json', 'print one JSON array of rows with their evidence and triage (computedState, triage, status, resolution: open, resolved or end-of-life, needsReview)', false)
    .addHelpText('after', '\nExamples:\n  secfix query states --branch 3.16 --state vulnerable\n  secfix query states --cve CVE-2023-42366 --json\n')
    .action(async (flags: StatesFlags) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { stateTableRows } = await import('../tracker/export.js');
        const rows = await stateTableRows(store, statesFilter(flags), todayOf(io));
        printResult(io, flags.json, rows, () => {
          const lines = rows.map((row) => [row.branch, row.repo, row.package, row.version ?? '-', row.cve, row.state, row.fixedVersion ?? '-', row.status]);
          return `${table(['BRANCH', 'REPO', 'PACKAGE', 'VERSION', 'CVE', 'STATE', 'FIXED IN', 'STATUS'], lines)}${rows.length} pairs\n`;
        });
      });
    });
}

interface RepositoryCounts {
  readonly branch: string;
  readonly repo: string;
  /** Open pairs on `today`; 0 on a branch past its end of support. */
  readonly open: number;
  /** The branch is past its end of support: its would-be-open pairs are end-of-life. */
  readonly endOfLife: boolean;
  readonly counts: Record<StateName, number>;
}

/** Pair counts per (branch, repository) on `today`: open pairs, and every state name. */
export async function stateSummary(db: Store['db'], today: string): Promise<RepositoryCounts[]> {
  const [{ countStates, listBranches }, { countOpenPairs }, { isBranchSupported }] = await Promise.all([
    import('../store/index.js'),
    import('../tracker/triage.js'),
    import('../engine/end-of-support.js'),
  ]);
  const ended = new Set((await listBranches(db)).filter((branch) => !isBranchSupported(branch.endOfSupport, today)).map((branch) => branch.name));
  const open = new Map<string, number>();
  for (const row of await countOpenPairs(db, {}, today)) open.set(`${row.branch}\u0000${row.repo}`, (open.get(`${row.branch}\u0000${row.repo}`) ?? 0) + row.open);
  const byRepo = new Map<string, RepositoryCounts>();
  for (const { branch, repo, state, count } of await countStates(db)) {
    const key = `${branch}\u0000${repo}`;
    const entry = byRepo.get(key) ?? {
      branch,
      repo,
      open: open.get(key) ?? 0,
      endOfLife: ended.has(branch),
      counts: Object.fromEntries(STATE_NAMES.map((name) => [name, 0])) as Record<StateName, number>,
    };
    entry.counts[state] = count;
    byRepo.set(key, entry);
  }
  return [...byRepo.values()];
}

export function stateSummaryTable(summary: readonly RepositoryCounts[]): string {
  return table(
    ['BRANCH', 'REPO', 'OPEN', ...STATE_NAMES.map((name) => name.toUpperCase())],
    summary.map((row) => [row.branch, row.repo, row.endOfLife ? 'end-of-life' : String(row.open), ...STATE_NAMES.map((name) => String(row.counts[name]))]),
  );
}

function summaryCommand(io: CliIo): Command {
  return subcommand(io, 'summary')
    .description('count open pairs and pairs per state, per branch and repository')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--json', 'print one JSON array of {branch, repo, open, endOfLife, counts}', false)
    .addHelpText(
      'after',
      '\nOPEN: pairs that need work (vulnerable with no triage, triaged affected or under-investigation, or\nneeding re-review); a branch past its end of support shows end-of-life there and has none open.\n',
    )
    .action(async (flags: { db?: string; json?: boolean }) => {
      await withCliStore(flags.db, async ({ store }) => {
        const summary = await stateSummary(store.db, todayOf(io));
        printResult(io, flags.json, summary, () => stateSummaryTable(summary));
      });
    });
}

function positiveCount(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1) throw new InvalidArgumentError('expected a whole number, 1 or more');
  return value;
}

function runsCommand(io: CliIo): Command {
  return subcommand(io, 'runs')
    .description('list the latest import runs, newest first: source, status, counts, error, duration')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--limit <n>', 'how many runs', positiveCount, 20)
    .option('--json', 'print one JSON array of runs', false)
    .addHelpText('after', '\nA killed import wrote nothing; its run shows "running" until the next import of the same source\nrecords it as failed (interrupted).\n')
    .action(async (flags: { db?: string; limit: number; json?: boolean }) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { listImportRuns } = await import('../store/index.js');
        const runs = await listImportRuns(store.db, flags.limit);
        printResult(io, flags.json, runs, () => {
          const lines = runs.map((run) => [String(run.id), run.startedAt, run.kind, run.status, run.durationMs === null ? '-' : String(run.durationMs), run.source, run.error ?? '']);
          return table(['ID', 'STARTED', 'KIND', 'STATUS', 'MS', 'SOURCE', 'ERROR'], lines);
        });
      });
    });
}

/** `secfix query states|summary|runs`. */
export function queryCommand(io: CliIo, _status: CliStatus): Command {
  return subcommand(io, 'query')
    .description('read vulnerability states and import runs from the database')
    .addCommand(statesCommand(io))
    .addCommand(summaryCommand(io))
    .addCommand(runsCommand(io));
}
