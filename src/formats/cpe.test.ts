import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import type { Cpe, CpeValue } from './cpe.js';
import { formatCpe, parseCpe } from './cpe.js';
import { InputError } from '../base/input-error.js';

const CPE_ANY: CpeValue = { kind: 'any' };
const CPE_NA: CpeValue = { kind: 'na' };
const cpeLiteral = (text: string, leadingWildcard = '', trailingWildcard = ''): CpeValue => ({ kind: 'literal', text, leadingWildcard, trailingWildcard });

const CPE_KEYS = new Set(['cpe23Uri', 'criteria']);

function collectCpes(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectCpes(item, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (CPE_KEYS.has(key) && typeof item === 'string') into.add(item);
      else collectCpes(item, into);
    }
  }
}

/** Every `cpe23Uri` (NVD 1.1) and `criteria` (NVD 2.0) string in the sample NVD data. */
function sampleNvdCpes(): { readonly fromJson: Set<string>; readonly fromText: Set<string> } {
  const root = repoPath('data', 'alpine-sample', 'nvd');
  const fromJson = new Set<string>();
  const fromText = new Set<string>();
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.json'));
  for (const name of files) {
    const text = readFileSync(join(root, name), 'utf8');
    collectCpes(JSON.parse(text), fromJson);
    for (const match of text.matchAll(/"(?:cpe23Uri|criteria)"\s*:\s*("(?:[^"\\]|\\.)*")/g)) {
      fromText.add(JSON.parse(match[1] ?? '""') as string);
    }
  }
  return { fromJson, fromText };
}

function expectInputError(run: () => unknown, place: string | undefined, problem: RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InputError);
  const error = thrown as InputError;
  expect(error.source).toBe('test.cpe');
  expect(error.place).toBe(place);
  expect(error.problem).toMatch(problem);
}

const parse = (text: string): Cpe => parseCpe(text, 'test.cpe');

describe('parseCpe / formatCpe on the NVD sample data', () => {
  const { fromJson, fromText } = sampleNvdCpes();

  it('finds the same CPE strings by JSON walk and by text scan', () => {
    // `grep -rhoE` over data/alpine-sample/nvd finds 985 distinct values; both collectors must agree.
    expect(fromJson.size).toBe(985);
    expect([...fromJson].sort()).toEqual([...fromText].sort());
  });

  it('round-trips every string and reads a concrete part', () => {
    for (const text of fromJson) {
      const cpe = parse(text);
      expect(formatCpe(cpe), text).toBe(text);
      expect(['a', 'o', 'h'], text).toContain(cpe.part.kind === 'literal' ? cpe.part.text : cpe.part.kind);
    }
  });

  it('unquotes the quoted characters seen in the data', () => {
    // nvdcve-1.1 feed entries for erlang/otp and ICU (target_sw "c/c++").
    expect(parse('cpe:2.3:a:erlang:erlang\\/otp:*:*:*:*:*:*:*:*').product).toEqual(cpeLiteral('erlang/otp'));
    const icu = parse('cpe:2.3:a:icu-project:international_components_for_unicode:*:*:*:*:*:c\\/c\\+\\+:*:*');
    expect(icu.targetSw).toEqual(cpeLiteral('c/c++'));
    expect(icu.vendor).toEqual(cpeLiteral('icu-project'));
  });
});

