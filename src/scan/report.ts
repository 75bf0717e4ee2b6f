import { FINDING_KINDS, type Finding, type FindingKind, type FindingVulnerability, type InstalledRef } from '../engine/scan-model.js';
import type { ScanReport } from './run.js';

/*
 * The scan's three output formats. Text follows `apk list --upgradable` (one line per installed
 * package: `name-version arch {origin} [status]`), with the vulnerability ids appended. JSON is
 * the report as data. SARIF 2.1.0 (OASIS, sarif-v2.1.0-os) is for code-scanning dashboards:
 * one rule per vulnerability id, one result per (origin, id) located at the installed
 * packages' stanzas in the installed database, its level set by the finding's kind.
 */

interface KindSummary {
  /** Installed packages (binary packages) with a finding of this kind. */
  readonly packages: number;
  /** Distinct (origin, vulnerability) pairs. */
  readonly vulnerabilities: number;
}

function summarize(findings: readonly Finding[]): Record<FindingKind, KindSummary> {
  const summary = {} as Record<FindingKind, KindSummary>;
  for (const kind of FINDING_KINDS) {
    const ofKind = findings.filter((finding) => finding.kind === kind);
    summary[kind] = {
      packages: ofKind.reduce((count, finding) => count + finding.packages.length, 0),
      vulnerabilities: new Set(ofKind.flatMap((finding) => finding.vulnerabilities.map((vulnerability) => `${finding.origin}\u0000${vulnerability.id}`))).size,
    };
  }
  return summary;
}

function ids(finding: Finding): string {
  return finding.vulnerabilities.map((vulnerability) => vulnerability.id).join(' ');
}

function textLine(finding: Finding, pkg: InstalledRef): string {
  const arch = pkg.arch === undefined ? '' : ` ${pkg.arch}`;
  const installed = `${pkg.name}-${finding.installedVersion}`;
  switch (finding.kind) {
    case 'upgrade':
      return `${pkg.name}-${finding.targetVersion ?? ''}${arch} {${finding.origin}} [upgradable from: ${installed}] ${ids(finding)}`;
    case 'fix-not-published': {
      const newest = finding.newestPublished === undefined ? '' : `, newest published ${finding.newestPublished}`;
      return `${installed}${arch} {${finding.origin}} [fix not published: ${finding.targetVersion ?? ''}${newest}] ${ids(finding)}`;
    }
    case 'unfixed': {
      const states = [...new Set(finding.vulnerabilities.map((vulnerability) => vulnerability.state ?? 'vulnerable'))].join(', ');
      return `${installed}${arch} {${finding.origin}} [unfixed: ${states}] ${ids(finding)}`;
    }
  }
}

/** One line per installed package and kind, sorted by package name, then a one-line total. */
export function renderText(report: ScanReport): string {
  const lines = report.findings
    .flatMap((finding) => finding.packages.map((pkg) => ({ name: pkg.name, kind: finding.kind, text: textLine(finding, pkg) })))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind)))
    .map((line) => line.text);
  const summary = summarize(report.findings);
  const total =
    `${summary.upgrade.packages} packages to upgrade (${summary.upgrade.vulnerabilities} vulnerabilities); ` +
    `${summary['fix-not-published'].packages} waiting for an unpublished fix (${summary['fix-not-published'].vulnerabilities}); ` +
    `${summary.unfixed.packages} with unfixed vulnerabilities (${summary.unfixed.vulnerabilities})`;
  return `${[...lines, total].join('\n')}\n`;
}

/** The warnings, one `warning:` line each, for stderr beside the text output. */
export function renderWarnings(report: ScanReport): string {
  return report.warnings.map((warning) => `warning: ${warning.message}\n`).join('');
}

/** The report and its summary as JSON; unknown values are written as null rather than left out. */
export function renderJson(report: ScanReport): string {
  const json = JSON.stringify({ ...report, summary: summarize(report.findings) }, (_key, value: unknown) => value ?? null, 2);
  return `${json}\n`;
}

/** The schema's own `$id` (OASIS sarif-spec `sarif-schema-2.1.0.json`). */
const SARIF_SCHEMA = 'https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json';

/** An available upgrade is an error to fix now; a fix not yet published must be awaited; unfixed is information. */
const SARIF_LEVELS: Readonly<Record<FindingKind, 'error' | 'warning' | 'note'>> = {
  upgrade: 'error',
  'fix-not-published': 'warning',
  unfixed: 'note',
};

function helpUri(id: string): string | undefined {
  if (/^CVE-\d{4}-\d+$/.test(id)) return `https://nvd.nist.gov/vuln/detail/${id}`;
  if (id.startsWith('GHSA-')) return `https://github.com/advisories/${id}`;
  return undefined;
}

function resultMessage(finding: Finding, vulnerability: FindingVulnerability): string {
  const subject = `${finding.origin} ${finding.installedVersion} (${finding.packages.map((pkg) => pkg.name).join(', ')}) is affected by ${vulnerability.id}`;
  switch (finding.kind) {
    case 'upgrade':
      return `${subject}, fixed in ${vulnerability.fixedVersion ?? ''}: upgrade to ${finding.targetVersion ?? ''}`;
    case 'fix-not-published': {
      const newest = finding.newestPublished === undefined ? '' : ` (newest published: ${finding.newestPublished})`;
      return `${subject}; its fix ${vulnerability.fixedVersion ?? ''} is not published yet${newest}`;
    }
    case 'unfixed':
      return `${subject} (tracker state: ${vulnerability.state ?? 'vulnerable'}); no fix is recorded yet`;
  }
}

/** The report as a SARIF 2.1.0 log with one run. */
export function renderSarif(report: ScanReport): object {
  const ruleIds = [...new Set(report.findings.flatMap((finding) => finding.vulnerabilities.map((vulnerability) => vulnerability.id)))].sort();
  const ruleIndex = new Map(ruleIds.map((id, index) => [id, index]));
  const uri = encodeURI(report.target.installedDb);
  const results = report.findings.flatMap((finding) =>
    finding.vulnerabilities.map((vulnerability) => ({
      ruleId: vulnerability.id,
      ruleIndex: ruleIndex.get(vulnerability.id),
      level: SARIF_LEVELS[finding.kind],
      message: { text: resultMessage(finding, vulnerability) },
      locations: finding.packages.map((pkg) => ({
        physicalLocation: { artifactLocation: { uri }, region: { startLine: pkg.line } },
        message: { text: `${pkg.name}-${finding.installedVersion}` },
      })),
      partialFingerprints: { 'secfixScan/v1': `${finding.origin}/${vulnerability.id}/${finding.kind}` },
      properties: {
        kind: finding.kind,
        origin: finding.origin,
        installedVersion: finding.installedVersion,
        packages: finding.packages.map((pkg) => pkg.name),
        ...(finding.targetVersion === undefined ? {} : { targetVersion: finding.targetVersion }),
        ...(vulnerability.fixedVersion === undefined ? {} : { fixedVersion: vulnerability.fixedVersion }),
      },
    })),
  );
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'secfix',
            rules: ruleIds.map((id) => {
              const uriOf = helpUri(id);
              return { id, shortDescription: { text: `${id} affects an installed package` }, ...(uriOf === undefined ? {} : { helpUri: uriOf }) };
            }),
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: report.warnings.map((warning) => ({
              level: 'warning',
              message: { text: warning.message },
              descriptor: { id: warning.code },
            })),
          },
        ],
        results,
        properties: { target: report.target, system: report.system, securityData: report.securityData },
      },
    ],
  };
}
