import { InputError } from '../base/input-error.js';
import { jsonPath } from './json-path.js';

/** Largest single array element or other top-level member held in memory at once. */
const MAX_ELEMENT_BYTES = 64 * 1024 * 1024;

/**
 * Deepest nesting accepted inside one value. Real NVD records nest about 8 levels; the cap keeps
 * `JSON.parse` and recursive consumers far from their stack limits.
 */
const MAX_NESTING_DEPTH = 512;

interface JsonArraySplitOptions {
  /** File name or URL, for error messages. */
  readonly source: string;
  /** Names of the top-level array to stream; whichever of them the document has is used. */
  readonly arrayKeys: readonly string[];
  /** Cap on one element (or other member) in bytes; defaults to {@link MAX_ELEMENT_BYTES}. */
  readonly maxElementBytes?: number;
  /** Accept a document with none of `arrayKeys`; its members then all land in `members`. */
  readonly allowMissingArray?: boolean;
}

interface JsonArrayElement {
  readonly value: unknown;
  /** Position in the array, from 0. */
  readonly index: number;
  /** Offset of the element's first byte in the document. */
  readonly byteOffset: number;
}

/** The elements of one top-level array, one at a time, plus the document's other members. */
interface JsonArraySplit extends AsyncIterable<JsonArrayElement> {
  /** Which of `arrayKeys` the document has, once its array has started. */
  readonly arrayKey: string | undefined;
  /** Top-level members other than the array, as read so far: all of them once iteration ends. */
  readonly members: ReadonlyMap<string, unknown>;
}

