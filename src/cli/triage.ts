import type { Command } from 'commander';
import { TRIAGE_JUSTIFICATIONS, TRIAGE_STATUSES, type TriageEvent } from '../base/triage.js';
import { withCliStore } from './database.js';
import { type CliIo, type CliStatus, todayOf } from './io.js';
import { DB_OPTION_HELP, collectValues } from './options.js';
import { subcommand } from './subcommand.js';

const commaList = (text: string) => text.split(',').map((item) => item.trim()).filter((item) => item !== '');

function eventLine(event: TriageEvent): string {
  const scope = event.branches === null ? 'all branches' : event.branches.join(',');
  const detail = [event.justification, event.version].filter((text) => text !== null).join(' ');
  const note = event.note === null ? '' : `  ${event.note.replaceAll('\n', ' / ')}`;
  return `${event.createdAt}  ${event.author}  ${event.package} ${event.vulnerabilityId}  ${event.status}${detail === '' ? '' : ` (${detail})`}  [${scope}]${note}\n`;
}

interface SetFlags {
  db?: string;
  justification?: string;
  version?: string;
  note?: string;
  branch?: string[];
  author: string;
  json?: boolean;
}

function setCommand(io: CliIo): Command {
  return subcommand(io, 'set')
    .description('record a triage event for each PACKAGE x VULN pair, all in one transaction')
    .argument('<package>', 'origin package, or a comma list')
    .argument('<vuln>', 'vulnerability id, or a comma list')
    .argument('<status>', `one of ${TRIAGE_STATUSES.join(', ')}`)
    .option('--db <url>', DB_OPTION_HELP)
    .option('--justification <j>', `required for not-affected: ${TRIAGE_JUSTIFICATIONS.join(', ')}`)
    .option('--version <v>', 'required for fixed: the apk version that fixes it (counts once the branch publishes it)')
    .option('--note <text>', 'why; required for pending-upstream-fix, fix-not-planned and analysis-not-planned')
    .option('--branch <branch>', 'a branch it concerns (repeatable; default: every branch)', collectValues)
    .requiredOption('--author <email>', 'who decides')
    .option('--json', 'print the recorded events as one JSON array', false)
    .addHelpText(
      'after',
      '\nwithdrawn retracts the latest standing event of the same branch set.\n\nExamples:\n' +
        '  secfix triage set openssl CVE-2019-0190 not-affected --justification component-not-present \\\n' +
        '      --note "mod_ssl is part of httpd" --author ann@example.org\n' +
        '  secfix triage set curl,libcurl CVE-2024-1,CVE-2024-2 under-investigation --branch 3.20 --author ann@example.org\n' +
        '  secfix triage set openssl CVE-2019-0190 withdrawn --author ann@example.org\n',
    )
    .action(async (pkg: string, vuln: string, status: string, flags: SetFlags) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { recordTriage } = await import('../tracker/triage.js');
        const events = await recordTriage(
          store,
          {
            packages: commaList(pkg),
            vulnerabilities: commaList(vuln),
            status,
            justification: flags.justification,
            version: flags.version,
            note: flags.note,
            branches: flags.branch?.map((branch) => branch.replace(/^v(?=\d)/, '')),
          },
          flags.author,
        );
        io.stdout.write(flags.json === true ? `${JSON.stringify(events)}\n` : `recorded ${events.length} event${events.length === 1 ? '' : 's'}\n`);
      });
    });
}

interface LogFlags {
  db?: string;
  package?: string;
  vuln?: string;
  author?: string;
  since?: string;
  json?: boolean;
}

function logCommand(io: CliIo): Command {
  return subcommand(io, 'log')
    .description('print the triage history, oldest first')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--package <p>', 'only this origin package')
    .option('--vuln <id>', 'only this vulnerability id')
    .option('--author <a>', 'only events by this author (security-rejections: imported rejections)')
    .option('--since <time>', 'only events at or after this ISO-8601 date or time')
    .option('--json', 'print one JSON array of events', false)
    .addHelpText('after', '\nExamples:\n  secfix triage log --package openssl\n  secfix triage log --since 2026-12-01 --json\n')
    .action(async (flags: LogFlags) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { listTriageHistory } = await import('../tracker/triage.js');
        const events = await listTriageHistory(store, { package: flags.package, vulnerabilityId: flags.vuln, author: flags.author, since: flags.since });
        io.stdout.write(flags.json === true ? `${JSON.stringify(events)}\n` : events.map(eventLine).join(''));
      });
    });
}

function queueCommand(io: CliIo): Command {
  return subcommand(io, 'queue')
    .description('list the open pairs, most urgent first: known exploited (CISA KEV), then severity, then age')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--branch <b>', 'only this branch')
    .option('--maintainer <email>', "only packages whose index maintainer has this e-mail")
    .option('--json', 'print one JSON array of open pairs', false)
    .addHelpText(
      'after',
      '\nOpen: computed vulnerable with no triage, triaged affected or under-investigation, or triaged\nagainst computed inputs that changed since (needsReview). A branch past its end of support has\nnone: its pairs are end-of-life.\n\nExample:\n  secfix triage queue --branch 3.20 --maintainer ann@example.org\n',
    )
    .action(async (flags: { db?: string; branch?: string; maintainer?: string; json?: boolean }) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { triageQueue } = await import('../tracker/triage.js');
        const queue = await triageQueue(store, { branch: flags.branch?.replace(/^v(?=\d)/, ''), maintainer: flags.maintainer }, todayOf(io));
        const rows = queue.map(({ triage, urgency, maintainer, ...pair }) => ({
          branch: pair.branch,
          repo: pair.repo,
          package: pair.package,
          version: pair.version,
          cve: pair.vulnerabilityId,
          computedState: triage.computedState,
          status: triage.status,
          needsReview: triage.needsReview,
          kev: urgency.kev,
          severity: urgency.severity,
          published: urgency.published,
          maintainer,
        }));
        if (flags.json === true) {
          io.stdout.write(`${JSON.stringify(rows)}\n`);
          return;
        }
        for (const row of rows) {
          const flagsText = [row.kev ? 'KEV' : '', row.needsReview ? 're-review' : ''].filter((text) => text !== '').join(' ');
          io.stdout.write(`${row.branch}/${row.repo}  ${row.package}  ${row.cve}  ${row.severity ?? '-'}  ${row.status}${flagsText === '' ? '' : `  ${flagsText}`}\n`);
        }
        io.stdout.write(`${rows.length} open pairs\n`);
      });
    });
}

/** `secfix triage set|log|queue`. */
export function triageCommand(io: CliIo, _status: CliStatus): Command {
  return subcommand(io, 'triage')
    .description('record and read triage decisions (an append-only log) and the queue of open pairs')
    .addCommand(setCommand(io))
    .addCommand(logCommand(io))
    .addCommand(queueCommand(io));
}
