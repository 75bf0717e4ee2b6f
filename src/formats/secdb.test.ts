import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import { type SecdbDocument, parseSecdb } from './secdb.js';
import { expectParsedOrInputError, inputErrorFrom } from '../test-support/input-errors.js';

function sample(branch: string, repo: string): { text: string; source: string } {
  const source = repoPath('data', 'alpine-sample', 'secdb', branch, `${repo}.json`);
  return { text: readFileSync(source, 'utf8'), source };
}

function load(branch: string, repo: string): SecdbDocument {
  const { text, source } = sample(branch, repo);
  return parseSecdb(Buffer.from(text, 'utf8'), source);
}

function versionsOf(document: SecdbDocument, name: string): Map<string, string[]> {
  const pkg = document.packages.find((candidate) => candidate.name === name);
  expect(pkg).toBeDefined();
  return new Map(pkg?.secfixes.map((entry) => [entry.version, entry.ids.map((id) => id.id)]));
}

const minimal = (packages: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ distroversion: 'v3.16', reponame: 'main', packages, ...extra });

describe('parseSecdb on the sample data', () => {
  // Package and "secfix entry" counts from the table in data/alpine-sample/README.md; an entry is
  // one id string in a version's list (1121 for v3.14 main is the number of list items, not of keys).
  it.each([
    ['v3.14', 'main', 67, 1121],
    ['v3.14', 'community', 10, 295],
    ['v3.16', 'main', 68, 1317],
    ['v3.16', 'community', 11, 315],
    ['v3.17', 'main', 68, 1465],
    ['v3.17', 'community', 10, 330],
  ])('%s %s has %i packages and %i entries, no warnings', (branch, repo, packages, entries) => {
    const document = load(branch, repo);
    expect(document.packages).toHaveLength(packages);
    expect(document.packages.flatMap((pkg) => pkg.secfixes.flatMap((version) => version.ids))).toHaveLength(entries);
    expect(document.branch).toBe(branch.slice(1));
    expect(document.repo).toBe(repo);
    expect(document.warnings).toEqual([]);
  });

  it('reads the top-level fields (v3.14 main.json lines 1-14)', () => {
    const document = load('v3.14', 'main');
    expect(document).toMatchObject({
      distroversion: 'v3.14',
      branch: '3.14',
      repo: 'main',
      urlprefix: 'https://dl-cdn.alpinelinux.org/alpine',
      apkurl: '{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk',
      archs: ['aarch64', 'armhf', 'armv7', 'ppc64le', 's390x', 'x86', 'x86_64'],
    });
    // File order: apache2 (line 18), apk-tools (line 134), bash (line 147).
    expect(document.packages.slice(0, 3).map((pkg) => pkg.name)).toEqual(['apache2', 'apk-tools', 'bash']);
  });

  it('keeps the "0" (not affected) keys of the README quirks', () => {
    expect(versionsOf(load('v3.14', 'main'), 'openssl').get('0')).toEqual(['CVE-2022-1292', 'CVE-2022-2068']);
    expect(versionsOf(load('v3.16', 'main'), 'zlib').get('0')).toEqual(['CVE-2023-45853']);
    expect(versionsOf(load('v3.17', 'main'), 'zlib').get('0')).toEqual(['CVE-2023-45853']);
  });

  it('classifies non-CVE ids and keeps trailing text as a note', () => {
    const v314 = load('v3.14', 'main');
    const ids = (name: string, version: string) =>
      v314.packages.find((pkg) => pkg.name === name)?.secfixes.find((entry) => entry.version === version)?.ids;
    // busybox 1.33.1-r7 (main.json line 317), squid 5.0.6-r0 (line 2278), glib 2.66.6-r0 (line 898).
    expect(ids('busybox', '1.33.1-r7')).toEqual([
      { id: 'ALPINE-13661', kind: 'alpine' },
      { id: 'CVE-2022-28391', kind: 'cve' },
    ]);
    expect(ids('squid', '5.0.6-r0')?.at(-1)).toEqual({ id: 'GHSA-572g-rvwr-6c7f', kind: 'ghsa' });
    expect(ids('glib', '2.66.6-r0')).toEqual([{ id: 'CVE-2021-27219', kind: 'cve', note: 'GHSL-2021-045' }]);
  });

  it('keeps version keys in file order (bind v3.14: 9.16.37-r0 before 9.16.4-r0, README)', () => {
    const keys = [...versionsOf(load('v3.14', 'main'), 'bind').keys()];
    expect(keys.indexOf('9.16.37-r0')).toBeLessThan(keys.indexOf('9.16.4-r0'));
    expect(keys.indexOf('9.16.37-r0')).toBeGreaterThan(-1);
  });
});

