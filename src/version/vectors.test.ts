import { describe, expect, it } from 'vitest';
import { compareVersions, matchVersion, parseOperator } from './compare.js';
import { isValidVersion } from './tokenize.js';
import { masterCases, stableCases } from './test-support/version-data.js';

// Conformance vectors from apk-tools (fixtures/apk-tools/README.md), one test per line.
const master = masterCases();
const stable = stableCases();

describe('apk-tools master test/unit/version.data', () => {
  it('has the 785 upstream cases', () => {
    expect(master).toHaveLength(785);
  });

  it.each(master)('line $line: $text', (c) => {
    if (c.kind === 'validity') {
      expect(isValidVersion(c.version)).toBe(c.expected);
    } else {
      const op = parseOperator(c.op);
      expect(op).not.toBe(0);
      expect(matchVersion(c.candidate, op, c.constraint)).toBe(c.expected);
    }
  });
});

describe('apk-tools 2.14-stable test/version.data', () => {
  it('has the 733 upstream cases', () => {
    expect(stable).toHaveLength(733);
  });

  const symbol = { [-1]: '<', 0: '=', 1: '>' } as const;
  it.each(stable)('line $line: $a $result $b', (c) => {
    expect(symbol[compareVersions(c.a, c.b)]).toBe(c.result);
  });
});
