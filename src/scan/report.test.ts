import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import { renderJson, renderSarif, renderText, renderWarnings } from './report.js';
import { type ScanReport, runScan, secdbLoader } from './run.js';

const SYFT = repoPath('data', 'alpine-sample', 'apkindex', 'installed', 'syft-multiple-2.installed');
const SYFT_LINES = readFileSync(SYFT, 'utf8').split('\n');
/** The 1-based line of a package's stanza: its `C:` line, just before `P:NAME` in this file. */
const stanzaLine = (name: string) => SYFT_LINES.indexOf(`P:${name}`);

let report: ScanReport;
beforeAll(async () => {
  // The syft 3.16 database against v3.16 secdb, no index: busybox → 1.35.0-r18 (1 id), openssl → 1.1.1w-r1 (10 ids); see advise.test.ts.
  report = await runScan({ input: { installed: SYFT }, branch: '3.16', loadSecurityData: secdbLoader([repoPath('data', 'alpine-sample', 'secdb')]), today: '2026-01-15' });
});

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmptyString = (value: unknown) => typeof value === 'string' && value !== '';

/**
 * The SARIF 2.1.0 schema's `required` lists and enums for what the scan writes (sarifLog:
 * version, runs; run: tool; tool: driver; toolComponent: name; reportingDescriptor: id;
 * result: message, plus the ruleId and locations code scanning needs; message: text;
 * invocation: executionSuccessful; region.startLine ≥ 1; level ∈ none|note|warning|error).
 * Returns every violation found, so a failure names them all.
 */
function sarifProblems(log: unknown): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  if (!isObject(log)) return ['log is not an object'];
  check(log['version'] === '2.1.0', 'version');
  check(nonEmptyString(log['$schema']) && URL.canParse(log['$schema'] as string), '$schema');
  const runs = log['runs'];
  if (!Array.isArray(runs) || runs.length === 0) return [...problems, 'runs'];
  for (const [r, run] of (runs as unknown[]).entries()) {
    if (!isObject(run)) return [...problems, `runs[${r}]`];
    const driver = isObject(run['tool']) ? run['tool']['driver'] : undefined;
    check(isObject(driver) && nonEmptyString(driver['name']), `runs[${r}].tool.driver.name`);
    const rules = isObject(driver) && Array.isArray(driver['rules']) ? (driver['rules'] as unknown[]) : [];
    rules.forEach((rule, i) => check(isObject(rule) && nonEmptyString(rule['id']), `rules[${i}].id`));
    const results = Array.isArray(run['results']) ? (run['results'] as unknown[]) : [];
    results.forEach((result, i) => {
      const at = `results[${i}]`;
      if (!isObject(result)) return check(false, at);
      check(nonEmptyString(result['ruleId']), `${at}.ruleId`);
      const index = result['ruleIndex'];
      check(typeof index === 'number' && isObject(rules[index]) && rules[index]['id'] === result['ruleId'], `${at}.ruleIndex`);
      check(isObject(result['message']) && nonEmptyString(result['message']['text']), `${at}.message.text`);
      check(['none', 'note', 'warning', 'error'].includes(result['level'] as string), `${at}.level`);
      const locations = result['locations'];
      check(Array.isArray(locations) && locations.length > 0, `${at}.locations`);
      for (const location of Array.isArray(locations) ? (locations as unknown[]) : []) {
        const physical = isObject(location) ? location['physicalLocation'] : undefined;
        const artifact = isObject(physical) ? physical['artifactLocation'] : undefined;
        const region = isObject(physical) ? physical['region'] : undefined;
        check(isObject(artifact) && nonEmptyString(artifact['uri']), `${at}.locations[].physicalLocation.artifactLocation.uri`);
        check(isObject(region) && Number.isInteger(region['startLine']) && (region['startLine'] as number) >= 1, `${at}.locations[].region.startLine`);
      }
    });
    const invocations = Array.isArray(run['invocations']) ? (run['invocations'] as unknown[]) : [];
    invocations.forEach((invocation, i) => {
      check(isObject(invocation) && typeof invocation['executionSuccessful'] === 'boolean', `invocations[${i}].executionSuccessful`);
      const notes = isObject(invocation) && Array.isArray(invocation['toolExecutionNotifications']) ? (invocation['toolExecutionNotifications'] as unknown[]) : [];
      notes.forEach((note, n) => check(isObject(note) && isObject(note['message']) && nonEmptyString(note['message']['text']), `notifications[${n}].message.text`));
    });
  }
  return problems;
}

