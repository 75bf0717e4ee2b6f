import { InputError } from '../base/input-error.js';

/**
 * CPE names and match strings (NISTIR 7695 "CPE Naming" for the 2.3 formatted string and the
 * URI binding, NISTIR 7696 "CPE Name Matching" simplified for matching). Values are kept
 * unescaped, with wildcards held apart from the text so a quoted `\*` stays a literal star.
 */

/** The logical value ANY, written `*`. */
interface CpeAny {
  readonly kind: 'any';
}

/** The logical value NA (not applicable), written `-`. */
interface CpeNa {
  readonly kind: 'na';
}

/** A text value, possibly with wildcards at its ends (match strings only). */
interface CpeLiteral {
  readonly kind: 'literal';
  /** Unescaped text without the end wildcards; never empty, printable ASCII only. */
  readonly text: string;
  /** Unquoted wildcard before the text: `''` none, `'*'` any run, or one `?` per character. */
  readonly leadingWildcard: string;
  /** Unquoted wildcard after the text, same forms as `leadingWildcard`. */
  readonly trailingWildcard: string;
}

export type CpeValue = CpeAny | CpeNa | CpeLiteral;

export interface Cpe {
  readonly part: CpeValue;
  readonly vendor: CpeValue;
  readonly product: CpeValue;
  readonly version: CpeValue;
  readonly update: CpeValue;
  readonly edition: CpeValue;
  readonly language: CpeValue;
  readonly swEdition: CpeValue;
  readonly targetSw: CpeValue;
  readonly targetHw: CpeValue;
  readonly other: CpeValue;
}

type CpeAttribute = keyof Cpe;

/** Attributes in formatted-string order, with the spec's names for error messages. */
const CPE_ATTRIBUTES: readonly { readonly key: CpeAttribute; readonly specName: string }[] = [
  { key: 'part', specName: 'part' },
  { key: 'vendor', specName: 'vendor' },
  { key: 'product', specName: 'product' },
  { key: 'version', specName: 'version' },
  { key: 'update', specName: 'update' },
  { key: 'edition', specName: 'edition' },
  { key: 'language', specName: 'language' },
  { key: 'swEdition', specName: 'sw_edition' },
  { key: 'targetSw', specName: 'target_sw' },
  { key: 'targetHw', specName: 'target_hw' },
  { key: 'other', specName: 'other' },
];

const CPE_ANY: CpeAny = Object.freeze({ kind: 'any' });
const CPE_NA: CpeNa = Object.freeze({ kind: 'na' });

/** A literal value; wildcards default to none. */
function cpeLiteral(text: string, leadingWildcard = '', trailingWildcard = ''): CpeLiteral {
  return { kind: 'literal', text, leadingWildcard, trailingWildcard };
}

