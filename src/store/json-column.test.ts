import { describe, expect, it } from 'vitest';
import { configurationsShape, evidenceShape, jsonText, readJsonColumn } from './json-column.js';
import type { Evidence } from '../base/states.js';

describe('readJsonColumn', () => {
  it('gives back what jsonText wrote when it has the column shape', () => {
    const evidence: readonly Evidence[] = [
      { kind: 'published-version', repo: 'main', version: '1.0-r0' },
      { kind: 'criterion', cveConfigurationIndex: 0, criteria: 'cpe:2.3:a:x:y:*:*:*:*:*:*:*:*', bounds: { endExcluding: '2' }, rule: 'origin-name', comparedVersion: '1.0', outcome: 'affected' },
    ];
    expect(readJsonColumn(jsonText(evidence), evidenceShape, 'state.evidence')).toEqual(evidence);
  });

  it('names the column and the place of a wrong member', () => {
    const wrong = '[{"kind":"criterion","cveConfigurationIndex":0,"criteria":"c","bounds":{},"rule":"guess","comparedVersion":null,"outcome":"affected"}]';
    expect(() => readJsonColumn(wrong, evidenceShape, 'state.evidence')).toThrow(
      expect.objectContaining({ name: 'StoredJsonError', message: 'stored state.evidence[0].rule: expected one of config-product, origin-name, binary-name, versioned-origin, language-prefix, found "guess"' }),
    );
    expect(() => readJsonColumn('{"kind":"no-criteria"}', evidenceShape, 'state.evidence')).toThrow('stored state.evidence: expected an array, found an object');
    expect(() => readJsonColumn('[{"operator":"OR","negate":false,"nodes":[{"operator":"OR","negate":false,"matches":[{"criteria":"c"}]}]}]', configurationsShape, 'vulnerability.configurations')).toThrow(
      'stored vulnerability.configurations[0].nodes[0].matches[0].vulnerable: expected a boolean, found a undefined',
    );
    expect(() => readJsonColumn('[', evidenceShape, 'state.evidence')).toThrow(/^stored state.evidence: not JSON/);
  });
});
