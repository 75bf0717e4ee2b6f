import type { Command } from 'commander';
import { withCliStore } from './database.js';
import { type CliIo, type CliStatus, printResult } from './io.js';
import { CONFIG_OPTION_HELP, DB_OPTION_HELP, mappingRulesFor } from './options.js';
import { subcommand } from './subcommand.js';

/** `secfix check`: data-quality problems in the stored secfixes. */
export function checkCommand(io: CliIo, status: CliStatus): Command {
  return subcommand(io, 'check')
    .description('report data-quality problems: fix versions no index ever had, fixes below the affected range, unrecognized ids, packages no index has, and, as notes for the team to confirm, pairs decided introduced-after-published or left unknown because NVD and CVE 5 disagree (sources-disagree)')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--config <file>', CONFIG_OPTION_HELP)
    .option('--json', 'print one JSON object {findings, skipped} ({products} with --mapping)', false)
    .option('--mapping', 'instead, list the CPE products of the NVD data that reach no package but resemble an index name, with their CVE counts', false)
    .addHelpText('after', '\nExits 1 when it finds a problem (or an unmapped product), 0 when none; notes to confirm\n(introduced-after-published, sources-disagree) are listed but do not make it exit 1.\n\nExample:\n  secfix check --mapping --db sqlite:secfix-demo.db\n')
    .action(async (flags: { db?: string; config?: string; json?: boolean; mapping?: boolean }) => {
      if (flags.mapping === true) {
        const [rules, { checkMapping }] = await Promise.all([mappingRulesFor(flags.config), import('../tracker/mapping-coverage.js')]);
        await withCliStore(flags.db, async ({ store }) => {
          const products = await checkMapping(store, rules);
          const lines = products.map((p) => `${p.vendor}:${p.product}: ${p.vulnerabilities} CVEs, maps to nothing in ${p.branches.join(', ')}; resembles ${p.resembles.join(', ')}`);
          printResult(io, flags.json, { products }, () => [...lines, `${products.length} unmapped products`].join('\n') + '\n');
          if (products.length > 0) status.exitCode = 1;
        });
        return;
      }
      const [rules, { checkData }, { NOTE_KINDS }] = await Promise.all([mappingRulesFor(flags.config), import('../tracker/check.js'), import('../engine/quality.js')]);
      await withCliStore(flags.db, async ({ store }) => {
        const report = await checkData(store, rules);
        printResult(io, flags.json, report, () => {
          const lines = report.findings.map((finding) => `${finding.branch}/${finding.repo ?? '-'} ${finding.package}: ${finding.kind}: ${finding.detail}`);
          const skipped = report.skipped.map(({ branch, repo }) => `${branch}/${repo}: not checked, no index imported`);
          const notes = report.findings.filter((finding) => NOTE_KINDS.has(finding.kind)).length;
          return [...lines, ...skipped, `${report.findings.length - notes} problems found, ${notes} notes to confirm`].join('\n') + '\n';
        });
        if (report.findings.some((finding) => !NOTE_KINDS.has(finding.kind))) status.exitCode = 1;
      });
    });
}