describe('renderSarif', () => {
  it('writes a log with every SARIF 2.1.0 required field', () => {
    const log = JSON.parse(JSON.stringify(renderSarif(report))) as Json;
    expect(sarifProblems(log)).toEqual([]);
    // SARIF 2.1.0's schema, as the OASIS specification (section 3.13.3) names it.
    expect(log['$schema']).toBe('https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json');
  });

  it('the validator itself rejects a log missing required fields', () => {
    expect(sarifProblems({ version: '2.1.0', runs: [{ tool: { driver: {} }, results: [{ message: {}, level: 'fatal' }] }] })).toEqual([
      '$schema',
      'runs[0].tool.driver.name',
      'results[0].ruleId',
      'results[0].ruleIndex',
      'results[0].message.text',
      'results[0].level',
      'results[0].locations',
    ]);
  });

  it('has one rule per vulnerability id and one result per (origin, id), located at the packages’ stanzas', () => {
    const run = (renderSarif(report) as { runs: { tool: { driver: { rules: { id: string }[] } }; results: Json[] }[] }).runs[0];
    // 1 busybox id + 10 openssl ids, none shared.
    expect(run?.tool.driver.rules).toHaveLength(11);
    expect(run?.results).toHaveLength(11);
    const busybox = run?.results.find((result) => result['ruleId'] === 'CVE-2023-42366');
    expect(busybox).toMatchObject({
      level: 'error',
      message: { text: 'busybox 1.35.0-r17 (busybox, ssl_client) is affected by CVE-2023-42366, fixed in 1.35.0-r18: upgrade to 1.35.0-r18' },
      locations: [
        { physicalLocation: { artifactLocation: { uri: SYFT }, region: { startLine: stanzaLine('busybox') } } },
        { physicalLocation: { artifactLocation: { uri: SYFT }, region: { startLine: stanzaLine('ssl_client') } } },
      ],
    });
    expect(stanzaLine('busybox')).toBe(69);
  });

  it('carries the warnings as tool notifications', () => {
    const run = (renderSarif(report) as { runs: { invocations: { toolExecutionNotifications: { descriptor: { id: string } }[] }[] }[] }).runs[0];
    // No release stated (bare database) and 3.16 past its 2024-05-23 end of support.
    expect(run?.invocations[0]?.toolExecutionNotifications.map((note) => note.descriptor.id)).toEqual(['release-unknown', 'end-of-support']);
  });
});

describe('renderText and renderJson', () => {
  it('prints one apk-list-like line per installed package, sorted by name, then the total', () => {
    const lines = renderText(report).trimEnd().split('\n');
    expect(lines.map((line) => line.split(' [')[0])).toEqual([
      'busybox-1.35.0-r18 x86_64 {busybox}',
      'libcrypto1.1-1.1.1w-r1 x86_64 {openssl}',
      'libssl1.1-1.1.1w-r1 x86_64 {openssl}',
      'ssl_client-1.35.0-r18 x86_64 {busybox}',
      '4 packages to upgrade (11 vulnerabilities); 0 waiting for an unpublished fix (0); 0 with unfixed vulnerabilities (0)',
    ]);
    expect(lines[0]).toBe('busybox-1.35.0-r18 x86_64 {busybox} [upgradable from: busybox-1.35.0-r17] CVE-2023-42366');
    expect(renderWarnings(report).split('\n')[0]).toMatch(/^warning: cannot tell the Alpine release/);
  });

  it('writes unknown values as null and adds the summary', () => {
    const json = JSON.parse(renderJson(report)) as { system: Json; index: unknown; summary: Json };
    // A bare installed database states no release, arch file or index.
    expect(json.system).toEqual({ branch: '3.16', branchSource: 'flag', release: null, arch: null, packages: 14 });
    expect(json.index).toBeNull();
    expect(json.summary).toEqual({
      upgrade: { packages: 4, vulnerabilities: 11 },
      'fix-not-published': { packages: 0, vulnerabilities: 0 },
      unfixed: { packages: 0, vulnerabilities: 0 },
    });
  });
});
