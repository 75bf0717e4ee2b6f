import { describe, expect, it } from 'vitest';
import type { NvdEvaluation } from './configuration.js';
import { decidePairState, decideStates, sameState, stateDigest } from './decide.js';
import type { PairInput, SecfixLine } from './decide.js';
import type { CriterionEvidence, PairState } from '../base/states.js';
import { loadSecdb, secfixLines } from './test-support/alpine-sample.js';

const v316main = loadSecdb('v3.16', 'main');

const line = (version: string, id: string, repo = 'main'): SecfixLine => ({ repo, version, id, text: id });
const input = (fields: Partial<PairInput>): PairInput => ({ repo: 'main', version: undefined, secfixes: [], rejections: [], nvd: undefined, ...fields });
const nvdSays = (outcome: NvdEvaluation['outcome']): NvdEvaluation => ({
  platforms: [],
  outcome,
  criteria: [{ kind: 'criterion', cveConfigurationIndex: 0, criteria: 'cpe:2.3:a:haxx:curl:*:*:*:*:*:*:*:*', bounds: {}, rule: 'origin-name', comparedVersion: '7.83.1', outcome: 'affected' }],
});

describe('decidePairState', () => {
  it('rejects when a rejection exists, whatever else is known', () => {
    const state = decidePairState(
      input({
        version: '1.0-r0',
        secfixes: [line('1.1-r0', 'CVE-2020-12345')],
        rejections: [{ id: 'CVE-2020-12345', source: 'main.yaml', rationale: 'only the Windows build' }],
        nvd: nvdSays('affected'),
      }),
    );
    expect(state).toEqual({ state: 'rejected', fixedVersion: null, evidence: [{ kind: 'rejection', id: 'CVE-2020-12345', source: 'main.yaml', rationale: 'only the Windows build' }] });
  });

  it('says not affected for a 0 line, even when NVD says affected', () => {
    // v3.16 zlib lists CVE-2023-45853 under 0; NVD's range (<= 1.3) contains 1.2.12.
    const secfixes = secfixLines(v316main, 'zlib').filter(({ id }) => id === 'CVE-2023-45853');
    expect(decidePairState(input({ version: '1.2.12-r3', secfixes, nvd: nvdSays('affected') }))).toEqual({
      state: 'not-affected',
      fixedVersion: null,
      evidence: [{ kind: 'not-affected-secfix', repo: 'main', text: 'CVE-2023-45853' }],
    });
  });

  it('compares the published version with the fix, -rN included', () => {
    // v3.16 busybox: fixed in 1.35.0-r18, the index has 1.35.0-r17.
    const secfixes = secfixLines(v316main, 'busybox').filter(({ id }) => id === 'CVE-2023-42366');
    expect(decidePairState(input({ version: '1.35.0-r17', secfixes }))).toEqual({
      state: 'vulnerable',
      fixedVersion: '1.35.0-r18',
      evidence: [
        { kind: 'secfix', repo: 'main', version: '1.35.0-r18', text: 'CVE-2023-42366' },
        { kind: 'published-version', repo: 'main', version: '1.35.0-r17' },
      ],
    });
    expect(decidePairState(input({ version: '1.35.0-r18', secfixes })).state).toBe('fixed');
    expect(decidePairState(input({ version: '1.36.1-r0', secfixes })).state).toBe('fixed');
  });

  it('uses the highest fix when a regression re-fix lists the id twice', () => {
    // Prior art §4.3.2: ghostscript lists CVE-2019-6116 under 9.26-r1 and again under 9.26-r2.
    const secfixes = [line('9.26-r1', 'CVE-2019-6116'), line('9.26-r2', 'CVE-2019-6116')];
    expect(decidePairState(input({ version: '9.26-r1', secfixes }))).toMatchObject({ state: 'vulnerable', fixedVersion: '9.26-r2' });
    // Key order carries no meaning (secdb sorts keys as text), so the lines in reverse decide the same.
    expect(decidePairState(input({ version: '9.26-r1', secfixes: [...secfixes].reverse() }))).toEqual(decidePairState(input({ version: '9.26-r1', secfixes })));
  });

  it('flips fixed back to vulnerable when a higher fix appears', () => {
    const before = decidePairState(input({ version: '9.26-r1', secfixes: [line('9.26-r1', 'CVE-2019-6116')] }));
    const after = decidePairState(input({ version: '9.26-r1', secfixes: [line('9.26-r1', 'CVE-2019-6116'), line('9.26-r2', 'CVE-2019-6116')] }));
    expect(before.state).toBe('fixed');
    expect(after.state).toBe('vulnerable');
    expect(sameState(before, after)).toBe(false);
  });

  it('says unknown, keeping the fix version, when nothing is published or a version is unreadable', () => {
    const fix = [line('1.9.5-r0', 'CVE-2021-23239')];
    expect(decidePairState(input({ secfixes: fix }))).toEqual({
      state: 'unknown',
      fixedVersion: '1.9.5-r0',
      evidence: [{ kind: 'secfix', repo: 'main', version: '1.9.5-r0', text: 'CVE-2021-23239' }, { kind: 'no-version', repo: 'main' }],
    });
    // v3.16 community sudo lists CVE-2021-3156 under 1.9.5p2-r0, which apk cannot read.
    const unreadableFix = decidePairState(input({ version: '1.9.12_p2-r0', secfixes: [line('1.9.5p2-r0', 'CVE-2021-3156', 'community')] }));
    expect(unreadableFix).toMatchObject({ state: 'unknown', fixedVersion: '1.9.5p2-r0' });
    expect(unreadableFix.evidence.at(-1)).toEqual({ kind: 'incomparable-version', version: '1.9.5p2-r0' });
    // v3.16's real opensmtpd version 6.8.0p2-r4 cannot be ordered either.
    expect(decidePairState(input({ version: '6.8.0p2-r4', secfixes: [line('6.8.0_p2-r5', 'CVE-2020-0001')] })).state).toBe('unknown');
  });

  it('lets a real fix version win over a 0 line for the same id, keeping both as evidence', () => {
    const state = decidePairState(input({ version: '1.0-r0', secfixes: [line('0', 'CVE-2020-0001'), line('1.0-r1', 'CVE-2020-0001')] }));
    expect(state).toMatchObject({ state: 'vulnerable', fixedVersion: '1.0-r1' });
    expect(state.evidence.map((evidence) => evidence.kind)).toEqual(['secfix', 'not-affected-secfix', 'published-version']);
  });

  it('follows NVD when no secfix line names the id', () => {
    const decide = (outcome: NvdEvaluation['outcome']) => decidePairState(input({ version: '7.83.1-r4', nvd: nvdSays(outcome) }));
    expect(decide('affected')).toMatchObject({ state: 'vulnerable', fixedVersion: null });
    expect(decide('fixed-upstream')).toMatchObject({ state: 'fixed', fixedVersion: null });
    expect(decide('not-affected').state).toBe('not-affected');
    expect(decide('unknown').state).toBe('unknown');
    expect(decide('affected').evidence.map((evidence) => evidence.kind)).toEqual(['published-version', 'criterion']);
    expect(decidePairState(input({ nvd: nvdSays('affected') })).state).toBe('unknown');
    expect(decidePairState(input({ version: '7.83.1-r4' }))).toEqual({
      state: 'unknown',
      fixedVersion: null,
      evidence: [{ kind: 'published-version', repo: 'main', version: '7.83.1-r4' }, { kind: 'no-criteria' }],
    });
  });
});

