import { describe, expect, it } from 'vitest';
import type { NvdEvaluation } from './configuration.js';
import { decidePairState, decideStates, sameState, stateDigest } from './decide.js';
import type { PairInput, SecfixLine } from './decide.js';
import type { PairState } from '../base/states.js';
import { loadSecdb, secfixLines } from './test-support/alpine-sample.js';

const v316main = loadSecdb('v3.16', 'main');

const line = (version: string, id: string, repo = 'main'): SecfixLine => ({ repo, version, id, text: id });
const input = (fields: Partial<PairInput>): PairInput => ({ repo: 'main', version: undefined, secfixes: [], rejections: [], nvd: undefined, ...fields });
const nvdSays = (outcome: NvdEvaluation['outcome']): NvdEvaluation => ({
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