describe('parseCpe: formats.md 5.2 examples', () => {
  it('reads NA, ANY and literals of the HP example', () => {
    const cpe = parse('cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*');
    expect(cpe).toEqual({
      part: cpeLiteral('a'),
      vendor: cpeLiteral('hp'),
      product: cpeLiteral('insight_diagnostics'),
      version: cpeLiteral('7.4.0.1570'),
      update: CPE_NA,
      edition: CPE_ANY,
      language: CPE_ANY,
      swEdition: cpeLiteral('online'),
      targetSw: cpeLiteral('win2003'),
      targetHw: cpeLiteral('x64'),
      other: CPE_ANY,
    });
  });

  it('unquotes big\\$money and does not split on a quoted colon', () => {
    const money = 'cpe:2.3:a:example:big\\$money:1.0:*:*:*:*:*:*:*';
    expect(parse(money).product).toEqual(cpeLiteral('big$money'));
    expect(formatCpe(parse(money))).toBe(money);
    const beta = 'cpe:2.3:a:example:prod:1.0\\:beta:*:*:*:*:*:*:*';
    expect(parse(beta).version).toEqual(cpeLiteral('1.0:beta'));
    expect(parse(beta).update).toEqual(CPE_ANY);
    expect(formatCpe(parse(beta))).toBe(beta);
  });

  it('separates end wildcards from the text (prod*, 1.?, quoted \\*)', () => {
    const cpe = parse('cpe:2.3:a:example:prod*:1.?:*:*:en-us:*:*:*:*');
    expect(cpe.product).toEqual(cpeLiteral('prod', '', '*'));
    expect(cpe.version).toEqual(cpeLiteral('1.', '', '?'));
    expect(cpe.language).toEqual(cpeLiteral('en-us'));
    expect(parse('cpe:2.3:a:example:??x\\*:*:*:*:*:*:*:*:*').product).toEqual(cpeLiteral('x*', '??'));
  });

  it('keeps a literal hyphen apart from NA by quoting it', () => {
    const hyphen = 'cpe:2.3:a:example:prod:\\-:-:*:*:*:*:*:*';
    expect(parse(hyphen).version).toEqual(cpeLiteral('-'));
    expect(parse(hyphen).update).toEqual(CPE_NA);
    expect(formatCpe(parse(hyphen))).toBe(hyphen);
    expect(formatCpe(parse('cpe:/a:example:prod:%2d:-'))).toBe(hyphen);
  });

  it('rejects invalid strings naming the field', () => {
    expectInputError(() => parse('cpe:2.3:a:example:big$money:1.0:*:*:*:*:*:*:*'), 'field 5 (product)', /unquoted "\$"/);
    expectInputError(() => parse('cpe:2.3:a:example:pr*od:1.0:*:*:*:*:*:*:*'), 'field 5 (product)', /wildcard "\*" inside/);
    expectInputError(() => parse('cpe:2.3:a:example:prod:1.0:*:*:*:*:*:*'), undefined, /expected 13 .* found 12/);
    expectInputError(() => parse('cpe:2.3:a:example:prod:1.0:*:*:*:*:*:*:*:*'), undefined, /found 14/);
    expectInputError(() => parse('cpe:2.2:a:example:prod:1.0:*:*:*:*:*:*:*'), undefined, /not a CPE/);
    expectInputError(() => parse('CPE:2.3:a:example:prod:1.0:*:*:*:*:*:*:*'), undefined, /not a CPE/);
    expectInputError(() => parse('cpe:2.3:x:example:prod:1.0:*:*:*:*:*:*:*'), 'field 3 (part)', /part must be/);
    expectInputError(() => parse('cpe:2.3:a:example:prod:1.0:*:*:english:*:*:*:*'), 'field 9 (language)', /language tag/);
    expectInputError(() => parse('cpe:2.3:a:example::1.0:*:*:*:*:*:*:*'), 'field 5 (product)', /empty value/);
    expectInputError(() => parse('cpe:2.3:a:example:prod:1.0:*:*:*:*:*:*:x\\'), 'field 13', /lone backslash/);
    expectInputError(() => parse('cpe:2.3:a:example:pr\\-od:1.0:*:*:*:*:*:*:*'), 'field 5 (product)', /must not be quoted/);
    expectInputError(() => parse('cpe:2.3:a:example:caf\u00e9:1.0:*:*:*:*:*:*:*'), 'field 5 (product)', /U\+00E9/);
    expectInputError(() => parse('cpe:2.3:a:example:pr od:1.0:*:*:*:*:*:*:*'), 'field 5 (product)', /U\+0020/);
    expectInputError(() => parse('cpe:2.3:a:example:??:1.0:*:*:*:*:*:*:*'), 'field 5 (product)', /needs text/);
    expectInputError(() => parse('cpe:2.3:a:example:**:1.0:*:*:*:*:*:*:*'), 'field 5 (product)', /needs text/);
  });
});