describe('parseSecdb quirks', () => {
  it('reads null or missing secfixes and null id lists as empty', () => {
    const document = parseSecdb(
      minimal([{ pkg: { name: 'a', secfixes: null } }, { pkg: { name: 'b' } }, { pkg: { name: 'c', secfixes: { '1.0-r0': null } } }]),
      'q.json',
    );
    expect(document.packages).toEqual([
      { name: 'a', secfixes: [] },
      { name: 'b', secfixes: [] },
      { name: 'c', secfixes: [{ version: '1.0-r0', ids: [] }] },
    ]);
  });

  it('keeps unusual version keys and lists them as warnings with their JSON path', () => {
    // Key shapes from prior-art 9.1: no -rN (7.53.0), extra dash (4.10-1-r1).
    const document = parseSecdb(minimal([{ pkg: { name: 'curl', secfixes: { '7.53.0': ['CVE-2017-2629'], '4.10-1-r1': [] } } }]), 'q.json');
    expect(document.packages[0]?.secfixes.map((entry) => entry.version)).toEqual(['7.53.0', '4.10-1-r1']);
    expect(document.warnings.map((warning) => warning.place)).toEqual([
      '$.packages[0].pkg.secfixes["7.53.0"]',
      '$.packages[0].pkg.secfixes["4.10-1-r1"]',
    ]);
  });

  it('keeps duplicate packages and edge as a branch; warns about an odd distroversion', () => {
    const twice = parseSecdb(
      JSON.stringify({ distroversion: 'edge', reponame: 'community', packages: [{ pkg: { name: 'x' } }, { pkg: { name: 'x' } }] }),
      'q.json',
    );
    expect(twice.branch).toBe('edge');
    expect(twice.packages.map((pkg) => pkg.name)).toEqual(['x', 'x']);
    expect(twice.warnings).toEqual([]);
    expect(twice.archs).toEqual([]);
    expect(twice.urlprefix).toBeUndefined();
    const odd = parseSecdb(JSON.stringify({ distroversion: '3.16', reponame: 'main', packages: [] }), 'q.json');
    expect(odd.branch).toBe('3.16');
    expect(odd.warnings[0]?.place).toBe('$.distroversion');
  });

  it('does not let keys named like Object.prototype members leak in', () => {
    const document = parseSecdb(minimal([{ pkg: { name: 'p', secfixes: { constructor: ['CVE-2020-0001'] } } }]), 'q.json');
    expect(document.packages[0]?.secfixes[0]).toEqual({ version: 'constructor', ids: [{ id: 'CVE-2020-0001', kind: 'cve' }] });
  });
});

