import type { Command } from 'commander';
import { InputError } from '../base/input-error.js';
import { withCliStore } from './database.js';
import type { CliIo, CliStatus } from './io.js';
import { DB_OPTION_HELP } from './options.js';
import { subcommand } from './subcommand.js';

interface GitLabFlags {
  config: string;
  db?: string;
  dryRun?: boolean;
  json?: boolean;
}

const HELP = `
Opens one issue per (origin package, vulnerability) that is open on a supported branch for
longer than gitlab.graceHours, adds a note when branches are fixed or triaged, and closes it
when nothing is open. Every issue carries a hidden marker (<!-- secfix:ORIGIN:VULN -->), so a
rerun, even on a fresh database, finds its issues instead of opening them again.

The configuration's gitlab section:
  gitlab:
    url: https://gitlab.example.org
    project: security/issues          # numeric id or path
    tokenEnv: SECFIX_GITLAB_TOKEN      # environment variable holding the access token
    labels: [security]
    minSeverity: medium                # low, medium, high, critical; default: every severity
    graceHours: 24
    maxPerRun: 50
    baseUrl: https://secfix.example.org   # the tracker, for links; optional

Exit status: 0 done, 1 a GitLab call failed (the report says which; rerun to converge), 2 bad
input (configuration, missing token).

Examples:
  SECFIX_GITLAB_TOKEN=... secfix notify gitlab --config secfix.yaml --dry-run
  secfix notify gitlab --config secfix.yaml --json
`;

/** `secfix notify gitlab`. */
export function notifyCommand(io: CliIo, status: CliStatus): Command {
  const gitlab = subcommand(io, 'gitlab')
    .description('open, update and close maintainer issues on GitLab for open pairs')
    .option('--config <file>', 'configuration file (YAML) with a gitlab section', './secfix.yaml')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--dry-run', 'print the plan without calling GitLab write endpoints (it still lists issues)', false)
    .option('--json', 'print the report as one JSON object', false)
    .addHelpText('after', HELP)
    .action(async (flags: GitLabFlags) => {
      const [{ loadConfig }, { GitLabClient, GitLabError }, { notifyGitLab }, { vulnerabilityPath, packagePath }] = await Promise.all([
        import('../sources/config.js'),
        import('../sources/gitlab.js'),
        import('../tracker/notify.js'),
        import('../web/urls.js'),
      ]);
      const config = (await loadConfig(flags.config)).gitlab;
      if (config === undefined) throw new InputError(flags.config, undefined, 'no gitlab section: notify gitlab needs one (url, project, tokenEnv)');
      const token = process.env[config.tokenEnv];
      if (token === undefined || token.trim() === '') throw new InputError(flags.config, 'gitlab.tokenEnv', `the environment variable ${config.tokenEnv} holds no token`);
      const { baseUrl } = config;
      const links = baseUrl === undefined ? undefined : { vulnerability: (id: string) => `${baseUrl}${vulnerabilityPath(id)}`, package: (name: string) => `${baseUrl}${packagePath(name)}` };
      await withCliStore(flags.db, async ({ store }) => {
        const client = new GitLabClient({ url: config.url, project: config.project, token: token.trim() });
        let report;
        try {
          report = await notifyGitLab(store, client, {
            policy: { minSeverity: config.minSeverity, graceHours: config.graceHours, maxPerRun: config.maxPerRun },
            labels: config.labels,
            dryRun: flags.dryRun === true,
            links,
          });
        } catch (error) {
          if (!(error instanceof GitLabError)) throw error;
          io.stderr.write(`secfix: GitLab: ${error.message}\n`);
          status.exitCode = 1;
          return;
        }
        if (report.failure !== null) {
          io.stderr.write(`secfix: GitLab: ${report.failure} (stopped; the next run carries on)\n`);
          status.exitCode = 1;
        }
        if (flags.json === true) {
          io.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        for (const action of report.actions) {
          const state = report.dryRun ? 'would' : action.done ? 'done' : 'not done';
          const what = action.action === 'update' && action.reopen === true ? 'update and reopen' : action.action;
          io.stdout.write(`${state}: ${what} ${action.origin}: ${action.vulnerabilityId}${action.iid === null ? '' : ` (#${action.iid})`}\n`);
        }
        io.stdout.write(
          `${report.openPairs} open pairs, ${report.issuesFound} issues found; ${report.waiting} in their grace period, ${report.belowSeverity} below the least severity, ${report.overLimit} over maxPerRun\n`,
        );
      });
    });
  return subcommand(io, 'notify').description('tell maintainers about open pairs').addCommand(gitlab);
}