/** Where a syntax error is, relative to the start of the bytes checked. */
interface JsonSyntaxProblem {
  readonly offset: number;
  readonly problem: string;
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

function isWhitespace(byte: number): boolean {
  return byte === SPACE || byte === LF || byte === CR || byte === TAB;
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

function describeByte(byte: number): string {
  return byte > SPACE && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}

/** Where the splitter is in the top-level object, between captured values. */
const Phase = {
  BeforeDocument: 0,
  FirstKey: 1,
  Key: 2,
  Colon: 3,
  MemberValue: 4,
  FirstElement: 5,
  Element: 6,
  AfterElement: 7,
  AfterMember: 8,
  AfterDocument: 9,
} as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** What a captured value is for. */
const Purpose = { None: 0, Key: 1, Member: 2, Element: 3 } as const;
type Purpose = (typeof Purpose)[keyof typeof Purpose];

/**
 * A byte-level state machine over the document. It only finds where each value starts and ends
 * (tracking strings, escapes and bracket depth), leaving the grammar inside a value to
 * `JSON.parse`, which is what makes it fast.
 */
class Splitter {
  readonly members = new Map<string, unknown>();
  arrayKey: string | undefined;

  private readonly maxBytes: number;
  /** Absolute offset of the first byte of the chunk being fed. */
  private chunkOffset = 0;
  private phase: Phase = Phase.BeforeDocument;
  private key = '';
  private index = 0;

  /** The value being captured, if any, and how far its scan has got. */
  private purpose: Purpose = Purpose.None;
  private scalar = false;
  private depth = 0;
  private inString = false;
  /** The previous chunk ended on an unescaped backslash inside a string. */
  private escaped = false;
  private captureStart = 0;
  /** Where the capture starts in the current chunk (0 when it began in an earlier chunk). */
  private localStart = 0;
  private readonly parts: Buffer[] = [];
  private partBytes = 0;
  /** Bytes of all member names and values kept so far. */
  private memberBytes = 0;

  constructor(private readonly options: JsonArraySplitOptions) {
    this.maxBytes = options.maxElementBytes ?? MAX_ELEMENT_BYTES;
  }

  *feed(chunk: Buffer): Generator<JsonArrayElement> {
    const length = chunk.length;
    let i = 0;
    while (i < length) {
      if (this.purpose !== Purpose.None) {
        const end = this.scalar ? this.scanScalar(chunk, i) : this.scanNested(chunk, i);
        if (end < 0) {
          this.keepPartial(chunk);
          break;
        }
        const element = this.completeCapture(chunk, end);
        if (element !== undefined) yield element;
        i = end;
        continue;
      }
      const byte = chunk[i]!;
      if (!isWhitespace(byte)) {
        this.step(byte, i);
        if (this.purpose !== Purpose.None) continue;
      }
      i++;
    }
    this.chunkOffset += length;
  }

  end(): void {
    const end = this.chunkOffset;
    if (this.phase === Phase.AfterDocument) {
      if (this.arrayKey === undefined && this.options.allowMissingArray !== true) {
        const names = this.options.arrayKeys.map((name) => `"${name}"`).join(' or ');
        throw new InputError(this.options.source, `byte ${end} ($)`, `no ${names} array in the top-level object`);
      }
      return;
    }
    if (this.phase === Phase.BeforeDocument) {
      throw new InputError(this.options.source, `byte ${end}`, 'empty document: expected a JSON object');
    }
    throw new InputError(this.options.source, `byte ${end} (${this.path()})`, 'truncated document: input ends inside it');
  }

  /** One byte of top-level structure, outside any captured value; whitespace already skipped. */
  private step(byte: number, i: number): void {
    switch (this.phase) {
      case Phase.BeforeDocument:
        if (byte === OPEN_BRACE) this.phase = Phase.FirstKey;
        else if (byte === OPEN_BRACKET) this.fail(i, 'the document is an array; expected an object');
        else this.fail(i, `expected '{' to start the document, found ${describeByte(byte)}`);
        return;
      case Phase.FirstKey:
      case Phase.Key:
        if (byte === QUOTE) this.startCapture(i, Purpose.Key, false);
        else if (byte === CLOSE_BRACE && this.phase === Phase.FirstKey) this.phase = Phase.AfterDocument;
        else this.fail(i, `expected a member name, found ${describeByte(byte)}`);
        return;
      case Phase.Colon:
        if (byte === COLON) this.phase = Phase.MemberValue;
        else this.fail(i, `expected ':', found ${describeByte(byte)}`);
        return;
      case Phase.MemberValue:
        if (!this.options.arrayKeys.includes(this.key)) this.startValue(byte, i, Purpose.Member);
        else if (this.arrayKey !== undefined) this.fail(i, `a second streamed array "${this.key}"`);
        else if (byte !== OPEN_BRACKET) this.fail(i, `"${this.key}" is not an array: found ${describeByte(byte)}`);
        else {
          this.arrayKey = this.key;
          this.phase = Phase.FirstElement;
        }
        return;
      case Phase.FirstElement:
        if (byte === CLOSE_BRACKET) this.phase = Phase.AfterMember;
        else this.startValue(byte, i, Purpose.Element);
        return;
      case Phase.Element:
        this.startValue(byte, i, Purpose.Element);
        return;
      case Phase.AfterElement:
        if (byte === COMMA) this.phase = Phase.Element;
        else if (byte === CLOSE_BRACKET) this.phase = Phase.AfterMember;
        else this.fail(i, `expected ',' or ']' after an element, found ${describeByte(byte)}`);
        return;
      case Phase.AfterMember:
        if (byte === COMMA) this.phase = Phase.Key;
        else if (byte === CLOSE_BRACE) this.phase = Phase.AfterDocument;
        else this.fail(i, `expected ',' or '}' after a member, found ${describeByte(byte)}`);
        return;
      case Phase.AfterDocument:
        this.fail(i, `unexpected ${describeByte(byte)} after the end of the document`);
    }
  }

  private startValue(byte: number, i: number, purpose: Purpose): void {
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET || byte === QUOTE) this.startCapture(i, purpose, false);
    // A number, or the first letter of true, false or null.
    else if (byte === MINUS || isDigit(byte) || byte === 0x74 || byte === 0x66 || byte === 0x6e) {
      this.startCapture(i, purpose, true);
    } else this.fail(i, `expected a value, found ${describeByte(byte)}`);
  }

  /** The value starts at `i`; `feed` scans it from `i` itself, so the opening byte is counted. */
  private startCapture(i: number, purpose: Purpose, scalar: boolean): void {
    this.purpose = purpose;
    this.scalar = scalar;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.captureStart = this.chunkOffset + i;
    this.localStart = i;
    this.parts.length = 0;
    this.partBytes = 0;
  }

  /** End (exclusive) of a string, object or array begun earlier, or -1 when it goes on past this chunk. */
  private scanNested(chunk: Buffer, from: number): number {
    const length = chunk.length;
    let depth = this.depth;
    let i = from;
    if (this.inString) {
      i = this.stringEnd(chunk, i);
      if (i < 0) return -1;
      this.inString = false;
      if (depth === 0) return i;
    }
    while (i < length) {
      const byte = chunk[i++]!;
      if (byte === QUOTE) {
        i = this.stringEnd(chunk, i);
        if (i < 0) {
          this.inString = true;
          this.depth = depth;
          return -1;
        }
        if (depth === 0) return i;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        if (++depth > MAX_NESTING_DEPTH) this.fail(i - 1, `nested deeper than ${MAX_NESTING_DEPTH} levels`);
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        if (--depth === 0) return i;
      }
    }
    this.depth = depth;
    return -1;
  }

  /**
   * Index just past the closing quote of a string whose content resumes at `from`, or -1 when it
   * goes on past this chunk. Jumps from quote to quote with the native `indexOf` (strings are most
   * of an NVD feed's bytes); a quote is escaped when an odd run of backslashes precedes it.
   */
  private stringEnd(chunk: Buffer, from: number): number {
    const length = chunk.length;
    let i = from;
    if (this.escaped) {
      if (i >= length) return -1;
      this.escaped = false;
      i++;
    }
    for (;;) {
      const quote = chunk.indexOf(QUOTE, i);
      const stop = quote < 0 ? length : quote;
      let run = stop;
      while (run > i && chunk[run - 1] === BACKSLASH) run--;
      const oddBackslashes = ((stop - run) & 1) === 1;
      if (quote < 0) {
        this.escaped = oddBackslashes;
        return -1;
      }
      if (!oddBackslashes) return quote + 1;
      i = quote + 1;
    }
  }

  /** A number or literal ends at the first byte that can follow a value. */
  private scanScalar(chunk: Buffer, from: number): number {
    const length = chunk.length;
    for (let i = from; i < length; i++) {
      const byte = chunk[i]!;
      if (byte === COMMA || byte === CLOSE_BRACKET || byte === CLOSE_BRACE || isWhitespace(byte)) return i;
    }
    return -1;
  }

  private keepPartial(chunk: Buffer): void {
    this.partBytes += chunk.length - this.localStart;
    if (this.partBytes > this.maxBytes) this.failTooLarge();
    this.parts.push(this.localStart === 0 ? chunk : chunk.subarray(this.localStart));
    this.localStart = 0;
  }

  private failTooLarge(): never {
    throw new InputError(
      this.options.source,
      `byte ${this.captureStart} (${this.path()})`,
      `value larger than ${this.maxBytes} bytes; refusing to hold it in memory`,
    );
  }

  private completeCapture(chunk: Buffer, end: number): JsonArrayElement | undefined {
    const size = this.partBytes + end - this.localStart;
    if (size > this.maxBytes) this.failTooLarge();
    if (this.purpose !== Purpose.Element) {
      // Members are kept, so their total is capped too, not only each one.
      this.memberBytes += size;
      if (this.memberBytes > this.maxBytes) {
        throw new InputError(this.options.source, `byte ${this.captureStart} (${this.path()})`, `top-level members other than the array exceed ${this.maxBytes} bytes`);
      }
    }
    const bytes =
      this.parts.length === 0 ? chunk.subarray(this.localStart, end) : Buffer.concat([...this.parts, chunk.subarray(0, end)], size);
    this.parts.length = 0;
    this.partBytes = 0;
    const value = this.parse(bytes);
    const purpose = this.purpose;
    this.purpose = Purpose.None;
    switch (purpose) {
      case Purpose.Key:
        this.key = value as string;
        this.phase = Phase.Colon;
        return undefined;
      case Purpose.Member:
        this.members.set(this.key, value);
        this.phase = Phase.AfterMember;
        return undefined;
      default:
        this.phase = Phase.AfterElement;
        return { value, index: this.index++, byteOffset: this.captureStart };
    }
  }

  private parse(bytes: Buffer): unknown {
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch {
      const found = findJsonSyntaxError(bytes);
      throw new InputError(
        this.options.source,
        `byte ${this.captureStart + (found?.offset ?? 0)} (${this.path()})`,
        `malformed JSON: ${found?.problem ?? 'rejected by JSON.parse'}`,
      );
    }
  }

  /** JSON path of the value being read, for error messages. */
  private path(): string {
    switch (this.phase) {
      case Phase.FirstElement:
      case Phase.Element:
        return jsonPath([this.key, this.index]);
      case Phase.AfterElement:
      case Phase.MemberValue:
        return jsonPath([this.key]);
      default:
        return '$';
    }
  }

  private fail(i: number, problem: string): never {
    throw new InputError(this.options.source, `byte ${this.chunkOffset + i} (${this.path()})`, problem);
  }
}

/**
 * Streams the elements of one top-level array of a large JSON document, such as an NVD feed's
 * `vulnerabilities`, each parsed on its own. Memory stays bounded by the largest element (capped),
 * not the document. Bad input of any kind throws InputError naming the byte offset and JSON path.
 * Iterate it once.
 */
export function splitJsonArray(chunks: AsyncIterable<Buffer>, options: JsonArraySplitOptions): JsonArraySplit {
  const splitter = new Splitter(options);
  let started = false;
  return {
    get arrayKey() {
      return splitter.arrayKey;
    },
    members: splitter.members,
    async *[Symbol.asyncIterator]() {
      if (started) throw new Error('splitJsonArray: a split can be iterated only once');
      started = true;
      for await (const chunk of chunks) yield* splitter.feed(chunk);
      splitter.end();
    },
  };
}

/** States of the syntax checker: what may come next. */
const Expect = { Value: 0, FirstValue: 1, FirstKey: 2, Key: 3, Colon: 4, AfterValue: 5, Done: 6 } as const;

function literalEnd(bytes: Uint8Array, at: number, literal: string): JsonSyntaxProblem | number {
  for (let k = 0; k < literal.length; k++) {
    if (bytes[at + k] !== literal.charCodeAt(k)) return { offset: at + k, problem: `expected '${literal}'` };
  }
  return at + literal.length;
}

function stringEnd(bytes: Uint8Array, at: number): JsonSyntaxProblem | number {
  for (let i = at + 1; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === QUOTE) return i + 1;
    if (byte < SPACE) return { offset: i, problem: 'control character inside a string' };
    if (byte !== BACKSLASH) continue;
    const escape = bytes[i + 1];
    if (escape === undefined) break;
    if (escape === 0x75) {
      for (let k = 2; k < 6; k++) {
        const hex = bytes[i + k];
        if (hex === undefined) return { offset: bytes.length, problem: 'unterminated string' };
        if (!/[0-9a-fA-F]/.test(String.fromCharCode(hex))) return { offset: i + k, problem: 'invalid \\u escape' };
      }
      i += 5;
    } else if ('"\\/bfnrt'.includes(String.fromCharCode(escape))) i++;
    else return { offset: i + 1, problem: `invalid escape '\\${String.fromCharCode(escape)}'` };
  }
  return { offset: bytes.length, problem: 'unterminated string' };
}