describe('parseCpe: CPE 2.2 URIs', () => {
  it('converts a short URI, leaving missing components ANY', () => {
    expect(formatCpe(parse('cpe:/a:vendor:product:ver'))).toBe('cpe:2.3:a:vendor:product:ver:*:*:*:*:*:*:*');
  });

  it('decodes percent-encoding, NA, language and the 2.3 URI wildcards %01/%02', () => {
    const cpe = parse('cpe:/A:big%24money_inc:prod%2b%2b:1.0%3abeta:-::en-us');
    expect(cpe.part).toEqual(cpeLiteral('a'));
    expect(cpe.vendor).toEqual(cpeLiteral('big$money_inc'));
    expect(cpe.product).toEqual(cpeLiteral('prod++'));
    expect(cpe.version).toEqual(cpeLiteral('1.0:beta'));
    expect(cpe.update).toEqual(CPE_NA);
    expect(cpe.edition).toEqual(CPE_ANY);
    expect(cpe.language).toEqual(cpeLiteral('en-us'));
    expect(parse('cpe:/a:example:%02prod%01%01').product).toEqual(cpeLiteral('prod', '*', '??'));
  });

  it('unpacks an edition packed with "~" (NISTIR 7695 6.1.3)', () => {
    const cpe = parse('cpe:/o:microsoft:windows_xp::sp2:~~pro~x86~~');
    expect(cpe.edition).toEqual(CPE_ANY);
    expect(cpe.swEdition).toEqual(cpeLiteral('pro'));
    expect(cpe.targetSw).toEqual(cpeLiteral('x86'));
    expect(cpe.targetHw).toEqual(CPE_ANY);
    expect(cpe.other).toEqual(CPE_ANY);
    expect(parse('cpe:/a:vendor:product:1.0~rc1').version).toEqual(cpeLiteral('1.0~rc1'));
  });

  it('rejects malformed URIs', () => {
    expectInputError(() => parse('cpe:/x:vendor:product'), 'component 1 (part)', /part must be/);
    expectInputError(() => parse('cpe:/a:vendor:pro%zzduct'), 'component 3 (product)', /percent-encoding/);
    expectInputError(() => parse('cpe:/a:vendor:pro%0aduct'), 'component 3 (product)', /U\+000A/);
    expectInputError(() => parse('cpe:/a:vendor:pro$duct'), 'component 3 (product)', /"\$" not allowed/);
    expectInputError(() => parse('cpe:/a:v:p:1:u:e:en:extra'), undefined, /at most 7 components, found 8/);
    expectInputError(() => parse('cpe:/a:v:p:1:u:~a~b'), 'component 6 (edition)', /5 "~"-separated values, found 2/);
    expectInputError(() => parse('cpe:/a:v:p:1:u:e:english'), 'component 7 (language)', /language tag/);
    expectInputError(() => parse('cpe:/a:v:pr%02od'), 'component 3 (product)', /wildcard inside/);
  });
});

describe('properties', () => {
  const textChar = fc.constantFrom(...'abcXYZ019_.-!"#$%&\'()*+,/:;<=>?@[\\]^`{|}~');
  const wildcard = fc.constantFrom('', '*', '?', '???');
  const literal = fc
    .record({ text: fc.string({ unit: textChar, minLength: 1, maxLength: 8 }), leading: wildcard, trailing: wildcard })
    .map(({ text, leading, trailing }) => cpeLiteral(text, leading, trailing));
  const value: fc.Arbitrary<CpeValue> = fc.oneof(fc.constant(CPE_ANY), fc.constant(CPE_NA), literal);
  const part = fc.oneof(fc.constant(CPE_ANY), fc.constant(CPE_NA), fc.constantFrom('a', 'o', 'h').map((text) => cpeLiteral(text)));
  const language = fc.oneof(
    fc.constant(CPE_ANY),
    fc.constant(CPE_NA),
    fc.constantFrom('en', 'en-us', 'DE', 'gsw-CH', 'es-419').map((text) => cpeLiteral(text)),
  );
  const cpe: fc.Arbitrary<Cpe> = fc.record({
    part,
    vendor: value,
    product: value,
    version: value,
    update: value,
    edition: value,
    language,
    swEdition: value,
    targetSw: value,
    targetHw: value,
    other: value,
  });

  it('format then parse gives back the structure', () => {
    fc.assert(
      fc.property(cpe, (original) => {
        const text = formatCpe(original);
        expect(parse(text)).toEqual(original);
        expect(formatCpe(parse(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('mutated strings parse or throw InputError', () => {
    const seeds = [
      'cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*',
      'cpe:2.3:a:example:big\\$money:1.0\\:beta:*:*:en-us:*:*:*:*',
      'cpe:/o:microsoft:windows_xp::sp2:~~pro~x86~~',
      'cpe:/a:vendor:prod%2b%2b:%021.0%01',
    ];
    const alphabet = fc.constantFrom(...'cpe:/2.3aoh*?-\\%~01fFzZ$ \u00e9');
    const mutated = fc
      .tuple(fc.constantFrom(...seeds), fc.nat(), fc.nat({ max: 4 }), fc.string({ unit: alphabet, maxLength: 4 }))
      .map(([seed, at, cut, insert]) => {
        const position = at % (seed.length + 1);
        return seed.slice(0, position) + insert + seed.slice(position + cut);
      });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 40 })), (text) => {
        try {
          const parsed = parseCpe(text, 'test.cpe');
          expect(parse(formatCpe(parsed))).toEqual(parsed);
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