const FORMATTED_PREFIX = 'cpe:2.3:';
const URI_PREFIX = /^cpe:\//i;
const FIELD_COUNT = 13;
/** Characters written bare in a formatted string; every other printable one is backslash-quoted. */
const BARE_CHAR = /^[A-Za-z0-9_.-]$/;
/** A value of bare characters only (most are): its text as written, no wildcards. */
const BARE_VALUE = /^[A-Za-z0-9_.-]+$/;
/** Printable ASCII punctuation other than `-._`: exactly the set the NVD/CVE 5 regex lets be quoted. */
const QUOTABLE_CHAR = /^[!-,/:-@[-^`{-~]$/;
/** RFC 5646 subset used by the CPE language attribute (formats.md 5.2). */
const LANGUAGE_TAG = /^[a-zA-Z]{2,3}(?:-(?:[a-zA-Z]{2}|[0-9]{3}))?$/;
const PARTS = new Set(['a', 'o', 'h']);
/**
 * A value that is just a literal hyphen must differ from NA, so it alone is written quoted;
 * everywhere else a hyphen is bare and `\-` is rejected, as the NVD regex does.
 */
const QUOTED_HYPHEN = '\\-';
/** Indexes into CPE_ATTRIBUTES of the attributes with their own syntax. */
const PART_INDEX = 0;
const LANGUAGE_INDEX = 6;

/**
 * Parses a CPE 2.3 formatted string (`cpe:2.3:…`, 13 fields) or a CPE 2.2 URI (`cpe:/a:…`,
 * converted to the same structure). Bad input throws InputError naming `source` and the field.
 */
export function parseCpe(text: string, source: string): Cpe {
  if (text.startsWith(FORMATTED_PREFIX)) return parseFormatted(text, source);
  if (URI_PREFIX.test(text)) return parseUri(text, source);
  throw new InputError(source, undefined, 'not a CPE: expected "cpe:2.3:" (formatted string) or "cpe:/" (2.2 URI)');
}

function fieldPlace(attributeIndex: number): string {
  const attribute = CPE_ATTRIBUTES[attributeIndex];
  // Fields count from 1 with "cpe" and "2.3" first, so part is field 3.
  return `field ${attributeIndex + 3} (${attribute?.specName ?? '?'})`;
}

function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  return code >= 0x21 && code <= 0x7e ? `"${char}"` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Splits on colons not quoted by a backslash; quoted characters stay quoted in the pieces. */
function splitFormatted(text: string, source: string): string[] {
  if (!text.includes('\\')) return text.split(':');
  const fields: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\') {
      if (i + 1 >= text.length) throw new InputError(source, `field ${fields.length + 1}`, 'ends with a lone backslash');
      i++;
    } else if (char === ':') {
      fields.push(text.slice(start, i));
      start = i + 1;
    }
  }
  fields.push(text.slice(start));
  return fields;
}

function parseFormatted(text: string, source: string): Cpe {
  const fields = splitFormatted(text, source);
  if (fields.length !== FIELD_COUNT) {
    throw new InputError(source, undefined, `expected ${FIELD_COUNT} colon-separated fields, found ${fields.length}`);
  }
  const values = fields.slice(2).map((raw, index) => parseFormattedValue(raw, index, source));
  return assemble(values);
}

function assemble(values: readonly CpeValue[]): Cpe {
  const valueAt = (index: number): CpeValue => values[index] ?? CPE_ANY;
  return {
    part: valueAt(0),
    vendor: valueAt(1),
    product: valueAt(2),
    version: valueAt(3),
    update: valueAt(4),
    edition: valueAt(5),
    language: valueAt(6),
    swEdition: valueAt(7),
    targetSw: valueAt(8),
    targetHw: valueAt(9),
    other: valueAt(10),
  };
}

function parseFormattedValue(raw: string, index: number, source: string): CpeValue {
  if (raw === '*') return CPE_ANY;
  if (raw === '-') return CPE_NA;
  if (raw === QUOTED_HYPHEN) return cpeLiteral('-');
  const place = fieldPlace(index);
  if (raw === '') throw new InputError(source, place, 'empty value (use "*" for ANY or "-" for NA)');
  if (index === PART_INDEX) {
    if (!PARTS.has(raw)) throw new InputError(source, place, `part must be a, o, h, * or -, found "${raw}"`);
    return cpeLiteral(raw);
  }
  if (index === LANGUAGE_INDEX) {
    if (!LANGUAGE_TAG.test(raw)) throw new InputError(source, place, `not a language tag: "${raw}"`);
    return cpeLiteral(raw);
  }
  if (BARE_VALUE.test(raw)) return cpeLiteral(raw);
  const leadingWildcard = raw.startsWith('*') ? '*' : /^\?*/.exec(raw)?.[0] ?? '';
  let text = '';
  let trailingWildcard = '';
  for (let i = leadingWildcard.length; i < raw.length; i++) {
    const char = raw[i] ?? '';
    if (char === '\\') {
      const quoted = raw[i + 1] ?? '';
      if (!QUOTABLE_CHAR.test(quoted)) throw new InputError(source, place, `${describeChar(quoted)} must not be quoted`);
      text += quoted;
      i++;
    } else if (BARE_CHAR.test(char)) {
      text += char;
    } else if (char === '*' || char === '?') {
      const rest = raw.slice(i);
      if (rest !== '*' && !/^\?+$/.test(rest)) {
        throw new InputError(source, place, `unquoted wildcard "${char}" inside a value (wildcards only at the ends)`);
      }
      trailingWildcard = rest;
      break;
    } else if (QUOTABLE_CHAR.test(char)) {
      throw new InputError(source, place, `unquoted "${char}" (write "\\${char}")`);
    } else {
      throw new InputError(source, place, `character ${describeChar(char)} not allowed`);
    }
  }
  if (text === '') throw new InputError(source, place, 'a value needs text besides its wildcards');
  return cpeLiteral(text, leadingWildcard, trailingWildcard);
}

/** URI components: part, vendor, product, version, update, edition (maybe packed), language. */
const URI_COMPONENT_COUNT = 7;
const EDITION_INDEX = 5;
const URI_LANGUAGE_COMPONENT = 6;
/** Attribute indexes carried by a packed edition `~edition~sw_edition~target_sw~target_hw~other`. */
const PACKED_INDEXES = [EDITION_INDEX, 7, 8, 9, 10] as const;

function parseUri(text: string, source: string): Cpe {
  const components = text.slice('cpe:/'.length).split(':');
  if (components.length > URI_COMPONENT_COUNT) {
    throw new InputError(source, undefined, `a CPE URI has at most ${URI_COMPONENT_COUNT} components, found ${components.length}`);
  }
  const values: CpeValue[] = new Array<CpeValue>(CPE_ATTRIBUTES.length).fill(CPE_ANY);
  const uriPlace = (index: number, attributeIndex: number) =>
    `component ${index + 1} (${CPE_ATTRIBUTES[attributeIndex]?.specName ?? '?'})`;
  components.forEach((component, index) => {
    if (index === PART_INDEX) {
      values[PART_INDEX] = parseUriPart(component, source);
    } else if (index === EDITION_INDEX && component.startsWith('~')) {
      const packed = component.split('~');
      if (packed.length !== PACKED_INDEXES.length + 1) {
        throw new InputError(source, uriPlace(index, EDITION_INDEX), `a packed edition has 5 "~"-separated values, found ${packed.length - 1}`);
      }
      PACKED_INDEXES.forEach((attributeIndex, packedIndex) => {
        values[attributeIndex] = decodeUriValue(packed[packedIndex + 1] ?? '', source, uriPlace(index, attributeIndex));
      });
    } else {
      const attributeIndex = index === URI_LANGUAGE_COMPONENT ? LANGUAGE_INDEX : index;
      const value = decodeUriValue(component, source, uriPlace(index, attributeIndex));
      if (attributeIndex === LANGUAGE_INDEX && value.kind === 'literal' && !isPlainLanguage(value)) {
        throw new InputError(source, uriPlace(index, attributeIndex), `not a language tag: "${component}"`);
      }
      values[attributeIndex] = value;
    }
  });
  return assemble(values);
}

function isPlainLanguage(value: CpeLiteral): boolean {
  return value.leadingWildcard === '' && value.trailingWildcard === '' && LANGUAGE_TAG.test(value.text);
}

function parseUriPart(component: string, source: string): CpeValue {
  if (component === '') return CPE_ANY;
  const part = component.toLowerCase();
  if (!PARTS.has(part)) throw new InputError(source, 'component 1 (part)', `part must be a, o or h, found "${component}"`);
  return cpeLiteral(part);
}

/**
 * Decodes one URI component: bare `[A-Za-z0-9._-]`, `%xx` for other printable characters, and
 * the 2.3 URI binding's `%01` (`?`) and `%02` (`*`) wildcards at the ends. A raw `~` outside a
 * packed edition is taken literally, as old 2.2 data has it.
 */
function decodeUriValue(component: string, source: string, place: string): CpeValue {
  if (component === '') return CPE_ANY;
  if (component === '-') return CPE_NA;
  const pieces: { readonly char: string; readonly wildcard: boolean }[] = [];
  for (let i = 0; i < component.length; i++) {
    const char = component[i] ?? '';
    if (char === '%') {
      const hex = component.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new InputError(source, place, `bad percent-encoding "%${hex}"`);
      const code = Number.parseInt(hex, 16);
      if (code === 1) pieces.push({ char: '?', wildcard: true });
      else if (code === 2) pieces.push({ char: '*', wildcard: true });
      else if (code >= 0x21 && code <= 0x7e) pieces.push({ char: String.fromCharCode(code), wildcard: false });
      else throw new InputError(source, place, `percent-encoded character U+00${hex.toUpperCase()} not allowed`);
      i += 2;
    } else if (BARE_CHAR.test(char) || char === '~') {
      pieces.push({ char, wildcard: false });
    } else {
      throw new InputError(source, place, `character ${describeChar(char)} not allowed in a CPE URI`);
    }
  }
  return literalFromPieces(pieces, source, place);
}

function literalFromPieces(
  pieces: readonly { readonly char: string; readonly wildcard: boolean }[],
  source: string,
  place: string,
): CpeLiteral {
  let start = 0;
  while (pieces[start]?.wildcard === true) start++;
  let end = pieces.length;
  while (end > start && pieces[end - 1]?.wildcard === true) end--;
  const body = pieces.slice(start, end);
  if (body.some((piece) => piece.wildcard)) {
    throw new InputError(source, place, 'wildcard inside a value (wildcards only at the ends)');
  }
  const leadingWildcard = pieces.slice(0, start).map((piece) => piece.char).join('');
  const trailingWildcard = pieces.slice(end).map((piece) => piece.char).join('');
  for (const wildcard of [leadingWildcard, trailingWildcard]) {
    if (wildcard !== '' && wildcard !== '*' && !/^\?+$/.test(wildcard)) {
      throw new InputError(source, place, `wildcard run "${wildcard}" (use one "*" or only "?")`);
    }
  }
  const text = body.map((piece) => piece.char).join('');
  if (text === '') throw new InputError(source, place, 'a value needs text besides its wildcards');
  return cpeLiteral(text, leadingWildcard, trailingWildcard);
}

/**
 * Writes a CPE as a 2.3 formatted string, quoting every character outside `[A-Za-z0-9_.-]`.
 * Inverse of parseCpe for 2.3 input. Literal text must be printable ASCII, as parseCpe makes it.
 */
export function formatCpe(cpe: Cpe): string {
  return FORMATTED_PREFIX + CPE_ATTRIBUTES.map(({ key }) => formatValue(cpe[key])).join(':');
}

function formatValue(value: CpeValue): string {
  if (value.kind === 'any') return '*';
  if (value.kind === 'na') return '-';
  if (value.text === '-' && value.leadingWildcard === '' && value.trailingWildcard === '') return QUOTED_HYPHEN;
  let quoted = '';
  for (const char of value.text) {
    if (BARE_CHAR.test(char)) quoted += char;
    else if (QUOTABLE_CHAR.test(char)) quoted += `\\${char}`;
    else throw new Error(`CPE text cannot hold character ${describeChar(char)}`);
  }
  return value.leadingWildcard + quoted + value.trailingWildcard;
}
