import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import { InputError } from '../base/input-error.js';
import { findJsonSyntaxError, splitJsonArray } from './json-stream.js';

const SAMPLE_2_0 = repoPath('data', 'alpine-sample', 'nvd', 'api-2.0', 'nvdcve-2.0-sample.json');
const FEED_1_1_2019 = repoPath('data', 'alpine-sample', 'nvd', 'feed-1.1', 'nvdcve-1.1-2019.json');
type SplitOptions = Parameters<typeof splitJsonArray>[1];

const VULNERABILITIES: SplitOptions = { source: 'test.json', arrayKeys: ['vulnerabilities'] };

/** Feeds `bytes` in pieces cut at the given offsets (any order, out-of-range ones ignored). */
function chunked(bytes: Buffer, cuts: readonly number[] = []): AsyncIterable<Buffer> {
  const points = [...new Set(cuts.filter((cut) => cut > 0 && cut < bytes.length)), bytes.length].sort((a, b) => a - b);
  return Readable.from(points.map((point, index) => bytes.subarray(index === 0 ? 0 : points[index - 1], point)));
}

function everyNth(length: number, size: number): number[] {
  return Array.from({ length: Math.ceil(length / size) }, (_, index) => index * size);
}

async function split(bytes: Buffer, options: SplitOptions = VULNERABILITIES, cuts: readonly number[] = []) {
  const stream = splitJsonArray(chunked(bytes, cuts), options);
  const elements = [];
  for await (const element of stream) elements.push(element);
  return { elements, members: Object.fromEntries(stream.members), arrayKey: stream.arrayKey };
}

async function splitError(bytes: Buffer | string, options: SplitOptions = VULNERABILITIES): Promise<InputError> {
  const error = await split(Buffer.from(bytes), options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe('splitJsonArray on real NVD files', () => {
  const sample = readFileSync(SAMPLE_2_0);
  const whole = JSON.parse(sample.toString('utf8')) as { vulnerabilities: unknown[] } & Record<string, unknown>;

  it('yields the 6 records of the 2.0 sample and keeps format, version and totalResults', async () => {
    const { elements, members, arrayKey } = await split(sample);
    expect(arrayKey).toBe('vulnerabilities');
    expect(elements.map((element) => element.value)).toEqual(whole.vulnerabilities);
    expect(elements.map((element) => element.index)).toEqual([0, 1, 2, 3, 4, 5]);
    // The sample's envelope, per data/alpine-sample/README.md: {"format":"NVD_CVE","version":"2.0",...}
    expect(members).toEqual({ format: 'NVD_CVE', version: '2.0', totalResults: 6 });
  });

  it('gives each element the byte offset of its opening brace', async () => {
    const { elements } = await split(sample);
    // In the pretty-printed sample every record starts on a line "    {" followed by "      \"cve\"".
    const starts = [...sample.toString('latin1').matchAll(/\n {4}\{\n {6}"cve"/g)].map((match) => match.index + 5);
    expect(elements.map((element) => element.byteOffset)).toEqual(starts);
  });

  it('streams a 1.1 feed by its CVE_Items key', async () => {
    const feed = readFileSync(FEED_1_1_2019);
    const expected = JSON.parse(feed.toString('utf8')) as { CVE_Items: unknown[] };
    const { elements, members, arrayKey } = await split(feed, { source: 'feed', arrayKeys: ['vulnerabilities', 'CVE_Items'] });
    expect(arrayKey).toBe('CVE_Items');
    expect(elements).toHaveLength(37); // CVE_data_numberOfCVEs in the file
    expect(elements.map((element) => element.value)).toEqual(expected.CVE_Items);
    expect(members).toEqual({ CVE_data_type: 'CVE', CVE_data_format: 'MITRE', CVE_data_version: '4.0', CVE_data_numberOfCVEs: '37' });
  });

  it('gives identical results for 1-byte, 7-byte and random chunks, across multi-byte UTF-8 characters', async () => {
    // The Spanish descriptions in the sample ("límites") put 2-byte characters on some chunk boundaries.
    expect(sample.some((byte) => byte >= 0x80)).toBe(true);
    const expected = await split(sample);
    expect(await split(sample, VULNERABILITIES, everyNth(sample.length, 1))).toEqual(expected);
    expect(await split(sample, VULNERABILITIES, everyNth(sample.length, 7))).toEqual(expected);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: sample.length }), { maxLength: 60 }), async (cuts) => {
        expect(await split(sample, VULNERABILITIES, cuts)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });
});

describe('splitJsonArray on generated documents', () => {
  const documentParts = fc.record({
    before: fc.jsonValue(),
    items: fc.array(fc.jsonValue(), { maxLength: 8 }),
    after: fc.jsonValue(),
    indent: fc.constantFrom(undefined, 1, '\t'),
  });

  it('returns every element and member as JSON.parse would, however the bytes are cut', async () => {
    await fc.assert(
      fc.asyncProperty(documentParts, fc.array(fc.nat({ max: 5000 }), { maxLength: 30 }), async (parts, cuts) => {
        const text = JSON.stringify({ before: parts.before, items: parts.items, after: parts.after }, null, parts.indent);
        const expected = JSON.parse(text) as { before: unknown; items: unknown[]; after: unknown };
        const result = await split(Buffer.from(text), { source: 'generated', arrayKeys: ['items'] }, cuts);
        expect(result.elements.map((element) => element.value)).toEqual(expected.items);
        expect(result.members).toEqual({ before: expected.before, after: expected.after });
      }),
      { numRuns: 150 },
    );
  });

  it('handles escaped quotes and backslash runs cut anywhere', async () => {
    const value = { s: 'a\\"}]\\\\', t: '\\\\\\"' };
    const text = JSON.stringify({ items: [value, value] });
    for (let cut = 1; cut < text.length; cut++) {
      const { elements } = await split(Buffer.from(text), { source: 'escapes', arrayKeys: ['items'] }, [cut, cut + 1]);
      expect(elements.map((element) => element.value)).toEqual([value, value]);
    }
  });

  it('throws only InputError for random bytes, quickly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const outcome = await split(Buffer.from(bytes)).then(
          () => 'parsed',
          (error: unknown) => error,
        );
        if (outcome !== 'parsed') expect(outcome).toBeInstanceOf(InputError);
      }),
      { numRuns: 300 },
    );
  });
});

