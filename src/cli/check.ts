import type { Command } from 'commander';
import { withCliStore } from './database.js';
import { type CliIo, type CliStatus, printResult } from './io.js';
import { CONFIG_OPTION_HELP, DB_OPTION_HELP, mappingRulesFor } from './options.js';
import { subcommand } from './subcommand.js';

/** `secfix check`: data-quality problems in the stored secfixes. */
export function checkCommand(io: CliIo, status: CliStatus): Command {
  return subcommand(io, 'check')
    .description('report data-quality problems: fix versions no index ever had, fixes below the affected range, unrecognized ids, packages no index has, pairs decided introduced-after-published (for the team to confirm)')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--config <file>', CONFIG_OPTION_HELP)
    .option('--json', 'print one JSON object {findings, skipped} ({products} with --mapping)', false)
    .option('--mapping', 'instead, list the CPE products of the NVD data that reach no package but resemble an index name, with their CVE counts', false)
    .addHelpText('after', '\nExits 1 when it finds a problem (or an unmapped product), 0 when none.\n\nExample:\n  secfix check --mapping --db sqlite:secfix-demo.db\n')
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
      const [rules, { checkData }] = await Promise.all([mappingRulesFor(flags.config), import('../tracker/check.js')]);
      await withCliStore(flags.db, async ({ store }) => {
        const report = await checkData(store, rules);
        printResult(io, flags.json, report, () => {
          const lines = report.findings.map((finding) => `${finding.branch}/${finding.repo ?? '-'} ${finding.package}: ${finding.kind}: ${finding.detail}`);
          const skipped = report.skipped.map(({ branch, repo }) => `${branch}/${repo}: not checked, no index imported`);
          return [...lines, ...skipped, `${report.findings.length} problems found`].join('\n') + '\n';
        });
        if (report.findings.length > 0) status.exitCode = 1;
      });
    });
}