function numberEnd(bytes: Uint8Array, at: number): JsonSyntaxProblem | number {
  let i = at;
  if (bytes[i] === MINUS) i++;
  const digitsFrom = (start: number): number => {
    let k = start;
    while (k < bytes.length && isDigit(bytes[k]!)) k++;
    return k;
  };
  if (bytes[i] === 0x30) i++;
  else if (i < bytes.length && isDigit(bytes[i]!)) i = digitsFrom(i);
  else return { offset: i, problem: 'invalid number' };
  if (bytes[i] === 0x2e) {
    const end = digitsFrom(i + 1);
    if (end === i + 1) return { offset: end, problem: 'invalid number: no digits after the decimal point' };
    i = end;
  }
  if (bytes[i] === 0x65 || bytes[i] === 0x45) {
    i++;
    if (bytes[i] === 0x2b || bytes[i] === MINUS) i++;
    const end = digitsFrom(i);
    if (end === i) return { offset: end, problem: 'invalid number: no digits in the exponent' };
    i = end;
  }
  return i;
}

/**
 * Finds the first JSON syntax error in `bytes` (one whole value), or undefined if there is none.
 * Used only after `JSON.parse` failed, to name the exact byte: engines' messages differ and
 * count UTF-16 units, not bytes. Iterative, so deep nesting cannot overflow the stack.
 */