describe('a secfixes fix for a bug introduced after the published version', () => {
  const criterion = (criteria: string, bounds: CriterionEvidence['bounds'], comparedVersion: string, outcome: CriterionEvidence['outcome']): CriterionEvidence => ({
    kind: 'criterion',
    cveConfigurationIndex: 0,
    criteria,
    bounds,
    rule: 'origin-name',
    comparedVersion,
    outcome,
  });
  const nvdOf = (outcome: NvdEvaluation['outcome'], ...criteria: CriterionEvidence[]): NvdEvaluation => ({ outcome, criteria, platforms: [] });
  const curl = 'cpe:2.3:a:haxx:curl:*:*:*:*:*:*:*:*';

  it('is not affected when every NVD range starts above the published version, saying so in words', () => {
    // CVE-2023-38039: NVD 7.84.0 <= v < 8.3.0; v3.16 lists it at the 8.3.0-r0 upgrade, curl is 7.83.1-r4.
    const range = criterion(curl, { startIncluding: '7.84.0', endExcluding: '8.3.0' }, '7.83.1', 'before-range');
    const state = decidePairState(input({ version: '7.83.1-r4', secfixes: [line('8.3.0-r0', 'CVE-2023-38039')], nvd: nvdOf('not-affected', range) }));
    expect(state).toEqual({
      state: 'not-affected',
      fixedVersion: '8.3.0-r0',
      evidence: [
        { kind: 'secfix', repo: 'main', version: '8.3.0-r0', text: 'CVE-2023-38039' },
        { kind: 'published-version', repo: 'main', version: '7.83.1-r4' },
        range,
        { kind: 'introduced-after-published', version: '7.83.1', text: 'NVD: >=7.84.0 <8.3.0; 7.83.1 is older than the first affected version' },
      ],
    });
  });

  it('is not affected when NVD names only exact versions above the published one that the fix is past', () => {
    // CVE-2023-27537: libcurl 7.88.0 and 7.88.1 only; the fix line 8.0.1-r0 is past both.
    const exact = (version: string) => criterion(`cpe:2.3:a:haxx:libcurl:${version}:*:*:*:*:*:*:*`, { exact: version }, '7.83.1', 'before-range');
    const nvd = nvdOf('unknown', exact('7.88.0'), exact('7.88.1'));
    expect(decidePairState(input({ version: '7.83.1-r4', secfixes: [line('8.0.1-r0', 'CVE-2023-27537')], nvd })).state).toBe('not-affected');
  });

  it('stays vulnerable when an exact version above the published one is not below the fix: NVD named the reported release', () => {
    // CVE-2023-42363: NVD names only busybox 1.36.1, yet v3.17 fixes 1.35.0 in 1.35.0-r31.
    const nvd = nvdOf('unknown', criterion('cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*', { exact: '1.36.1' }, '1.35.0', 'before-range'));
    expect(decidePairState(input({ version: '1.35.0-r29', secfixes: [line('1.35.0-r31', 'CVE-2023-42363')], nvd })).state).toBe('vulnerable');
  });

  it('stays vulnerable when a range has a start but no end, as NVD wrote samba CVE-2022-37967', () => {
    // The 4.15 line's range reads "> 4.15.13" (meant "< 4.15.13"); the secdb fix 4.15.13-r0 is right.
    const samba = 'cpe:2.3:a:samba:samba:*:*:*:*:*:*:*:*';
    const nvd = nvdOf(
      'not-affected',
      criterion(samba, { startIncluding: '4.16.0', endExcluding: '4.16.8' }, '4.15.7', 'before-range'),
      criterion(samba, { startIncluding: '4.17.0', endExcluding: '4.17.4' }, '4.15.7', 'before-range'),
      criterion(samba, { startExcluding: '4.15.13' }, '4.15.7', 'before-range'),
    );
    expect(decidePairState(input({ version: '4.15.7-r0', secfixes: [line('4.15.13-r0', 'CVE-2022-37967')], nvd })).state).toBe('vulnerable');
  });

  it('stays vulnerable when any criterion does not start above the published version', () => {
    const nvd = nvdOf(
      'affected',
      criterion(curl, { startIncluding: '7.84.0', endExcluding: '8.3.0' }, '7.83.1', 'before-range'),
      criterion(curl, { endExcluding: '7.80.0' }, '7.83.1', 'after-range'),
    );
    expect(decidePairState(input({ version: '7.83.1-r4', secfixes: [line('8.3.0-r0', 'CVE-2023-38039')], nvd })).state).toBe('vulnerable');
    // Without NVD data the secfixes line alone decides.
    expect(decidePairState(input({ version: '7.83.1-r4', secfixes: [line('8.3.0-r0', 'CVE-2023-38039')] })).state).toBe('vulnerable');
  });
});

