/**
 * The apk version tokenizer, following apk-tools 3.x `src/version.c` (master @ 90b974fd,
 * apk-tools 3.0.6; see reference/formats.md §1.1–1.3).
 *
 * A version is read left to right as a sequence of tokens. The numeric kind values matter:
 * the tokenizer only allows a token after a lower (or, for digits and suffixes, equal) kind,
 * and comparison ranks a higher kind *lower* when two versions differ in kind at a position.
 *
 * The cursor walks the string by char code and keeps only offsets and numbers, so tokenizing
 * allocates nothing unless a digit run is too long for an exact double.
 */

/** Token kinds, in apk-tools' order. */
export const TokenKind = {
  INITIAL_DIGIT: 0,
  DIGIT: 1,
  LETTER: 2,
  SUFFIX: 3,
  SUFFIX_NO: 4,
  COMMIT_HASH: 5,
  REVISION_NO: 6,
  END: 7,
  INVALID: 8,
} as const;
export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

/** Suffix values: pre-release suffixes sort below NONE (a bare version), post-release above. */
export const Suffix = {
  ALPHA: 1,
  BETA: 2,
  PRE: 3,
  RC: 4,
  NONE: 5,
  CVS: 6,
  SVN: 7,
  GIT: 8,
  HG: 9,
  P: 10,
} as const;
export type Suffix = (typeof Suffix)[keyof typeof Suffix];

const CH_0 = 48;
const CH_9 = 57;
const CH_A = 97;
const CH_F = 102;
const CH_Z = 122;
const CH_DOT = 46;
const CH_UNDERSCORE = 95;
const CH_TILDE = 126;
const CH_DASH = 45;
const CH_R = 114;

/** Longest digit run whose value is always exact as a double (10^15 < 2^53). */
const MAX_EXACT_DIGITS = 15;

const UINT64_BITS = 64;

/** Suffix value of the name `text[start, end)`, or 0 when it is not one of the nine names. */
function suffixValue(text: string, start: number, end: number): number {
  switch (end - start) {
    case 1:
      return text.charCodeAt(start) === 112 ? Suffix.P : 0;
    case 2:
      if (text.startsWith('rc', start)) return Suffix.RC;
      return text.startsWith('hg', start) ? Suffix.HG : 0;
    case 3:
      if (text.startsWith('pre', start)) return Suffix.PRE;
      if (text.startsWith('cvs', start)) return Suffix.CVS;
      if (text.startsWith('svn', start)) return Suffix.SVN;
      return text.startsWith('git', start) ? Suffix.GIT : 0;
    case 4:
      return text.startsWith('beta', start) ? Suffix.BETA : 0;
    case 5:
      return text.startsWith('alpha', start) ? Suffix.ALPHA : 0;
    default:
      return 0;
  }
}

/**
 * A reusable cursor over one version string. After `reset` it holds the first token; each
 * `next` advances to the following one. `kind` reaches END or INVALID and then stays there.
 *
 * Token payload, by kind:
 * - numeric kinds (INITIAL_DIGIT, DIGIT, SUFFIX_NO, REVISION_NO): `value` is the number when
 *   `big` is false; `big` marks a run of more than 15 digits, whose uint64 value (wrapped
 *   modulo 2^64, as apk-tools' `apk_blob_pull_uint` does) comes from `bigValue()`;
 * - LETTER: `value` is the char code; SUFFIX: `value` is the Suffix value;
 * - DIGIT and COMMIT_HASH also compare as text: `text.slice(start, end)` is the token's text.
 */
export class TokenCursor {
  text = '';
  kind: TokenKind = TokenKind.INVALID;
  value = 0;
  big = false;
  start = 0;
  end = 0;

  /** Starts reading `text`; the first token is always a digit run (INITIAL_DIGIT). */
  reset(text: string): this {
    this.text = text;
    this.kind = TokenKind.INITIAL_DIGIT;
    this.readDigits(0);
    return this;
  }

  /** Advances to the next token. Only call while `kind < END`. */
  next(): void {
    const text = this.text;
    const pos = this.end;
    const prev = this.kind;
    if (pos >= text.length) {
      this.kind = TokenKind.END;
      return;
    }
    const c = text.charCodeAt(pos);
    if (c >= CH_A && c <= CH_Z) {
      if (prev > TokenKind.DIGIT) {
        this.kind = TokenKind.INVALID;
        return;
      }
      this.kind = TokenKind.LETTER;
      this.value = c;
      this.big = false;
      this.start = pos;
      this.end = pos + 1;
    } else if (c === CH_DOT || (c >= CH_0 && c <= CH_9)) {
      // A digit run directly after a suffix name is its number; after a letter it is invalid.
      if (c === CH_DOT ? prev > TokenKind.DIGIT : prev !== TokenKind.SUFFIX) {
        this.kind = TokenKind.INVALID;
        return;
      }
      this.kind = c === CH_DOT ? TokenKind.DIGIT : TokenKind.SUFFIX_NO;
      this.readDigits(c === CH_DOT ? pos + 1 : pos);
    } else if (c === CH_UNDERSCORE) {
      if (prev > TokenKind.SUFFIX_NO) {
        this.kind = TokenKind.INVALID;
        return;
      }
      let end = pos + 1;
      while (end < text.length) {
        const d = text.charCodeAt(end);
        if (d < CH_A || d > CH_Z) break;
        end++;
      }
      const suffix = suffixValue(text, pos + 1, end);
      if (suffix === 0) {
        this.kind = TokenKind.INVALID;
        return;
      }
      this.kind = TokenKind.SUFFIX;
      this.value = suffix;
      this.big = false;
      this.start = pos + 1;
      this.end = end;
    } else if (c === CH_TILDE) {
      let end = pos + 1;
      while (end < text.length) {
        const d = text.charCodeAt(end);
        if (!((d >= CH_0 && d <= CH_9) || (d >= CH_A && d <= CH_F))) break;
        end++;
      }
      if (prev >= TokenKind.COMMIT_HASH || end === pos + 1) {
        this.kind = TokenKind.INVALID;
        return;
      }
      this.kind = TokenKind.COMMIT_HASH;
      this.start = pos + 1;
      this.end = end;
    } else if (c === CH_DASH) {
      if (prev >= TokenKind.REVISION_NO || text.charCodeAt(pos + 1) !== CH_R) {
        this.kind = TokenKind.INVALID;
        return;
      }
      this.kind = TokenKind.REVISION_NO;
      this.readDigits(pos + 2);
    } else {
      this.kind = TokenKind.INVALID;
    }
  }

  /** The token's uint64 value as a BigInt (any numeric token, `big` or not). */
  bigValue(): bigint {
    if (!this.big) return BigInt(this.value);
    return BigInt.asUintN(UINT64_BITS, BigInt(this.text.slice(this.start, this.end)));
  }

  /** Reads a digit run at `from` as the current (numeric) kind; an empty run is INVALID. */
  private readDigits(from: number): void {
    const text = this.text;
    let pos = from;
    let value = 0;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c < CH_0 || c > CH_9) break;
      value = value * 10 + (c - CH_0);
      pos++;
    }
    if (pos === from) {
      this.kind = TokenKind.INVALID;
      return;
    }
    this.value = value;
    this.big = pos - from > MAX_EXACT_DIGITS;
    this.start = from;
    this.end = pos;
  }
}

const validator = new TokenCursor();

/** Whether `version` is a valid apk-tools 3.x version string (it tokenizes up to END). */
export function isValidVersion(version: string): boolean {
  const cursor = validator.reset(version);
  while (cursor.kind < TokenKind.END) cursor.next();
  return cursor.kind === TokenKind.END;
}