describe('splitJsonArray errors', () => {
  const sample = readFileSync(SAMPLE_2_0);

  it('names the byte and the record of malformed JSON inside an element', async () => {
    const text = sample.toString('latin1');
    const second = text.indexOf('"vulnStatus"', text.indexOf('"vulnStatus"') + 1);
    const colon = second + '"vulnStatus"'.length;
    const broken = Buffer.from(sample);
    broken[colon] = ';'.charCodeAt(0);
    const error = await splitError(broken);
    expect(error.place).toBe(`byte ${colon} ($.vulnerabilities[1])`);
    expect(error.problem).toMatch(/expected ':'/);
  });

  it('reports a truncated document at its end, inside the record being read', async () => {
    const third = [...sample.toString('latin1').matchAll(/\n {4}\{\n {6}"cve"/g)][2]!.index + 5;
    const cut = third + 100;
    const error = await splitError(sample.subarray(0, cut));
    expect(error.place).toBe(`byte ${cut} ($.vulnerabilities[2])`);
    expect(error.problem).toMatch(/truncated/);
  });

  it('rejects wrong top-level shapes', async () => {
    expect((await splitError('[{"cve":{}}]')).problem).toMatch(/is an array; expected an object/);
    expect((await splitError('{"format":"NVD_CVE","version":"2.0"}')).problem).toMatch(/no "vulnerabilities" array/);
    const notArray = await splitError('{"format":"NVD_CVE","vulnerabilities":{"cve":{}}}');
    expect(notArray.place).toBe('byte 38 ($.vulnerabilities)');
    expect(notArray.problem).toMatch(/not an array/);
    expect((await splitError('{"vulnerabilities":[],"vulnerabilities":[]}')).problem).toMatch(/second streamed array/);
    expect((await splitError('')).problem).toMatch(/empty document/);
    expect((await splitError('{"vulnerabilities":[1,]}')).place).toBe('byte 22 ($.vulnerabilities[1])');
    expect((await splitError('{"vulnerabilities":[]} x')).place).toBe('byte 23 ($)');
  });

  it('accepts a document without the array when asked, keeping all its members', async () => {
    const { elements, members } = await split(Buffer.from('{"id":"CVE-2023-28484","n":[1,2]}'), { ...VULNERABILITIES, allowMissingArray: true });
    expect(elements).toEqual([]);
    expect(members).toEqual({ id: 'CVE-2023-28484', n: [1, 2] });
  });

  it('refuses an element over the size cap, whether it arrives whole or in pieces', async () => {
    const text = Buffer.from(`{"vulnerabilities":[{"a":1},{"s":"${'x'.repeat(5000)}"}]}`);
    const options = { ...VULNERABILITIES, maxElementBytes: 1000 };
    for (const cuts of [[], everyNth(text.length, 64)]) {
      const error = await split(text, options, cuts).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).place).toBe('byte 28 ($.vulnerabilities[1])');
    }
  });

  it('stops at 64 MiB by default, without reading on', async () => {
    const mebibyte = Buffer.alloc(1 << 20, 'x');
    let fed = 0;
    function* endlessString(): Generator<Buffer> {
      yield Buffer.from('{"vulnerabilities":[{"s":"');
      for (;;) {
        fed++;
        yield mebibyte;
      }
    }
    const stream = splitJsonArray(Readable.from(endlessString()), VULNERABILITIES);
    const error = await (async () => {
      for await (const element of stream) expect.unreachable(`no element expected, got ${element.index}`);
    })().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).place).toBe('byte 20 ($.vulnerabilities[0])');
    expect(fed).toBeLessThanOrEqual(66);
  });

  it('caps the total size of the other top-level members, not only each one', async () => {
    const members = Array.from({ length: 20 }, (_, index) => `"m${index}":"${'x'.repeat(90)}"`).join(',');
    const error = await splitError(`{${members},"vulnerabilities":[]}`, { ...VULNERABILITIES, maxElementBytes: 1000 });
    expect(error.problem).toMatch(/members other than the array exceed 1000 bytes/);
  });

  it('refuses absurd nesting without overflowing the stack', async () => {
    const error = await splitError(`{"vulnerabilities":[${'['.repeat(100_000)}`);
    expect(error.problem).toMatch(/nested deeper than/);
  });
});

