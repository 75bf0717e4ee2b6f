import { describe, expect, it } from 'vitest';
import type { ReportedFinding } from '../formats/scanner-output.js';
import { type KitBranch, chooseEndOfLifeBranch, chooseKitCases, judgeCase } from './conformance.js';
import type { FixLine, SecurityData } from './scan-model.js';

/* The kit's choices on small branches whose every origin says in its name why it is there. */

type Lines = Record<string, [version: string, id: string][]>;

function branch(name: string, fixes: Lines, published: Record<string, string>, binaries: Record<string, string[]>, extra: Partial<SecurityData> & { triaged?: string[] } = {}): KitBranch {
  const fixMap = new Map<string, FixLine[]>(Object.entries(fixes).map(([origin, lines]) => [origin, lines.map(([version, id]) => ({ version, id, repo: 'main' }))]));
  const data: SecurityData = { kind: 'tracker', branch: name, sources: ['test'], repos: ['main'], fixes: fixMap, published: new Map(Object.entries(published)), ...extra };
  return { data, binaries: new Map(Object.entries(binaries)), arch: 'x86_64', triaged: new Set(extra.triaged ?? []) };
}

const SCANNED = branch(
  '3.20',
  {
    // Left out: open vulnerabilities, a rejection, a triage event, an id both fixed and "0", an invalid version.
    'a-open': [['1.0-r1', 'CVE-1']],
    'a-rejected': [['1.0-r1', 'CVE-2']],
    'a-triaged': [['1.0-r1', 'CVE-3']],
    'a-conflict': [['0', 'CVE-4'], ['1.0-r1', 'CVE-4']],
    'a-invalid': [['1.0-r1-bad', 'CVE-5']],
    // fixed at r2 twice (a re-fix), published r3: the fixed case, then the unfixed one (r1 below r2).
    curl: [['8.0-r1', 'CVE-10'], ['8.0-r2', 'CVE-10'], ['7.0-r0', 'CVE-11']],
    // subpackages: two binaries named otherwise.
    openssl: [['3.1-r1', 'CVE-20']],
    // "0" and a published fix.
    zlib: [['0', 'CVE-30'], ['1.3-r0', 'CVE-31']],
    // A fix the index does not carry yet.
    xz: [['5.6-r1', 'CVE-40']],
  },
  { 'a-open': '1.0-r1', 'a-rejected': '1.0-r1', 'a-triaged': '1.0-r1', 'a-conflict': '1.0-r1', 'a-invalid': '1.0-r1', curl: '8.0-r3', openssl: '3.1-r1', zlib: '1.3-r0', xz: '5.6-r0', 'alpine-base': '3.20.3-r0' },
  { 'a-open': ['a-open'], 'a-rejected': ['a-rejected'], 'a-triaged': ['a-triaged'], 'a-conflict': ['a-conflict'], 'a-invalid': ['a-invalid'], curl: ['curl', 'libcurl'], openssl: ['libcrypto3', 'libssl3', 'openssl'], zlib: ['zlib'], xz: ['xz', 'xz-libs'] },
  { open: new Map([['a-open', [{ id: 'CVE-9', state: 'vulnerable' }]]]), rejected: new Map([['a-rejected', new Set(['CVE-2'])]]), triaged: ['a-triaged'] },
);

