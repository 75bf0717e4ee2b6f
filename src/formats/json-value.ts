import { InputError } from '../base/input-error.js';
import { jsonPath } from './json-path.js';
import { isIsoDate, normalizeTimestamp } from './timestamp.js';

/**
 * Checked reading of parsed JSON (or YAML) values. A `JsonReader` is one value at a place in a
 * document; every check that fails throws an InputError naming the document and the value's
 * JSON path, so a parser reads fields as plainly as `record.string('id')`.
 */

type JsonObject = Record<string, unknown>;
/** One step of a JSON path: a property name or an array index (see `jsonPath`). */
export type JsonPathStep = string | number;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a value is, for error messages: `null`, `an array`, `an object`, `a string`, ... */
export function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Reads only own properties, so a missing field never resolves to something on Object.prototype. */
export function ownField(object: JsonObject, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

/** Quotes input text in an error message, cut short: a bad value may be megabytes long. */
export function quoteInput(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

interface JsonReaderOptions {
  /** Steps from the document's root to the value read, e.g. to one record of a streamed array. */
  readonly at?: readonly JsonPathStep[];
  /** How an error names a place, given its path; the JSON path itself by default. */
  readonly placeOf?: (steps: JsonPathStep[]) => string;
  /**
   * A YAML document: errors say "a mapping" and "a list", `null` (an empty value) counts as
   * absent, and a number where text is expected asks for quotes (YAML reads `3.20` as 3.2).
   */
  readonly yaml?: boolean;
}

interface Document {
  readonly source: string;
  readonly placeOf: (steps: JsonPathStep[]) => string;
  readonly yaml: boolean;
}

/** One value at a place in a document. */
export class JsonReader {
  protected constructor(
    protected readonly document: Document,
    private readonly up: JsonReader | undefined,
    private readonly step: JsonPathStep | undefined,
    readonly value: unknown,
  ) {}

  /** A reader of `value`, the document `source` (a file name or URL) or the part at `options.at`. */
  static of(value: unknown, source: string, options: JsonReaderOptions = {}): JsonReader {
    const document: Document = { source, placeOf: options.placeOf ?? jsonPath, yaml: options.yaml ?? false };
    const at = options.at ?? [];
    let reader = new JsonReader(document, undefined, undefined, at.length === 0 ? value : undefined);
    at.forEach((step, index) => {
      reader = new JsonReader(document, reader, step, index === at.length - 1 ? value : undefined);
    });
    return reader;
  }

  get source(): string {
    return this.document.source;
  }

  /** The steps from the document's root to this value. */
  steps(): JsonPathStep[] {
    const steps = this.up?.steps() ?? [];
    if (this.step !== undefined) steps.push(this.step);
    return steps;
  }

  /** Where this value is, as errors name it. */
  get place(): string {
    return this.document.placeOf(this.steps());
  }

  /** Throws an InputError at this value. */
  fail(problem: string): never {
    throw new InputError(this.document.source, this.place, problem);
  }

  /** No value: absent from its object (or null in YAML). */
  get isAbsent(): boolean {
    return this.value === undefined || (this.document.yaml && this.value === null);
  }

  /** The reader of `value`, one `step` below this one. */
  protected child(step: JsonPathStep, value: unknown): JsonReader {
    return new JsonReader(this.document, this, step, value);
  }

  private wrongType(expected: string): never {
    if (this.isAbsent) this.fail(`missing (expected ${expected})`);
    this.fail(`expected ${expected}, found ${this.describe()}`);
  }

  private describe(): string {
    if (this.document.yaml && Array.isArray(this.value)) return 'a list';
    if (this.document.yaml && isJsonObject(this.value)) return 'a mapping';
    return describeJsonValue(this.value);
  }

  asObject(): JsonObjectReader {
    if (!isJsonObject(this.value)) this.wrongType(this.document.yaml ? 'a mapping' : 'an object');
    return new JsonObjectReader(this.document, this.up, this.step, this.value);
  }

  /** The items of an array, each with its place. */
  asArray(): JsonReader[] {
    if (!Array.isArray(this.value)) this.wrongType(this.document.yaml ? 'a list' : 'an array');
    return this.value.map((item: unknown, index) => this.child(index, item));
  }

  asString(): string {
    if (typeof this.value === 'string') return this.value;
    if (this.document.yaml && typeof this.value === 'number') {
      this.fail(`expected text, got the number ${this.value}; quote it ("${this.value}")`);
    }
    this.wrongType('a string');
  }

  /** A string with something besides white space in it. */
  asNonEmptyString(): string {
    const text = typeof this.value === 'string' ? this.value : this.asString();
    if (text.trim() === '') this.fail('expected a non-empty string, found an empty one');
    return text;
  }

  asNumber(): number {
    return typeof this.value === 'number' ? this.value : this.wrongType('a number');
  }

  asBoolean(): boolean {
    return typeof this.value === 'boolean' ? this.value : this.wrongType('true or false');
  }

  /** A string that must be one of `allowed`. */
  asOneOf<T extends string>(allowed: readonly T[]): T {
    const text = this.asString();
    if ((allowed as readonly string[]).includes(text)) return text as T;
    this.fail(`expected one of ${allowed.join(', ')}, found ${quoteInput(text)}`);
  }

  /** A calendar date `YYYY-MM-DD` (no February 30). */
  asDate(): string {
    const text = this.asString();
    return isIsoDate(text) ? text : this.fail(`not a valid YYYY-MM-DD date: ${quoteInput(text)}`);
  }

  /** A date-time, normalized to UTC `YYYY-MM-DDTHH:MM:SS.sssZ` (see `normalizeTimestamp`). */
  asTimestamp(): string {
    const text = this.asString();
    return normalizeTimestamp(text) ?? this.fail(`not a valid date-time: ${quoteInput(text)}`);
  }
}

/** An object at a place in a document, with its fields read by name (own properties only). */
export class JsonObjectReader extends JsonReader {
  declare readonly value: JsonObject;

  /** True when the field is present (and, in YAML, not null). */
  has(name: string): boolean {
    const value = ownField(this.value, name);
    return value !== undefined && !(this.document.yaml && value === null);
  }

  names(): string[] {
    return Object.keys(this.value);
  }

  /** This object, once every field it has is one of `known` (fails at the first that is not). */
  withOnly(known: readonly string[]): this {
    const unknown = Object.keys(this.value).find((name) => !known.includes(name));
    if (unknown !== undefined) {
      const what = this.document.yaml ? 'setting' : 'field';
      this.field(unknown).fail(`unknown ${what} ${quoteInput(unknown)}; expected one of ${known.join(', ')}`);
    }
    return this;
  }

  /** The field `name`, absent or not. */
  field(name: string): JsonReader {
    return this.child(name, ownField(this.value, name));
  }

  /** The field `name`, or undefined when it is absent. */
  optional(name: string): JsonReader | undefined {
    return this.has(name) ? this.field(name) : undefined;
  }

  /** Every field, in document order. */
  entries(): [string, JsonReader][] {
    return Object.entries(this.value).map(([name, value]) => [name, this.child(name, value)]);
  }

  string(name: string): string {
    const value = ownField(this.value, name);
    return typeof value === 'string' ? value : this.field(name).asString();
  }

  optionalString(name: string): string | undefined {
    return this.optional(name)?.asString();
  }

  object(name: string): JsonObjectReader {
    return this.field(name).asObject();
  }

  optionalObject(name: string): JsonObjectReader | undefined {
    return this.optional(name)?.asObject();
  }

  array(name: string): JsonReader[] {
    return this.field(name).asArray();
  }

  /** The array's items, none when the field is absent. */
  optionalArray(name: string): JsonReader[] {
    return this.optional(name)?.asArray() ?? [];
  }
}
