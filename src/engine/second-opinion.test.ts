import { describe, expect, it } from 'vitest';
import type { Cve5Affected, Cve5Version } from '../formats/cve5.js';
import { evaluateCve, prepareCve } from './configuration.js';
import { buildMappingIndex, packageUniverse } from './cpe-mapping.js';
import { type SecfixLine, decidePairState } from './decide.js';
import { evaluateCve5, prepareCve5 } from './second-opinion.js';
import { SAMPLE_RULES } from './test-support/alpine-rules.js';
import { loadApkIndex, loadNvd } from './test-support/alpine-sample.js';

const index = buildMappingIndex(packageUniverse(loadApkIndex('v3.16-main-x86_64')), SAMPLE_RULES);
const nvd = await loadNvd();

const range = (fields: Partial<Cve5Version>): Cve5Version => ({ version: '0', status: 'affected', changes: [], versionType: 'semver', ...fields });
const entry = (vendor: string, product: string, versions: Cve5Version[], defaultStatus: Cve5Affected['defaultStatus'] = 'unaffected'): Cve5Affected => ({
  source: 'CNA',
  vendor,
  product,
  cpes: [],
  defaultStatus,
  versions,
});

/** The pair's state with NVD's real record and the given CVE 5 entries (none: NVD alone). */
function decide(id: string, origin: string, version: string, affected: Cve5Affected[] | undefined, secfixes: SecfixLine[] = []) {
  const configurations = nvd.get(id)?.configurations;
  if (configurations === undefined) throw new Error(`${id} is not in the sample`);
  return decidePairState({
    repo: 'main',
    version,
    secfixes,
    rejections: [],
    nvd: evaluateCve(prepareCve(configurations, index), origin, version),
    cve5: affected === undefined ? undefined : evaluateCve5(prepareCve5(affected, index), origin, version),
  });
}

// CVE-2023-38408: NVD has OpenSSH < 9.3 (and the exact 9.3 releases); v3.16 publishes 9.0_p1-r2.
const OPENSSH = ['CVE-2023-38408', 'openssh', '9.0_p1-r2'] as const;
// CVE-2023-38039: NVD 7.84.0 <= v < 8.3.0; v3.16 lists it at the 8.3.0 upgrade and publishes 7.83.1-r4.
const CURL = ['CVE-2023-38039', 'curl', '7.83.1-r4'] as const;
const curlUpgrade: SecfixLine = { repo: 'main', version: '8.3.0-r0', id: 'CVE-2023-38039', text: 'CVE-2023-38039' };

describe('CVE 5 as a second opinion on NVD', () => {
  it('leaves the pair as NVD decides it when CVE 5 agrees, or has no data', () => {
    const alone = decide(...OPENSSH, undefined);
    expect(alone.state).toBe('vulnerable');
    expect(decide(...OPENSSH, [entry('OpenBSD', 'OpenSSH', [range({ lessThan: '9.3' })])])).toEqual(alone);
    // An entry for another product gives no opinion on openssh.
    expect(decide(...OPENSSH, [entry('Haxx', 'curl', [range({ lessThan: '9.0' })])])).toEqual(alone);
  });

  it('makes the pair unknown when NVD says affected and CVE 5 says not, with both sides in words', () => {
    const state = decide(...OPENSSH, [entry('OpenBSD', 'OpenSSH', [range({ lessThan: '9.0' })])]);
    expect(state.state).toBe('unknown');
    expect(state.evidence.at(-1)).toEqual({
      kind: 'sources-disagree',
      version: '9.0_p1',
      source: 'CNA',
      text: 'NVD: <9.3, =9.3 p1, =9.3 affects 9.0_p1; CVE 5 from CNA (OpenBSD OpenSSH: <9.0 affected, otherwise unaffected) does not affect it',
    });
  });

  it('makes an introduced-after pair unknown when CVE 5 says the published version is affected', () => {
    expect(decide(...CURL, undefined, [curlUpgrade]).state).toBe('not-affected');
    const state = decide(...CURL, [entry('haxx', 'curl', [range({ version: '7.50.0', lessThan: '8.3.0' })])], [curlUpgrade]);
    expect(state.state).toBe('unknown');
    expect(state.evidence.at(-1)).toMatchObject({ kind: 'sources-disagree', version: '7.83.1' });
    // CVE 5 agreeing that 7.83.1 is older than the bug keeps it not affected.
    expect(decide(...CURL, [entry('haxx', 'curl', [range({ version: '7.84.0', lessThan: '8.3.0' })])], [curlUpgrade]).state).toBe('not-affected');
  });

  it('lets a secfixes fix the published version reaches stand: fixed is the distribution\'s word, not a range', () => {
    const fixed = decide('CVE-2023-38039', 'curl', '8.3.0-r0', [entry('haxx', 'curl', [range({ lessThan: '9.0' })])], [curlUpgrade]);
    expect(fixed.state).toBe('fixed');
  });

  it('gives no opinion for versions of a type apk cannot order', () => {
    const alone = decide(...OPENSSH, undefined);
    expect(decide(...OPENSSH, [entry('OpenBSD', 'OpenSSH', [range({ version: 'abc123', lessThan: 'def456', versionType: 'git' })])])).toEqual(alone);
  });

  it('reads defaultStatus for the versions no range covers', () => {
    // A range above 9.0_p1 does not cover it: the default speaks.
    const above = [range({ version: '9.5', lessThan: '9.6' })];
    expect(decide(...OPENSSH, [entry('OpenBSD', 'OpenSSH', above, 'affected')]).state).toBe('vulnerable');
    expect(decide(...OPENSSH, [entry('OpenBSD', 'OpenSSH', above, 'unaffected')]).state).toBe('unknown');
    expect(decide(...OPENSSH, [entry('OpenBSD', 'OpenSSH', above, 'unknown')]).state).toBe('vulnerable');
    // No versions and affected by default: every version, which contradicts NVD's not-affected reading of curl.
    expect(decide(...CURL, [entry('haxx', 'curl', [], 'affected')], [curlUpgrade]).state).toBe('unknown');
  });

  it('reads a change list: the status from the highest `at` the version reaches', () => {
    const changed = range({ version: '8.0', lessThan: '*', changes: [{ at: '9.0', status: 'unaffected' }] });
    expect(decide(...OPENSSH, [entry('OpenBSD', 'OpenSSH', [changed])]).state).toBe('unknown');
  });
});
