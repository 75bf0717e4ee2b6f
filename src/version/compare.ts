/**
 * apk version comparison and operator masks, following apk-tools 3.x `src/version.c`
 * (`apk_version_compare_fuzzy`, `apk_version_match`, `apk_version_result_mask_blob`,
 * `apk_version_op_string`; reference/formats.md §1.3–1.6).
 *
 * Invalid versions: apk-tools does not reject them when comparing; it compares token by token
 * and stops at the first token that fails to parse, and we do exactly the same. INVALID has the
 * highest token kind, so at the first position where only one side turned invalid, that side
 * is the lower one (`1 > 1-ruff`), and two strings that turn invalid at the same position after
 * equal tokens are equal (`1-ruff2 = 1--ruff1`). This order is total and consistent (it is the
 * order of `versionSortKey`). Callers that ingest data should still reject invalid versions
 * with `isValidVersion`; comparing them only reproduces what apk would do.
 */
import { TokenCursor, TokenKind, Suffix } from './tokenize.js';

/** Comparison result and operator bits (`apk_version.h`). */
export const VersionOp = {
  EQUAL: 1,
  LESS: 2,
  GREATER: 4,
  FUZZY: 8,
  CONFLICT: 16,
  /** EQUAL|LESS|GREATER: matches any version. */
  ANY: 7,
  /** LESS|GREATER, written `><`: the constraint is a package identity hash, not a version. */
  CHECKSUM: 6,
} as const;

/** The result of one comparison: exactly one of EQUAL, LESS, GREATER. */
export type VersionResult = 1 | 2 | 4;

const left = new TokenCursor();
const right = new TokenCursor();

/** Byte-wise comparison of the two tokens' text: memcmp over the shorter length, then length. */
function compareText(a: TokenCursor, b: TokenCursor): number {
  const aLength = a.end - a.start;
  const bLength = b.end - b.start;
  const length = aLength < bLength ? aLength : bLength;
  for (let i = 0; i < length; i++) {
    const d = a.text.charCodeAt(a.start + i) - b.text.charCodeAt(b.start + i);
    if (d !== 0) return d;
  }
  return aLength - bLength;
}

/** Compares two tokens of the same kind: negative, zero or positive. */
function compareTokens(a: TokenCursor, b: TokenCursor): number {
  switch (a.kind) {
    case TokenKind.DIGIT:
      // A leading zero in either component switches to string order (so 1.01 < 1.1, 1.00 > 1.0).
      if (a.text.charCodeAt(a.start) === 48 || b.text.charCodeAt(b.start) === 48) {
        return compareText(a, b);
      }
      break;
    case TokenKind.COMMIT_HASH:
      return compareText(a, b);
  }
  if (a.big || b.big) {
    const x = a.bigValue();
    const y = b.bigValue();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a.value - b.value;
}

/**
 * Compares `a` with `b` as apk-tools does and returns EQUAL, LESS or GREATER (`a` relative to
 * `b`). With `fuzzy`, `a` also counts as EQUAL when `b`'s tokens are a prefix of `a`'s
 * (`3.6.9 ~ 3.6`, but not `2.10 ~ 2.1` nor `3.8 ~ 3.8.1`).
 */
export function compareVersionsMask(a: string, b: string, fuzzy = false): VersionResult {
  const ta = left.reset(a);
  const tb = right.reset(b);
  while (ta.kind === tb.kind && ta.kind < TokenKind.END) {
    const r = compareTokens(ta, tb);
    if (r !== 0) return r < 0 ? VersionOp.LESS : VersionOp.GREATER;
    ta.next();
    tb.next();
  }
  if (ta.kind === tb.kind) return VersionOp.EQUAL;
  if (fuzzy && tb.kind === TokenKind.END) return VersionOp.EQUAL;
  // A pre-release suffix sorts below whatever the other side has here, even below its end.
  if (ta.kind === TokenKind.SUFFIX && ta.value < Suffix.NONE) return VersionOp.LESS;
  if (tb.kind === TokenKind.SUFFIX && tb.value < Suffix.NONE) return VersionOp.GREATER;
  return ta.kind > tb.kind ? VersionOp.LESS : VersionOp.GREATER;
}

/** Compares two version strings with apk-tools' rules: -1, 0 or 1, usable with `Array.sort`. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const r = compareVersionsMask(a, b);
  return r === VersionOp.LESS ? -1 : r === VersionOp.GREATER ? 1 : 0;
}

/**
 * Whether `candidate` satisfies `op constraint` (`apk_version_match`): any op containing
 * EQUAL|LESS|GREATER matches everything; otherwise the comparison result (fuzzy when op has
 * FUZZY) must be one of op's bits. The CONFLICT bit inverts the answer.
 */
export function matchVersion(candidate: string, op: number, constraint: string): boolean {
  const matched =
    (op & VersionOp.ANY) === VersionOp.ANY ||
    (compareVersionsMask(candidate, constraint, (op & VersionOp.FUZZY) !== 0) & op) !== 0;
  return (op & VersionOp.CONFLICT) !== 0 ? !matched : matched;
}

/**
 * The mask of an operator text made of `<`, `>`, `=` and `~` (`~` means FUZZY|EQUAL), e.g.
 * `>=` → 5, `~` → 9, `><` → 6. Any other character, or empty text, gives 0.
 */
export function parseOperator(text: string): number {
  let mask = 0;
  for (let i = 0; i < text.length; i++) {
    switch (text.charCodeAt(i)) {
      case 60: // <
        mask |= VersionOp.LESS;
        break;
      case 62: // >
        mask |= VersionOp.GREATER;
        break;
      case 61: // =
        mask |= VersionOp.EQUAL;
        break;
      case 126: // ~
        mask |= VersionOp.FUZZY | VersionOp.EQUAL;
        break;
      default:
        return 0;
    }
  }
  return mask;
}

/**
 * The canonical text of an operator mask, as apk-tools prints it (the CONFLICT bit is
 * ignored): `<`, `<=`, `<~`, `~`, `=`, `>=`, `>~`, `>`, `><`, `""` for ANY, `?` otherwise.
 */
export function operatorText(mask: number): string {
  const { EQUAL, LESS, GREATER, FUZZY, ANY, CHECKSUM } = VersionOp;
  switch (mask & ~VersionOp.CONFLICT) {
    case LESS:
      return '<';
    case LESS | EQUAL:
      return '<=';
    case LESS | EQUAL | FUZZY:
      return '<~';
    case EQUAL | FUZZY:
    case FUZZY:
      return '~';
    case EQUAL:
      return '=';
    case GREATER | EQUAL:
      return '>=';
    case GREATER | EQUAL | FUZZY:
      return '>~';
    case GREATER:
      return '>';
    case CHECKSUM:
      return '><';
    case ANY:
      return '';
    default:
      return '?';
  }
}
