import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersions, matchVersion, parseOperator } from './compare.js';
import { compareParsed, matchParsed, parseVersion, sortVersions, versionSortKey } from './sort-key.js';
import { isValidVersion } from './tokenize.js';
import { anyVersionString, validVersion } from './test-support/arbitraries.js';
import { vectorVersions } from './test-support/version-data.js';

function order(x: string, y: string): -1 | 0 | 1 {
  return x < y ? -1 : x > y ? 1 : 0;
}

const fuzzyOps = ['~', '<~', '>~', '=', '<', '>=', '><'].map(parseOperator);

describe('versionSortKey', () => {
  it('encodes the documented example', () => {
    expect(versionSortKey('1.2.03_rc1-r2')).toBe('Ka1Ja2I03!AdFa1Da2C');
    expect(versionSortKey('1.0b_p~00f-r18446744073709551617')).toBe('Ka1I0!HbGjE00f!Da1C');
    expect(versionSortKey('1-ruff')).toBe('Ka1B');
  });

  it('gives equal keys to equal versions written differently', () => {
    expect(versionSortKey('01.1_p01-r00')).toBe(versionSortKey('1.1_p1-r0'));
    expect(versionSortKey('18446744073709551616')).toBe(versionSortKey('0'));
  });

  const versions = vectorVersions();
  it(`orders all ${versions.length} versions of the vector files like compareVersions, pair by pair`, () => {
    const keys = versions.map(versionSortKey);
    const mismatches: string[] = [];
    versions.forEach((a, i) => {
      versions.forEach((b, j) => {
        if (order(keys[i] ?? '', keys[j] ?? '') !== compareVersions(a, b)) mismatches.push(`${a} vs ${b}`);
      });
    });
    expect(versions.filter(isValidVersion).length).toBeGreaterThan(600);
    expect(mismatches).toEqual([]);
  });

  it('orders generated valid versions like compareVersions', () => {
    fc.assert(
      fc.property(validVersion, validVersion, (a, b) => order(versionSortKey(a), versionSortKey(b)) === compareVersions(a, b)),
      { numRuns: 10_000 },
    );
  });

  it('orders any strings, invalid ones included, like compareVersions', () => {
    fc.assert(
      fc.property(anyVersionString, anyVersionString, (a, b) => order(versionSortKey(a), versionSortKey(b)) === compareVersions(a, b)),
      { numRuns: 10_000 },
    );
  });

  it('is printable ASCII, so byte order (a database "C" collation) is the same order', () => {
    fc.assert(
      fc.property(anyVersionString, anyVersionString, (a, b) => {
        const [x, y] = [versionSortKey(a), versionSortKey(b)];
        return /^[!-~]+$/.test(x) && Math.sign(Buffer.compare(Buffer.from(x), Buffer.from(y))) === order(x, y);
      }),
    );
  });
});

describe('parseVersion / compareParsed / matchParsed', () => {
  it('flags validity like isValidVersion', () => {
    fc.assert(fc.property(anyVersionString, (v) => parseVersion(v).valid === isValidVersion(v)));
  });

  it('compares like compareVersions', () => {
    fc.assert(
      fc.property(anyVersionString, anyVersionString, (a, b) => compareParsed(parseVersion(a), parseVersion(b)) === compareVersions(a, b)),
    );
  });

  const versions = vectorVersions().map(parseVersion);
  it('matches like matchVersion on every pair of vector versions, fuzzy operators included', () => {
    const mismatches: string[] = [];
    for (const a of versions) {
      for (const b of versions) {
        for (const op of fuzzyOps) {
          if (matchParsed(a, op, b) !== matchVersion(a.text, op, b.text)) mismatches.push(`${a.text} ${op} ${b.text}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('matches like matchVersion on generated versions', () => {
    const related = fc.tuple(validVersion, fc.constantFrom('', '.1', '_pre', 'a', '-r1', '~ab', '_x')).map(([v, tail]) => v + tail);
    fc.assert(
      fc.property(fc.oneof(related, anyVersionString), fc.oneof(related, anyVersionString), fc.constantFrom(...fuzzyOps), (a, b, op) => {
        const conflict = op | 16;
        return (
          matchParsed(parseVersion(a), op, parseVersion(b)) === matchVersion(a, op, b) &&
          matchParsed(parseVersion(a), conflict, parseVersion(b)) === matchVersion(a, conflict, b)
        );
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('sortVersions', () => {
  it('sorts in apk order and keeps equal versions in input order', () => {
    expect(sortVersions(['1.0-r1', '1.0', '01', '1.0_rc1', '1', '1.0a', '0.9', '1.0.0', '1.0_p1', '1.0~ab'])).toEqual([
      '0.9',
      '01',
      '1',
      '1.0_rc1',
      '1.0',
      '1.0-r1',
      '1.0~ab',
      '1.0_p1',
      '1.0a',
      '1.0.0',
    ]);
  });

  it('agrees with Array.sort(compareVersions) on generated lists', () => {
    fc.assert(
      fc.property(fc.array(anyVersionString, { maxLength: 30 }), (list) => {
        const sorted = sortVersions(list);
        return sorted.every((v, i) => i === 0 || compareVersions(sorted[i - 1] ?? '', v) <= 0) && sorted.length === list.length;
      }),
    );
  });

  it('does not change its input', () => {
    const input = ['2', '1'];
    sortVersions(input);
    expect(input).toEqual(['2', '1']);
  });
});
