import type { ColumnType } from 'kysely';
import { CRITERION_OUTCOMES, MATCH_RULES, type Evidence } from '../base/states.js';
import { describeJsonValue, isJsonObject, ownField } from '../formats/json-value.js';
import type { Cve5Affected } from '../formats/cve5.js';
import type { NvdConfiguration } from '../formats/nvd.js';

/*
 * JSON columns: text on both dialects (see schema.ts), typed by what the text holds and read
 * back only through `readJsonColumn`, which checks the shape and names the column it came from.
 *
 * Kysely's own `JSONColumnType<T>` types a select as the parsed `T`, which holds for native JSON
 * columns or a result-parsing plugin; ours are text and come back as strings, so the column type
 * here says exactly that: a string whose JSON is a `T`.
 */

declare const holds: unique symbol;

/** JSON text of a `T`, as `jsonText` writes it. */
export type JsonText<T> = string & { readonly [holds]?: T };

/** A column storing a `T` as JSON text. */
export type JsonColumn<T> = ColumnType<JsonText<T>, JsonText<T>, JsonText<T>>;

/** The JSON text of `value`, for a column holding its type. */
export function jsonText<T>(value: T): JsonText<T> {
  return JSON.stringify(value);
}

/** Stored JSON that is not the shape its column holds: a hand-edited row, or a bug in a writer. */
class StoredJsonError extends Error {
  constructor(column: string, at: string, problem: string) {
    super(`stored ${column}${at}: ${problem}`);
    this.name = 'StoredJsonError';
  }
}

/** Checks that `value` (at path `at`) has a shape, returning it typed; throws `StoredJsonError` otherwise. */
type Shape<T> = (value: unknown, at: string, column: string) => T;

function expected(what: string): Shape<never> {
  return (value, at, column) => {
    throw new StoredJsonError(column, at, `expected ${what}, found ${describeJsonValue(value)}`);
  };
}

const notText = expected('a string');
const notNumber = expected('a number');
const notBoolean = expected('a boolean');
const notList = expected('an array');
const notObject = expected('an object');

export const text: Shape<string> = (value, at, column) => (typeof value === 'string' ? value : notText(value, at, column));
export const number: Shape<number> = (value, at, column) => (typeof value === 'number' ? value : notNumber(value, at, column));
const boolean: Shape<boolean> = (value, at, column) => (typeof value === 'boolean' ? value : notBoolean(value, at, column));

/** Any JSON value: for enrichments the store keeps as given. */
export const anyJson: Shape<unknown> = (value) => value;

function optional<T>(shape: Shape<T>): Shape<T | undefined> {
  return (value, at, column) => (value === undefined ? undefined : shape(value, at, column));
}

function nullable<T>(shape: Shape<T>): Shape<T | null> {
  return (value, at, column) => (value === null ? null : shape(value, at, column));
}

function oneOf<const T extends string>(choices: readonly T[]): Shape<T> {
  return (value, at, column) => {
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
    throw new StoredJsonError(column, at, `expected one of ${choices.join(', ')}, found ${JSON.stringify(value)}`);
  };
}

function listOf<T>(item: Shape<T>): Shape<readonly T[]> {
  return (value, at, column) => {
    if (!Array.isArray(value)) return notList(value, at, column);
    value.forEach((entry: unknown, index) => item(entry, `${at}[${index}]`, column));
    return value as readonly T[];
  };
}

/** An object with these members (checked in place, not copied: update reads many). */
function objectOf<T>(members: { readonly [K in keyof T]-?: Shape<T[K]> }): Shape<T> {
  const entries = Object.entries<Shape<unknown>>(members);
  return (value, at, column) => {
    if (!isJsonObject(value)) return notObject(value, at, column);
    for (const [name, shape] of entries) shape(ownField(value, name), `${at}.${name}`, column);
    return value as T;
  };
}

export function recordOf<T>(member: Shape<T>): Shape<Readonly<Record<string, T>>> {
  return (value, at, column) => {
    if (!isJsonObject(value)) return notObject(value, at, column);
    for (const [name, entry] of Object.entries(value)) member(entry, `${at}.${name}`, column);
    return value as Record<string, T>;
  };
}

