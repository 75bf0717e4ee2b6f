/**
 * Parse-once form of apk versions: a sort key string whose plain code-unit order (`<`, or
 * byte order in a database with a binary / "C" collation) is exactly apk-tools' version order,
 * for valid and invalid strings alike.
 *
 * Encoding. The key is the version's tokens in order, each written as a one-letter class
 * followed by a self-delimiting value, and ends with a terminal class. Classes are chosen so
 * that, where two versions have different token kinds at the same position, the class letters
 * order them the way `compareVersionsMask` does (a pre-release suffix below everything, then a
 * higher token kind below a lower one):
 *
 *   A<s>  suffix alpha, beta, pre, rc     s = 'a'..'d' (the Suffix value + 0x60)
 *   B     INVALID: the rest of the string is not read (terminal)
 *   C     END (terminal)
 *   D<n>  revision number (-rN)
 *   E<h>! commit hash (~h), h as written
 *   F<n>  suffix number
 *   G<s>  suffix cvs, svn, git, hg, p       s = 'f'..'j'
 *   H<l>  letter, as written
 *   I<d>! later digit component with a leading zero, digits as written (string order)
 *   J<n>  later digit component without a leading zero (numeric order)
 *   K<n>  first digit component
 *
 * <n> is a uint64 value (wrapped modulo 2^64 like apk-tools) as one length letter ('a' = 1
 * digit … 't' = 20 digits) and then its decimal digits without leading zeros, so longer numbers
 * sort higher and equal values encode equally (`01` and `1`). `!` sorts below every digit and
 * hex digit, so a string that is a prefix of another sorts lower, as memcmp-then-length does.
 *
 * apk compares a later digit component by string when *either* side has a leading zero. Every
 * leading-zero component starts with '0' and every other one with '1'..'9', so that string
 * comparison puts all leading-zero components first, in string order, and the rest keep their
 * numeric order among themselves: that is exactly classes I < J.
 *
 * Example: `1.2.03_rc1-r2` → `Ka1Ja2I03!AdFa1Da2C`. Keys are printable ASCII.
 */
import { VersionOp, type VersionResult } from './compare.js';
import { Suffix, TokenCursor, TokenKind } from './tokenize.js';

/** A version parsed once for repeated comparison. */
export interface ParsedVersion {
  /** The version string as given. */
  readonly text: string;
  /** Whether the string is a valid apk version. */
  readonly valid: boolean;
  /** Its sort key (see the module comment): compare keys with `<` to compare versions. */
  readonly key: string;
}

const CLASS_PRE_SUFFIX = 'A';
const CLASS_INVALID = 'B';
const CLASS_END = 'C';
const CLASS_REVISION = 'D';
const CLASS_HASH = 'E';
const CLASS_SUFFIX_NO = 'F';
const CLASS_POST_SUFFIX = 'G';
const CLASS_LETTER = 'H';
const CLASS_ZERO_DIGIT = 'I';
const CLASS_DIGIT = 'J';
const CLASS_INITIAL_DIGIT = 'K';
const TEXT_END = '!';
/** Length letters start after this code: 'a' (0x61) stands for one digit. */
const LENGTH_BASE = 0x60;
const SUFFIX_BASE = 0x60;

const cursor = new TokenCursor();

function encodeNumber(token: TokenCursor): string {
  const digits = token.big ? token.bigValue().toString() : String(token.value);
  return String.fromCharCode(LENGTH_BASE + digits.length) + digits;
}

function tokenText(token: TokenCursor): string {
  return token.text.slice(token.start, token.end);
}

/** The sort key of `version` (see the module comment); defined for any string. */
export function versionSortKey(version: string): string {
  let key = '';
  for (const t = cursor.reset(version); ; t.next()) {
    switch (t.kind) {
      case TokenKind.INITIAL_DIGIT:
        key += CLASS_INITIAL_DIGIT + encodeNumber(t);
        break;
      case TokenKind.DIGIT:
        key +=
          t.text.charCodeAt(t.start) === 48
            ? CLASS_ZERO_DIGIT + tokenText(t) + TEXT_END
            : CLASS_DIGIT + encodeNumber(t);
        break;
      case TokenKind.LETTER:
        key += CLASS_LETTER + String.fromCharCode(t.value);
        break;
      case TokenKind.SUFFIX:
        key +=
          (t.value < Suffix.NONE ? CLASS_PRE_SUFFIX : CLASS_POST_SUFFIX) +
          String.fromCharCode(SUFFIX_BASE + t.value);
        break;
      case TokenKind.SUFFIX_NO:
        key += CLASS_SUFFIX_NO + encodeNumber(t);
        break;
      case TokenKind.COMMIT_HASH:
        key += CLASS_HASH + tokenText(t) + TEXT_END;
        break;
      case TokenKind.REVISION_NO:
        key += CLASS_REVISION + encodeNumber(t);
        break;
      case TokenKind.END:
        return key + CLASS_END;
      default:
        return key + CLASS_INVALID;
    }
  }
}

/** Parses `version` once, for `compareParsed`, `matchParsed` and sorting. */
export function parseVersion(version: string): ParsedVersion {
  const key = versionSortKey(version);
  return { text: version, valid: key.endsWith(CLASS_END), key };
}

/** Compares parsed versions: the same answer as `compareVersions` on their texts. */
export function compareParsed(a: ParsedVersion, b: ParsedVersion): -1 | 0 | 1 {
  const x = a.key;
  const y = b.key;
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareParsedMask(candidate: ParsedVersion, constraint: ParsedVersion, fuzzy: boolean): VersionResult {
  const x = candidate.key;
  const y = constraint.key;
  if (x === y) return VersionOp.EQUAL;
  // Fuzzy: the constraint's tokens (its key without the END class) prefix the candidate's.
  // Keys are self-delimiting per token, so a key prefix is a token prefix.
  if (fuzzy && constraint.valid && x.startsWith(y.slice(0, -1))) return VersionOp.EQUAL;
  return x < y ? VersionOp.LESS : VersionOp.GREATER;
}

/** `matchVersion` on parsed versions: the same answer as `matchVersion` on their texts. */
export function matchParsed(candidate: ParsedVersion, op: number, constraint: ParsedVersion): boolean {
  const matched =
    (op & VersionOp.ANY) === VersionOp.ANY ||
    (compareParsedMask(candidate, constraint, (op & VersionOp.FUZZY) !== 0) & op) !== 0;
  return (op & VersionOp.CONFLICT) !== 0 ? !matched : matched;
}

/** A new array of `versions` in ascending apk order (stable: equal versions keep their order). */
export function sortVersions(versions: readonly string[]): string[] {
  return versions
    .map((text) => ({ text, key: versionSortKey(text) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((entry) => entry.text);
}