describe('decideStates', () => {
  it('never takes fix evidence from another package', () => {
    // v3.16 main: openssl lists CVE-2023-3817 fixed in 1.1.1v-r0, openssl3 in 3.0.11-r0. Taking
    // openssl's line for openssl3 (prior art §4.3.1) would call openssl3 3.0.7-r0 fixed.
    const openssl3 = decideStates({ repo: 'main', version: '3.0.7-r0', secfixes: secfixLines(v316main, 'openssl3'), rejections: [], nvd: new Map() });
    expect(openssl3.get('CVE-2023-3817')).toMatchObject({ state: 'vulnerable', fixedVersion: '3.0.11-r0' });
    // tar lists CVE-2021-37701 under 0 (node-tar's bug); nodejs lists it fixed in 14.17.6-r0.
    const tar = decideStates({ repo: 'main', version: '1.34-r0', secfixes: secfixLines(v316main, 'tar'), rejections: [], nvd: new Map() });
    expect(tar.get('CVE-2021-37701')?.state).toBe('not-affected');
    // curl has no line for CVE-2019-9513 though nghttp2, nginx and nodejs do: it gets no state.
    const curl = decideStates({ repo: 'main', version: '7.83.1-r4', secfixes: secfixLines(v316main, 'curl'), rejections: [], nvd: new Map() });
    expect(curl.has('CVE-2019-9513')).toBe(false);
  });

  it('decides every id the batch names, folding aliases into their id', () => {
    const states = decideStates({
      repo: 'main',
      version: '2.0-r0',
      secfixes: [line('2.0-r0', 'GHSA-572g-rvwr-6c7f'), line('1.0-r0', 'CVE-2020-0002')],
      rejections: [{ id: 'CVE-2020-0003', source: 'main.yaml' }],
      nvd: new Map([['CVE-2020-0004', nvdSays('affected')]]),
      aliasOf: new Map([['GHSA-572g-rvwr-6c7f', 'CVE-2020-0001']]),
    });
    expect([...states].map(([id, state]) => [id, state.state])).toEqual([
      ['CVE-2020-0001', 'fixed'],
      ['CVE-2020-0002', 'fixed'],
      ['CVE-2020-0003', 'rejected'],
      ['CVE-2020-0004', 'vulnerable'],
    ]);
  });
});

describe('sameState and stateDigest', () => {
  const state: PairState = {
    state: 'vulnerable',
    fixedVersion: '1.35.0-r18',
    evidence: [{ kind: 'secfix', repo: 'main', version: '1.35.0-r18', text: 'CVE-2023-42366' }],
  };

  it('treats a state read back from JSON with other key order as the same', () => {
    const reordered = JSON.parse('{"evidence":[{"text":"CVE-2023-42366","version":"1.35.0-r18","repo":"main","kind":"secfix"}],"fixedVersion":"1.35.0-r18","state":"vulnerable"}') as PairState;
    expect(sameState(state, reordered)).toBe(true);
    expect(stateDigest(reordered)).toBe(stateDigest(state));
  });

  it('tells states apart by state, fix version or evidence', () => {
    expect(sameState(state, { ...state, state: 'fixed' })).toBe(false);
    expect(sameState(state, { ...state, fixedVersion: null })).toBe(false);
    expect(sameState(state, { ...state, evidence: [...state.evidence, { kind: 'no-criteria' }] })).toBe(false);
  });
});