describe('chooseKitCases', () => {
  const choice = chooseKitCases(SCANNED, undefined);
  const byName = new Map(choice.cases.map((kitCase) => [kitCase.name, kitCase]));

  it('takes origins the data is clear about, first by name, another for each case where it can', () => {
    expect(choice.cases.map((kitCase) => [kitCase.name, kitCase.packages.map((pkg) => `${pkg.name}-${pkg.version}`).join(' ')])).toEqual([
      ['fixed', 'curl-8.0-r2'],
      ['unfixed', 'openssl-3.1-r0'],
      ['subpackages', 'libcrypto3-3.1-r0 libssl3-3.1-r0'],
      ['not-affected', 'zlib-1.3-r0'],
      ['fix-not-published', 'xz-5.6-r0'],
    ]);
    expect(byName.get('fixed')?.release).toBe('3.20.3');
  });

  it('requires every binary below a fix, with the fix when published and null when not; forbids what is reached and "0"', () => {
    expect(byName.get('fixed')?.mustReport).toEqual([]);
    expect(byName.get('fixed')?.mustNotReport.map((finding) => `${finding.vulnerability}: ${finding.reason}`)).toEqual(['CVE-10: 8.0-r2 reaches the fix 8.0-r2', 'CVE-11: 8.0-r2 reaches the fix 7.0-r0']);
    expect(byName.get('subpackages')?.mustReport).toEqual([
      { package: 'libcrypto3', installedVersion: '3.1-r0', vulnerability: 'CVE-20', fixedVersion: '3.1-r1' },
      { package: 'libssl3', installedVersion: '3.1-r0', vulnerability: 'CVE-20', fixedVersion: '3.1-r1' },
    ]);
    expect(byName.get('not-affected')?.mustNotReport.map((finding) => finding.vulnerability)).toEqual(['CVE-31', 'CVE-30']);
    expect(byName.get('fix-not-published')?.mustReport).toEqual([{ package: 'xz', installedVersion: '5.6-r0', vulnerability: 'CVE-40', fixedVersion: null }]);
  });

  it('skips a case the data has no example of, and the end-of-life case without an ended branch', () => {
    const bare = chooseKitCases(branch('edge', { curl: [['8.0-r0', 'CVE-10']] }, { curl: '8.0-r0' }, { curl: ['curl'] }), undefined);
    expect(bare.cases.map((kitCase) => [kitCase.name, kitCase.release])).toEqual([['fixed', '0.0_alpha0']]);
    expect(bare.skipped).toEqual([
      { name: 'unfixed', reason: 'edge: no origin has a published fix with a release (-rN, N > 0) below it' },
      { name: 'subpackages', reason: 'edge: no origin with two binary packages named otherwise has a published fix with a release below it' },
      { name: 'not-affected', reason: 'edge: no published origin lists an id under "0"' },
      { name: 'fix-not-published', reason: 'edge: no origin has a recorded fix newer than its published version' },
      { name: 'end-of-life', reason: 'no other branch has an end of support recorded' },
    ]);
  });

  it('takes an end-of-life branch without an index as publishing its fixes, the binary named as the origin', () => {
    const ended = branch('3.14', { bash: [['5.1-r2', 'CVE-50']] }, {}, {}, { endOfSupport: '2023-05-01' });
    const eol = chooseKitCases(SCANNED, ended).cases.find((kitCase) => kitCase.name === 'end-of-life');
    expect(eol?.release).toBe('3.14.0');
    expect(eol?.description).toMatch(/^3\.14, supported until 2023-05-01: bash installed at 5\.1-r1/);
    expect(eol?.mustReport).toEqual([{ package: 'bash', installedVersion: '5.1-r1', vulnerability: 'CVE-50', fixedVersion: '5.1-r2' }]);
  });
});

describe('chooseEndOfLifeBranch', () => {
  it('takes the other branch whose support ended first', () => {
    const branches = [
      { name: '3.16', endOfSupport: '2024-05-23' },
      { name: '3.14', endOfSupport: '2023-05-01' },
      { name: 'edge', endOfSupport: null },
    ];
    expect(chooseEndOfLifeBranch(branches, '3.16')).toBe('3.14');
    expect(chooseEndOfLifeBranch(branches, '3.14')).toBe('3.16');
    expect(chooseEndOfLifeBranch([{ name: 'edge', endOfSupport: null }], 'edge')).toBeUndefined();
  });
});

describe('judgeCase', () => {
  const answers = {
    mustReport: [{ package: 'xz', installedVersion: '5.6-r0', vulnerability: 'CVE-40', fixedVersion: null }],
    mustNotReport: [{ package: 'xz', vulnerability: 'CVE-30', reason: 'not affected' }],
  };
  const reported = (vulnerability: string, fixedVersion: string | null): ReportedFinding => ({ package: 'xz', installedVersion: '5.6-r0', vulnerability, fixedVersion });

  it('passes the exact findings, whatever else is reported', () => {
    expect(judgeCase(answers, [reported('CVE-40', null), reported('CVE-99', '6.0-r0')])).toEqual({ passed: true, missing: [], wrong: [], forbidden: [] });
  });

  it('fails a missing finding, one with another fix version, and a forbidden one', () => {
    expect(judgeCase(answers, [])).toMatchObject({ passed: false, missing: answers.mustReport });
    expect(judgeCase(answers, [reported('CVE-40', '5.6-r1')])).toMatchObject({ passed: false, wrong: [{ expected: answers.mustReport[0], reported: reported('CVE-40', '5.6-r1') }] });
    expect(judgeCase(answers, [reported('CVE-40', null), reported('CVE-30', null)])).toMatchObject({ passed: false, forbidden: [reported('CVE-30', null)] });
  });
});
