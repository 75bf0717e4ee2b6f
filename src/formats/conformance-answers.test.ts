import { describe, expect, it } from 'vitest';
import { inputErrorFrom } from '../test-support/input-errors.js';
import { type KitAnswers, parseKitAnswers, writeKitAnswers } from './conformance-answers.js';

const ANSWERS: KitAnswers = {
  branch: '3.20',
  cases: [
    {
      name: 'fix-not-published',
      description: 'xz below a fix the index does not carry',
      branch: '3.20',
      release: '3.20.3',
      packages: [{ name: 'xz', version: '5.6-r0', origin: 'xz', arch: 'x86_64' }],
      mustReport: [{ package: 'xz', installedVersion: '5.6-r0', vulnerability: 'CVE-40', fixedVersion: null }],
      mustNotReport: [{ package: 'xz', vulnerability: 'CVE-30', reason: 'not affected' }],
      targets: ['fix-not-published/rootfs', 'fix-not-published/image.tar'],
    },
  ],
  skipped: [{ name: 'end-of-life', reason: 'no other branch has an end of support recorded' }],
};

describe('answers.json', () => {
  it('reads back what it writes', () => {
    expect(parseKitAnswers(writeKitAnswers(ANSWERS), 'answers.json')).toEqual(ANSWERS);
  });

  it('refuses another format, an unknown case and a target outside the kit, naming the place', () => {
    const problem = (edit: (json: Record<string, unknown>) => void) => {
      const json = JSON.parse(writeKitAnswers(ANSWERS)) as Record<string, unknown>;
      edit(json);
      const error = inputErrorFrom(() => parseKitAnswers(JSON.stringify(json), 'answers.json'));
      return `${error.place}: ${error.problem}`;
    };
    const firstCase = (json: Record<string, unknown>) => (json['cases'] as Record<string, unknown>[])[0] as Record<string, unknown>;
    expect(problem((json) => (json['format'] = 'other/1'))).toBe('$.format: expected "secfix-conformance/1", the format secfix conformance build writes');
    expect(problem((json) => (firstCase(json)['name'] = 'odd'))).toMatch(/^\$\.cases\[0\]\.name: unknown case "odd"; expected one of fixed, /);
    expect(problem((json) => (firstCase(json)['targets'] = ['../etc']))).toBe('$.cases[0].targets[0]: target "../etc" leaves the kit folder');
  });
});