export function findJsonSyntaxError(bytes: Uint8Array): JsonSyntaxProblem | undefined {
  const containers: number[] = [];
  let expect: number = Expect.Value;
  let i = 0;
  for (;;) {
    while (i < bytes.length && isWhitespace(bytes[i]!)) i++;
    if (i >= bytes.length) return expect === Expect.Done ? undefined : { offset: i, problem: 'unexpected end of input' };
    const byte = bytes[i]!;
    let next: JsonSyntaxProblem | number;
    switch (expect) {
      case Expect.Done:
        return { offset: i, problem: `unexpected ${describeByte(byte)} after the value` };
      case Expect.Colon:
        if (byte !== COLON) return { offset: i, problem: `expected ':', found ${describeByte(byte)}` };
        expect = Expect.Value;
        i++;
        continue;
      case Expect.FirstKey:
      case Expect.Key:
        if (byte === CLOSE_BRACE && expect === Expect.FirstKey) {
          containers.pop();
          expect = containers.length === 0 ? Expect.Done : Expect.AfterValue;
          i++;
          continue;
        }
        if (byte !== QUOTE) return { offset: i, problem: `expected a member name, found ${describeByte(byte)}` };
        next = stringEnd(bytes, i);
        if (typeof next !== 'number') return next;
        expect = Expect.Colon;
        i = next;
        continue;
      case Expect.AfterValue: {
        const inObject = containers[containers.length - 1] === OPEN_BRACE;
        if (byte === COMMA) expect = inObject ? Expect.Key : Expect.Value;
        else if (byte === (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) {
          containers.pop();
          expect = containers.length === 0 ? Expect.Done : Expect.AfterValue;
        } else return { offset: i, problem: `expected ',' or '${inObject ? '}' : ']'}', found ${describeByte(byte)}` };
        i++;
        continue;
      }
      default:
        break;
    }
    if (byte === CLOSE_BRACKET && expect === Expect.FirstValue) {
      containers.pop();
      expect = containers.length === 0 ? Expect.Done : Expect.AfterValue;
      i++;
      continue;
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      containers.push(byte);
      expect = byte === OPEN_BRACE ? Expect.FirstKey : Expect.FirstValue;
      i++;
      continue;
    }
    if (byte === QUOTE) next = stringEnd(bytes, i);
    else if (byte === MINUS || isDigit(byte)) next = numberEnd(bytes, i);
    else if (byte === 0x74) next = literalEnd(bytes, i, 'true');
    else if (byte === 0x66) next = literalEnd(bytes, i, 'false');
    else if (byte === 0x6e) next = literalEnd(bytes, i, 'null');
    else return { offset: i, problem: `expected a value, found ${describeByte(byte)}` };
    if (typeof next !== 'number') return next;
    expect = containers.length === 0 ? Expect.Done : Expect.AfterValue;
    i = next;
  }
}