describe('parseSecdb bad input', () => {
  it('reports malformed JSON with line and column', () => {
    const { text } = sample('v3.14', 'main');
    // Drop the comma ending line 12 ("reponame": "main",): the parser stops at line 13's opening quote, after one tab.
    const broken = text.replace('"reponame": "main",', '"reponame": "main"');
    const error = inputErrorFrom(() => parseSecdb(broken, 'main.json'));
    expect(error.place).toBe('line 13, column 2');
    expect(error.problem).toMatch(/expected ',' or '}'/);
    // Cut right after line 15's `\t"packages": [` (14 characters): the input ends at column 15.
    const cut = text.indexOf('"packages": [') + '"packages": ['.length;
    const truncated = inputErrorFrom(() => parseSecdb(text.slice(0, cut), 'main.json'));
    expect(truncated.place).toBe('line 15, column 15');
    expect(truncated.problem).toMatch(/unexpected end of input/);
  });

  it.each([
    ['[]', '$', /expected a secdb object/],
    ['"text"', '$', /expected a secdb object/],
    [JSON.stringify({ distroversion: 'v3.16', reponame: 'main' }), '$', /missing "packages"/],
    [minimal({}), '$.packages', /expected an array/],
    [JSON.stringify({ reponame: 'main', packages: [] }), '$.distroversion', /missing "distroversion"/],
    [JSON.stringify({ distroversion: 'v3.16', packages: [] }), '$.reponame', /missing "reponame"/],
    [JSON.stringify({ distroversion: '', reponame: 'main', packages: [] }), '$.distroversion', /non-empty string/],
    [minimal([], { archs: 'x86_64' }), '$.archs', /array of strings/],
    [minimal([], { archs: ['x86', 7] }), '$.archs[1]', /expected a string/],
    [minimal([], { urlprefix: 1 }), '$.urlprefix', /expected a string/],
    [minimal([null]), '$.packages[0]', /package object/],
    [minimal([{}]), '$.packages[0].pkg', /missing "pkg"/],
    [minimal([{ pkg: {} }]), '$.packages[0].pkg.name', /missing package name/],
    [minimal([{ pkg: { name: '' } }]), '$.packages[0].pkg.name', /non-empty string/],
    [minimal([{ pkg: { name: 'a', secfixes: [] } }]), '$.packages[0].pkg.secfixes', /mapping versions/],
    [minimal([{ pkg: { name: 'a', secfixes: { '1.2-r0': 'CVE-2020-1' } } }]), '$.packages[0].pkg.secfixes["1.2-r0"]', /list of ids/],
    [minimal([{ pkg: { name: 'a', secfixes: { '1.2-r0': ['CVE-2020-1', 7] } } }]), '$.packages[0].pkg.secfixes["1.2-r0"][1]', /id string/],
    [minimal([{ pkg: { name: 'a', secfixes: { '1.2-r0': ['CVE-2020-1', null] } } }]), '$.packages[0].pkg.secfixes["1.2-r0"][1]', /found null/],
    [minimal([{ pkg: { name: 'a', secfixes: { '1.2-r0': [' '] } } }]), '$.packages[0].pkg.secfixes["1.2-r0"][0]', /empty secfixes entry/],
  ])('rejects %s at %s', (text, place, problem) => {
    const error = inputErrorFrom(() => parseSecdb(text, 'bad.json'));
    expect(error.source).toBe('bad.json');
    expect(error.place).toBe(place);
    expect(error.problem).toMatch(problem);
  });

  it('rejects bytes that are not UTF-8 with their offset', () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    expect(inputErrorFrom(() => parseSecdb(bytes, 'bad.json')).place).toBe('byte 6');
  });

  it('reads huge lines and refuses a million open brackets', () => {
    // No clock: a parser quadratic in a line's length or recursive in the nesting would need
    // 10^12 steps or overflow the stack here. `npm run bench -- hostile` times it.
    const longId = `CVE-2020-1234 ${'x'.repeat(2_000_000)}`;
    const document = parseSecdb(minimal([{ pkg: { name: 'a', secfixes: { '1.0-r0': [longId] } } }]), 'big.json');
    expect(document.packages[0]?.secfixes[0]?.ids[0]?.note).toHaveLength(2_000_000);
    expect(inputErrorFrom(() => parseSecdb('['.repeat(1_000_000), 'deep.json')).problem).toMatch(/unexpected end of input/);
    expect(inputErrorFrom(() => parseSecdb(`{"a":"${' '.repeat(2_000_000)}`, 'open.json')).problem).toMatch(/unterminated string/);
    expect(inputErrorFrom(() => parseSecdb(`${' '.repeat(2_000_000)}x`, 'junk.json')).place).toBe('line 1, column 2000001');
  });
});

describe('parseSecdb robustness', () => {
  const { text: realText } = sample('v3.16', 'community');

  it('parses or throws InputError for mutated real documents', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 4 }),
        (edits) => {
          let mutated = realText;
          for (const [at, removed, inserted] of edits) {
            const position = at % (mutated.length + 1);
            mutated = mutated.slice(0, position) + inserted + mutated.slice(position + removed);
          }
          expectParsedOrInputError(() => parseSecdb(mutated, 'mutated.json'));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('parses or throws InputError for random JSON shapes', () => {
    const id = fc.oneof(fc.constantFrom('CVE-2020-0001', 'ALPINE-1', ' ', ''), fc.string(), fc.integer(), fc.constant(null));
    const secfixes = fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.array(id, { maxLength: 3 }), fc.constant(null), fc.string())), fc.jsonValue());
    const pkg = fc.oneof(fc.record({ pkg: fc.record({ name: fc.oneof(fc.string(), fc.integer()), secfixes }, { requiredKeys: [] }) }), fc.jsonValue());
    const document = fc.record(
      {
        distroversion: fc.oneof(fc.constantFrom('v3.16', 'edge'), fc.jsonValue()),
        reponame: fc.oneof(fc.constant('main'), fc.jsonValue()),
        archs: fc.oneof(fc.array(fc.string(), { maxLength: 2 }), fc.jsonValue()),
        packages: fc.oneof(fc.array(pkg, { maxLength: 3 }), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(document, (value) => {
        expectParsedOrInputError(() => parseSecdb(JSON.stringify(value), 'random.json'));
      }),
      { numRuns: 300 },
    );
  });
});

