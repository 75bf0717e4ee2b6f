import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenCursor, TokenKind, isValidVersion } from './tokenize.js';
import { validVersion, versionLikeString } from './test-support/arbitraries.js';

/** The token kinds of `version`, up to and including END or INVALID. */
function kinds(version: string): number[] {
  const out: number[] = [];
  const cursor = new TokenCursor().reset(version);
  for (;;) {
    out.push(cursor.kind);
    if (cursor.kind >= TokenKind.END) return out;
    cursor.next();
  }
}

describe('isValidVersion (formats.md §1.1)', () => {
  it.each([
    '1',
    '01.02',
    '1.0a_p1',
    '0.1_p1_pre2',
    '0.1_alpha1_pre2',
    '0.1_git20240101_pre1',
    '1.0~abc-r1',
    '1.0_rc1~0123456789abcdef',
    '1.0-r0',
    '18446744073709551616',
  ])('accepts %s', (v) => {
    expect(isValidVersion(v)).toBe(true);
  });

  it.each([
    '',
    '1..0',
    '1.0.',
    '1.0_RC1',
    '1.0_post1',
    '1.0__alpha',
    '1.0a1',
    '1.0ab',
    '1.0~',
    '1.0~ABC',
    '1.0~abc~def',
    '1.0-r',
    '1.0-r1-r2',
    '1.0-r1~abc',
    '1.0-1',
    '1.0 ',
    ' 1.0',
    'v1.0',
  ])('rejects %j', (v) => {
    expect(isValidVersion(v)).toBe(false);
  });

  it('accepts every version built from the grammar', () => {
    fc.assert(fc.property(validVersion, (v) => isValidVersion(v)));
  });

  it('agrees with the grammar as a regular expression on arbitrary strings', () => {
    const grammar = /^[0-9]+(\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(~[0-9a-f]+)?(-r[0-9]+)?$/;
    fc.assert(
      fc.property(fc.oneof(versionLikeString, validVersion, fc.string()), (v) => isValidVersion(v) === grammar.test(v)),
      { numRuns: 5000 },
    );
  });
});

describe('TokenCursor', () => {
  const { INITIAL_DIGIT, DIGIT, LETTER, SUFFIX, SUFFIX_NO, COMMIT_HASH, REVISION_NO, END, INVALID } = TokenKind;

  it('reads every token kind in grammar order', () => {
    expect(kinds('1.2b_rc3~ab-r4')).toEqual([
      INITIAL_DIGIT,
      DIGIT,
      LETTER,
      SUFFIX,
      SUFFIX_NO,
      COMMIT_HASH,
      REVISION_NO,
      END,
    ]);
  });

  it('stops at the first token that fails, keeping the valid ones before it', () => {
    expect(kinds('1.0bc')).toEqual([INITIAL_DIGIT, DIGIT, LETTER, INVALID]);
    expect(kinds('1-ruff')).toEqual([INITIAL_DIGIT, INVALID]);
    expect(kinds('_pre1')).toEqual([INVALID]);
  });

  it('wraps numbers modulo 2^64 like apk-tools', () => {
    const cursor = new TokenCursor().reset('18446744073709551617');
    expect(cursor.big).toBe(true);
    expect(cursor.bigValue()).toBe(1n);
    expect(new TokenCursor().reset('0018446744073709551615').bigValue()).toBe(2n ** 64n - 1n);
  });

  it('keeps digit runs of up to 15 digits as exact numbers', () => {
    const cursor = new TokenCursor().reset('999999999999999');
    expect(cursor.big).toBe(false);
    expect(cursor.value).toBe(999_999_999_999_999);
  });
});
