import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  VersionOp,
  compareVersions,
  compareVersionsMask,
  matchVersion,
  operatorText,
  parseOperator,
} from './compare.js';
import { anyVersionString, validVersion } from './test-support/arbitraries.js';

const symbol = { [-1]: '<', 0: '=', 1: '>' } as const;

describe('compareVersions', () => {
  // Facts stated in reference/formats.md §1.3–1.4 (checked there against apk-tools builds).
  it.each([
    ['01', '=', '1'],
    ['1.01', '<', '1.1'],
    ['1.00', '>', '1.0'],
    ['8.2.0', '<', '8.2.001'],
    ['8.2.0015', '<', '8.2.002'],
    ['1.0-r0', '=', '1.0-r00'],
    ['1.0_p01', '=', '1.0_p1'],
    ['1.0~abc', '<', '1.0~abcd'],
    ['1.0~b', '>', '1.0~abcd'],
    ['1.0', '<', '1.0.0'],
    ['1.0.1', '>', '1.0a'],
    ['1.0a', '>', '1.0'],
    ['1.0_alpha', '<', '1.0a'],
    ['1.0_cvs', '>', '1.0'],
    ['1.0', '<', '1.0-r0'],
    ['1.2.3', '<', '1.2.3-r1'],
    ['1.0_alpha', '<', '1.0_alpha0'],
    ['1.0_p', '<', '1.0_p0'],
    ['1.2.3_rc1-r2', '<', '1.2.3-r0'],
    ['0.1.0_alpha_pre2', '<', '0.1.0_alpha'],
    ['1.0~abc', '>', '1.0'],
    ['1.0~abc', '>', '1.0-r0'],
    ['1', '>', '1-ruff'],
    ['1.0b', '>', '1.0bc'],
    ['0.1a1', '<', '0.1a'],
    ['1-r2', '>', '1-r-1'],
    ['1.0', '<', '1.0bc'],
    ['1-ruff2', '=', '1-ruff1'],
    ['1-ruff1', '=', '1--ruff1'],
    ['18446744073709551616', '=', '0'],
    ['18446744073709551617', '=', '1'],
    ['1.18446744073709551617', '=', '1.1'],
    ['1.18446744073709551616', '>', '1.0'],
    ['1-r18446744073709551616', '=', '1-r0'],
    ['1_p99999999999999999999', '<', '1_p18446744073709551615'],
    ['', '=', ''],
    ['', '<', '0'],
  ])('%s %s %s', (a, expected, b) => {
    expect(symbol[compareVersions(a, b)]).toBe(expected);
    expect(symbol[compareVersions(b, a)]).toBe(expected === '<' ? '>' : expected === '>' ? '<' : '=');
  });

  it('returns the result as an apk mask', () => {
    expect(compareVersionsMask('1.0', '1.1')).toBe(VersionOp.LESS);
    expect(compareVersionsMask('1.1', '1.0')).toBe(VersionOp.GREATER);
    expect(compareVersionsMask('1.0', '1.0')).toBe(VersionOp.EQUAL);
    expect(compareVersionsMask('1.0.5', '1.0', true)).toBe(VersionOp.EQUAL);
    expect(compareVersionsMask('1.0', '1.0.5', true)).toBe(VersionOp.LESS);
  });

  it('agrees with exact uint64 wrap-around on long digit runs', () => {
    const wide = fc.bigInt({ min: 0n, max: 2n ** 80n });
    fc.assert(
      fc.property(wide, wide, (x, y) => {
        const [a, b] = [BigInt.asUintN(64, x), BigInt.asUintN(64, y)];
        const expected = a < b ? -1 : a > b ? 1 : 0;
        return compareVersions(`${x}`, `${y}`) === expected && compareVersions(`1.2-r${x}`, `1.2-r${y}`) === expected;
      }),
    );
  });

  it('never throws and is antisymmetric on any strings', () => {
    fc.assert(
      fc.property(anyVersionString, anyVersionString, (a, b) => compareVersions(a, b) === -compareVersions(b, a)),
      { numRuns: 5000 },
    );
  });

  it('is reflexive on any strings', () => {
    fc.assert(fc.property(anyVersionString, (a) => compareVersions(a, a) === 0));
  });

  it('is transitive on valid versions', () => {
    fc.assert(
      fc.property(fc.array(validVersion, { minLength: 3, maxLength: 8 }), (list) => {
        const sorted = [...list].sort(compareVersions);
        for (let i = 0; i < sorted.length; i++) {
          for (let j = i + 1; j < sorted.length; j++) {
            if (compareVersions(sorted[i] ?? '', sorted[j] ?? '') > 0) return false;
          }
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it('is transitive on triples, including invalid strings', () => {
    fc.assert(
      fc.property(anyVersionString, anyVersionString, anyVersionString, (a, b, c) => {
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) return compareVersions(a, c) <= 0;
        return true;
      }),
      { numRuns: 5000 },
    );
  });
});

describe('fuzzy matching (formats.md §1.5)', () => {
  it.each([
    ['3.6.0', '3.6'],
    ['3.6.9', '3.6'],
    ['3.6_pre1', '3.6'],
    ['3.6.9_post1', '3.6'],
    ['2.1.0', '2.1'],
    ['1.0-r5', '1.0'],
    ['1.0a', '1.0'],
    ['1.0~abc', '1.0'],
    ['2.2', '2.2'],
  ])('%s ~ %s', (candidate, constraint) => {
    expect(matchVersion(candidate, parseOperator('~'), constraint)).toBe(true);
  });

  it.each([
    ['2.10', '2.1'],
    ['2.10', '2.2'],
    ['3.8', '3.8.1'],
    ['3.8.0.1', '3.8.1'],
  ])('%s !~ %s', (candidate, constraint) => {
    expect(matchVersion(candidate, parseOperator('~'), constraint)).toBe(false);
  });

  it('holds when the constraint is a token prefix of the candidate, and only in that direction', () => {
    fc.assert(
      fc.property(validVersion, validVersion, (head, tail) => {
        const extended = `${head}.${tail}`;
        // '.' never continues a token, so `head`'s tokens are a prefix of `extended`'s.
        const fuzzy = VersionOp.FUZZY | VersionOp.EQUAL;
        return matchVersion(extended, fuzzy, head) && !matchVersion(head, fuzzy, extended);
      }),
    );
  });

  it('combines with < and >', () => {
    expect(matchVersion('3.5', parseOperator('<~'), '3.6')).toBe(true);
    expect(matchVersion('3.6.2', parseOperator('<~'), '3.6')).toBe(true);
    expect(matchVersion('3.7', parseOperator('<~'), '3.6')).toBe(false);
    expect(matchVersion('3.7', parseOperator('>~'), '3.6')).toBe(true);
    expect(matchVersion('3.5', parseOperator('>~'), '3.6')).toBe(false);
  });
});

describe('matchVersion', () => {
  it('matches anything when the op contains EQUAL, LESS and GREATER', () => {
    expect(matchVersion('1', VersionOp.ANY, '2')).toBe(true);
    expect(matchVersion('not a version', parseOperator('<>='), '')).toBe(true);
  });

  it('inverts the answer with CONFLICT', () => {
    expect(matchVersion('1.0', VersionOp.LESS | VersionOp.CONFLICT, '2.0')).toBe(false);
    expect(matchVersion('3.0', VersionOp.LESS | VersionOp.CONFLICT, '2.0')).toBe(true);
    expect(matchVersion('3.0', VersionOp.ANY | VersionOp.CONFLICT, '2.0')).toBe(false);
  });

  it('agrees with compareVersions for every plain operator', () => {
    fc.assert(
      fc.property(anyVersionString, anyVersionString, (a, b) => {
        const r = compareVersions(a, b);
        return (
          matchVersion(a, parseOperator('<'), b) === r < 0 &&
          matchVersion(a, parseOperator('<='), b) === r <= 0 &&
          matchVersion(a, parseOperator('='), b) === (r === 0) &&
          matchVersion(a, parseOperator('>='), b) === r >= 0 &&
          matchVersion(a, parseOperator('>'), b) === r > 0
        );
      }),
    );
  });
});

describe('operators', () => {
  it.each([
    ['<', 2, '<'],
    ['<=', 3, '<='],
    ['=<', 3, '<='],
    ['=', 1, '='],
    ['>=', 5, '>='],
    ['>', 4, '>'],
    ['~', 9, '~'],
    ['~=', 9, '~'],
    ['=~', 9, '~'],
    ['<~', 11, '<~'],
    ['>~', 13, '>~'],
    ['><', 6, '><'],
    ['<>', 6, '><'],
    ['<>=', 7, ''],
  ])('%s has mask %i and canonical text %j', (text, mask, canonical) => {
    expect(parseOperator(text)).toBe(mask);
    expect(operatorText(mask)).toBe(canonical);
  });

  it.each(['', '!', '<!', '=>x', '==a', ' <'])('rejects %j', (text) => {
    expect(parseOperator(text)).toBe(0);
  });

  it('prints ? for masks without canonical text and ignores CONFLICT', () => {
    expect(operatorText(VersionOp.FUZZY)).toBe('~');
    expect(operatorText(VersionOp.LESS | VersionOp.FUZZY)).toBe('?');
    expect(operatorText(0)).toBe('?');
    expect(operatorText(VersionOp.GREATER | VersionOp.CONFLICT)).toBe('>');
  });
});
