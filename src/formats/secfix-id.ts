import { InputError } from '../base/input-error.js';
import { CVE_ID, MAX_VULNERABILITY_ID_LENGTH, vulnerabilityIdProblem } from './names.js';

/** Which naming scheme a secfixes id follows; `other` covers XSA, GNUTLS-SA, ZBX and junk alike. */
type SecfixIdKind = 'cve' | 'ghsa' | 'alpine' | 'other';

/** One secfixes entry: its id (the first token) and whatever text followed it. */
export interface SecfixId {
  readonly id: string;
  readonly kind: SecfixIdKind;
  /** The rest of the entry after the id, e.g. `(+ regression fix)` or an alias `GHSL-2021-045`. */
  readonly note?: string;
}

/** The ids listed under one version key of a package's secfixes, in source order. */
export interface SecfixVersion {
  /** The key's source text, e.g. `1.35.0-r17`; `0` means "never affected this package". */
  readonly version: string;
  readonly ids: readonly SecfixId[];
}

/** Something kept as-is that a consumer may want to look at, with where it was found. */
export interface ParseWarning {
  readonly place: string;
  readonly problem: string;
}

/** The secfixes key Alpine uses for ids that never affected its package. */
export const NOT_AFFECTED_VERSION = '0';

// GitHub advisory ids are "GHSA-" and three groups of four lowercase letters/digits, as in
// https://github.com/github/advisory-database (e.g. GHSA-572g-rvwr-6c7f in the squid secfixes).
const GHSA_ID = /^GHSA-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/;
const ALPINE_ID = /^ALPINE-\d+$/;
// Loose on purpose: whether the pkgver part is a valid apk version is the version module's call.
const PKGVER_PKGREL = /^\d[0-9A-Za-z._+~]*-r\d+$/;

/** Classifies an id token by its scheme; case matters, as it does for lookups in NVD or GHSA. */
export function classifySecfixId(id: string): SecfixIdKind {
  // Bounded before any pattern runs: a megabyte-long token must cost no more than a short one.
  if (id.length > MAX_VULNERABILITY_ID_LENGTH) return 'other';
  if (CVE_ID.test(id)) return 'cve';
  if (GHSA_ID.test(id)) return 'ghsa';
  if (ALPINE_ID.test(id)) return 'alpine';
  return 'other';
}

/**
 * Repairs spellings seen in real secfixes (prior-art report, section 9.1): `CVE_2019-2426`,
 * `cve-2019-2426`, `CVE-2021-35940.patch`. Anything else is returned as written.
 */
function repairIdToken(token: string): string {
  if (token.length > MAX_VULNERABILITY_ID_LENGTH) return token;
  const repaired = token.replace(/^cve[-_]/i, 'CVE-').replace(/\.patch$/, '');
  return CVE_ID.test(repaired) ? repaired : token;
}

/**
 * Splits one secfixes entry into its id and a note (the rest of the entry, trimmed). The id is
 * the first whitespace-separated token, as Alpine's own tooling reads it, except that a CVE id
 * wins over an alias written before it (`XSA-252 CVE-2018-1234`): the CVE is what NVD and
 * scanners know, so losing it would hide the fix. An entry with no token, or whose id is not
 * well-formed (formats/names.ts), is bad input.
 */
export function parseSecfixEntry(text: string, source: string, place: string): SecfixId {
  // Most entries are a CVE id alone, which all the steps below would return as it is.
  if (CVE_ID.test(text)) return { id: text, kind: 'cve' };
  const trimmed = text.trim();
  if (trimmed === '') throw new InputError(source, place, 'empty secfixes entry, expected an id such as CVE-2021-1234');
  // Tokens inside a parenthesized remark are prose, not ids.
  const idPart = trimmed.split('(', 1)[0]!;
  const tokens = idPart.split(/\s+/).filter((token) => token !== '').map(repairIdToken);
  const first = tokens[0] ?? repairIdToken(trimmed.split(/\s+/, 1)[0]!);
  const id = classifySecfixId(first) === 'cve' ? first : (tokens.find((token) => classifySecfixId(token) === 'cve') ?? first);
  const problem = vulnerabilityIdProblem(id);
  if (problem !== undefined) throw new InputError(source, place, problem);
  const rest = trimmed.replace(/\s+/g, ' ');
  const originalToken = rest.split(' ').find((token) => repairIdToken(token) === id) ?? id;
  const note = rest === originalToken ? '' : rest.replace(originalToken, '').replace(/\s+/g, ' ').trim();
  return note === '' ? { id, kind: classifySecfixId(id) } : { id, kind: classifySecfixId(id), note };
}

/** Why a version key is unusual, or undefined when it is `0` or looks like `pkgver-rN`. */
export function versionKeyProblem(key: string): string | undefined {
  if (key === NOT_AFFECTED_VERSION || PKGVER_PKGREL.test(key)) return undefined;
  return `version key ${JSON.stringify(key)} does not look like pkgver-rN; kept as written`;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes UTF-8 input (dropping a byte order mark); bytes that are not UTF-8 are bad input,
 * reported at the offset of the first such byte so the data file can be fixed.
 */
export function decodeUtf8(input: Buffer | string, source: string): string {
  if (typeof input === 'string') return input.startsWith('\uFEFF') ? input.slice(1) : input;
  try {
    return strictUtf8.decode(input);
  } catch {
    throw new InputError(source, `byte ${firstInvalidUtf8Byte(input)}`, 'not valid UTF-8');
  }
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence (RFC 3629; Unicode table 3-7). */
function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index] ?? 0;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return index;
    for (let step = 1; step < length; step += 1) {
      const next = bytes[index + step];
      const min = step === 1 ? low : 0x80;
      const max = step === 1 ? high : 0xbf;
      if (next === undefined || next < min || next > max) return index;
    }
    index += length;
  }
  return index;
}