/** One of several object shapes, told apart by their `kind` member. */
function byKind<T extends { readonly kind: string }>(variants: { readonly [K in T['kind']]: Shape<Extract<T, { readonly kind: K }>> }): Shape<T> {
  const kinds = Object.keys(variants) as T['kind'][];
  const kind = oneOf(kinds);
  return (value, at, column) => {
    if (!isJsonObject(value)) return notObject(value, at, column);
    return variants[kind(ownField(value, 'kind'), `${at}.kind`, column)](value, at, column);
  };
}

const optionalText = optional(text);

const evidence: Shape<Evidence> = byKind<Evidence>({
  rejection: objectOf({ kind: oneOf(['rejection']), id: text, source: text, author: optionalText, rationale: optionalText, justification: optionalText }),
  secfix: objectOf({ kind: oneOf(['secfix']), repo: text, version: text, text }),
  'not-affected-secfix': objectOf({ kind: oneOf(['not-affected-secfix']), repo: text, text }),
  'published-version': objectOf({ kind: oneOf(['published-version']), repo: text, version: text }),
  'no-version': objectOf({ kind: oneOf(['no-version']), repo: text }),
  'incomparable-version': objectOf({ kind: oneOf(['incomparable-version']), version: text }),
  criterion: objectOf({
    kind: oneOf(['criterion']),
    cveConfigurationIndex: number,
    criteria: text,
    bounds: objectOf({ startIncluding: optionalText, startExcluding: optionalText, endIncluding: optionalText, endExcluding: optionalText, exact: optionalText, update: optionalText }),
    rule: oneOf(MATCH_RULES),
    comparedVersion: nullable(text),
    outcome: oneOf(CRITERION_OUTCOMES),
  }),
  'foreign-platform': objectOf({ kind: oneOf(['foreign-platform']), cveConfigurationIndex: number, criteria: text }),
  'introduced-after-published': objectOf({ kind: oneOf(['introduced-after-published']), version: text, text }),
  'sources-disagree': objectOf({ kind: oneOf(['sources-disagree']), version: text, source: text, text }),
  'no-criteria': objectOf({ kind: oneOf(['no-criteria']) }),
});

/** A state's evidence: the engine's list. */
export const evidenceShape: Shape<readonly Evidence[]> = listOf(evidence);

const operator = oneOf(['AND', 'OR'] as const);

/** A vulnerability's NVD configuration tree, as the importers store it. */
export const configurationsShape: Shape<readonly NvdConfiguration[]> = listOf(
  objectOf<NvdConfiguration>({
    operator,
    negate: boolean,
    nodes: listOf(
      objectOf({
        operator,
        negate: boolean,
        matches: listOf(
          objectOf({
            vulnerable: boolean,
            criteria: text,
            matchCriteriaId: optionalText,
            versionStartIncluding: optionalText,
            versionStartExcluding: optionalText,
            versionEndIncluding: optionalText,
            versionEndExcluding: optionalText,
          }),
        ),
      }),
    ),
  }),
);

export const stringsShape: Shape<readonly string[]> = listOf(text);

const cve5Status = oneOf(['affected', 'unaffected', 'unknown'] as const);

/** A CVE 5 record's `affected` entries, as its parser read them. */
export const cve5AffectedShape: Shape<readonly Cve5Affected[]> = listOf(
  objectOf<Cve5Affected>({
    source: text,
    vendor: optionalText,
    product: optionalText,
    collectionUrl: optionalText,
    packageName: optionalText,
    cpes: stringsShape,
    defaultStatus: cve5Status,
    versions: listOf(
      objectOf({
        version: text,
        status: cve5Status,
        versionType: optionalText,
        lessThan: optionalText,
        lessThanOrEqual: optionalText,
        changes: listOf(objectOf({ at: text, status: cve5Status })),
      }),
    ),
  }),
);

/** `[{url, tags}]`, a vulnerability's references. */
export const referencesShape: Shape<readonly { readonly url: string; readonly tags: readonly string[] }[]> = listOf(objectOf({ url: text, tags: stringsShape }));

/**
 * Parses a JSON column's text and checks it holds the column's shape; `column` (`state.evidence`)
 * names it in the error, which is thrown for text that is not JSON or not that shape.
 */
export function readJsonColumn<T>(json: JsonText<T>, shape: Shape<T>, column: string): T {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new StoredJsonError(column, '', `not JSON (${(error as Error).message})`);
  }
  return shape(value, '', column);
}