describe('findJsonSyntaxError', () => {
  it('names the first bad byte', () => {
    expect(findJsonSyntaxError(Buffer.from('{"a":1}'))).toBeUndefined();
    expect(findJsonSyntaxError(Buffer.from('{"a" 1}'))).toEqual({ offset: 5, problem: "expected ':', found '1'" });
    expect(findJsonSyntaxError(Buffer.from('[1,2,]'))?.offset).toBe(5);
    expect(findJsonSyntaxError(Buffer.from('"a\\x"'))?.offset).toBe(3);
    expect(findJsonSyntaxError(Buffer.from('[01]'))?.offset).toBe(2);
    expect(findJsonSyntaxError(Buffer.from('{"a":tru}'))?.offset).toBe(8);
    expect(findJsonSyntaxError(Buffer.from('"é\n"'))?.offset).toBe(3);
  });

  it('agrees with JSON.parse on mutated JSON', () => {
    const mutated = fc
      .tuple(fc.jsonValue(), fc.array(fc.tuple(fc.nat(), fc.constantFrom('', '"', '\\', ',', ':', '[', ']', '{', '}', '0', '-', 'e', '.', ' ', 'u', 'n')), { maxLength: 3 }))
      .map(([value, edits]) => {
        let text = JSON.stringify(value);
        for (const [position, replacement] of edits) {
          const at = position % (text.length + 1);
          text = text.slice(0, at) + replacement + text.slice(at + 1);
        }
        return text;
      });
    fc.assert(
      fc.property(mutated, (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        expect(findJsonSyntaxError(Buffer.from(text)) === undefined).toBe(parses);
      }),
      { numRuns: 1000 },
    );
  });
});
