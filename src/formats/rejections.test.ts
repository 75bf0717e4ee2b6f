import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRejections, parseRejections } from './rejections.js';
import { expectParsedOrInputError, inputErrorFrom } from '../test-support/input-errors.js';

// The shape of security-rejections main.yaml as shown in prior-art-secfixes-tracker.md section 9.3,
// with a licence header separated by a blank line (not a rationale) and per-id comments.
const MAIN_YAML = `# Alpine security rejections for main
# SPDX-License-Identifier: CC-BY-SA-4.0

# CVE is for the unrelated "dnsmasq" web admin plugin, not the daemon
dnsmasq:
  - CVE-2021-45951
  - CVE-2021-45952
  - CVE-2021-45953
nginx:
  # only affects the Windows build
  - CVE-2020-12345
  - CVE-2020-12346 # njs module, not shipped
  - GHSA-572g-rvwr-6c7f

# a note separated from the key by a blank line is not its rationale

openssl: [CVE-2022-1292, 'CVE-2022-2068 (c_rehash script)']
zlib:
`;

describe('parseRejections', () => {
  it('lists one record per id in file order, with rationale comments', () => {
    const dnsmasq = 'CVE is for the unrelated "dnsmasq" web admin plugin, not the daemon';
    expect(parseRejections(Buffer.from(MAIN_YAML, 'utf8'), 'main.yaml')).toEqual([
      { package: 'dnsmasq', id: 'CVE-2021-45951', kind: 'cve', rationale: dnsmasq },
      { package: 'dnsmasq', id: 'CVE-2021-45952', kind: 'cve', rationale: dnsmasq },
      { package: 'dnsmasq', id: 'CVE-2021-45953', kind: 'cve', rationale: dnsmasq },
      { package: 'nginx', id: 'CVE-2020-12345', kind: 'cve', rationale: 'only affects the Windows build' },
      { package: 'nginx', id: 'CVE-2020-12346', kind: 'cve', rationale: 'njs module, not shipped' },
      { package: 'nginx', id: 'GHSA-572g-rvwr-6c7f', kind: 'ghsa' },
      { package: 'openssl', id: 'CVE-2022-1292', kind: 'cve' },
      { package: 'openssl', id: 'CVE-2022-2068', kind: 'cve', note: '(c_rehash script)' },
    ]);
  });

  it('reads a comment on the key line as the package rationale', () => {
    const records = parseRejections('foo: # not shipped\n  - CVE-2020-0001\n  - CVE-2020-0002\n', 's');
    expect(records.map((record) => record.rationale)).toEqual(['not shipped', 'not shipped']);
  });

  it('joins a package rationale with an id rationale, and keeps multi-line comments', () => {
    const records = parseRejections('# shipped without the plugin\n# see #1234\nfoo:\n  # and this one was fixed upstream\n  - CVE-2020-0001\n', 's');
    expect(records[0]?.rationale).toBe('shipped without the plugin\nsee #1234\nand this one was fixed upstream');
  });

  it('keeps package names that YAML would read as numbers or booleans as written', () => {
    expect(parseRejections('0ad:\n  - CVE-2020-0001\n1.10: [CVE-2020-0002]\ntrue: [CVE-2020-0003]\n', 's').map((r) => r.package)).toEqual([
      '0ad',
      '1.10',
      'true',
    ]);
  });

  it('reads an empty file, a comment-only file and null lists as no rejections', () => {
    expect(parseRejections('', 's')).toEqual([]);
    expect(parseRejections('# nothing rejected yet\n', 's')).toEqual([]);
    expect(parseRejections('foo:\nbar: ~\nbaz: []\n', 's')).toEqual([]);
  });

  it.each([
    ['- CVE-2020-0001\n', 'line 1', /expected a mapping/],
    ['just text\n', 'line 1', /expected a mapping/],
    ['foo:\n  - CVE-2020-0001\nbar: CVE-2020-0002\n', 'line 3', /list of ids for "bar", found a string/],
    ['foo:\n  bar: [CVE-2020-0001]\n', 'line 2', /found a mapping/],
    ['foo:\n  - CVE-2020-0001\n  - 2020\n', 'line 3', /id string/],
    ['foo:\n  - [CVE-2020-0001]\n', 'line 2', /id string/],
    ['foo:\n  -\n', 'line 2', /id string/],
    ['foo:\n  - ""\n', 'line 2', /empty secfixes entry/],
    ['foo:\n  - CVE-2020-0001\nfoo:\n  - CVE-2020-0002\n', 'line 3', /duplicate package key "foo" \(first at line 1\)/],
    ['1.10: [CVE-2020-0001]\n1.1: [CVE-2020-0002]\n"1.10": []\n', 'line 3', /duplicate package key "1.10"/],
    ['foo:\n  - [CVE-2020-0001\nbar: 1\n', 'line 3', /malformed YAML/],
    ['a: 1\n---\nb: 2\n', 'line 2', /malformed YAML/],
    ['[a]: [CVE-2020-0001]\n', 'line 1', /package name/],
    ['"": [CVE-2020-0001]\n', 'line 1', /empty package name/],
    ['base: &ids [CVE-2020-0001]\nother: *ids\n', 'line 2', /found an alias/],
  ])('rejects %j at %s', (text, place, problem) => {
    const error = inputErrorFrom(() => parseRejections(text, 'main.yaml'));
    expect(error.source).toBe('main.yaml');
    expect(error.place).toBe(place);
    expect(error.problem).toMatch(problem);
  });

  it('rejects bytes that are not UTF-8 with their offset', () => {
    expect(inputErrorFrom(() => parseRejections(Buffer.from([0x66, 0x6f, 0x6f, 0x3a, 0x80]), 's')).place).toBe('byte 4');
  });

  it('reads absurdly long lines and many entries, and refuses deep nesting', () => {
    // No clock: a parser quadratic in a line's length would need 10^12 steps here, and deep
    // nesting would overflow a recursive one. `npm run bench -- hostile` times it.
    const longNote = parseRejections(`foo:\n  - CVE-2020-0001 ${'x'.repeat(1_000_000)}\n`, 's');
    expect(longNote[0]?.note).toHaveLength(1_000_000);
    const many = Array.from({ length: 5_000 }, (_, index) => `p${index}:\n  # why ${index}\n  - CVE-2020-${String(index).padStart(4, '0')}\n`).join('');
    const records = parseRejections(many, 's');
    expect(records).toHaveLength(5_000);
    expect(records[4_999]).toEqual({ package: 'p4999', id: 'CVE-2020-4999', kind: 'cve', rationale: 'why 4999' });
    expect(inputErrorFrom(() => parseRejections(`foo: [${'['.repeat(10_000)}`, 's')).place).toMatch(/^line \d+$/);
  });

  it('parses or throws InputError for random and mutated YAML', () => {
    const piece = fc.constantFrom('foo', 'bar', ':', ': ', '- ', '-', '  ', '\n', '# c\n', '[', ']', ',', '{', '}', '"', "'", '&a ', '*a', '!!str ', '---\n', 'CVE-2020-0001', '~', '0', '\t', '? ');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        expectParsedOrInputError(() => parseRejections(pieces.join(''), 'random.yaml'));
      }),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 4 }), (edits) => {
        let mutated = MAIN_YAML;
        for (const [at, removed, inserted] of edits) {
          const position = at % (mutated.length + 1);
          mutated = mutated.slice(0, position) + inserted + mutated.slice(position + removed);
        }
        expectParsedOrInputError(() => parseRejections(mutated, 'mutated.yaml'));
      }),
      { numRuns: 300 },
    );
  });
});


describe('formatRejections', () => {
  it('writes ids under their packages with their comments above, which parseRejections reads back', () => {
    const lines = [
      { package: 'openssl', id: 'CVE-2019-0190', comment: 'justification: component-not-present\nmod_ssl is part of httpd\n\n' },
      { package: 'openssl', id: 'CVE-2019-1563', comment: null },
      { package: '0ad', id: 'CVE-2020-1234', comment: '# a note that starts with a hash' },
    ];
    const text = formatRejections(lines);
    expect(text).toBe(
      '"openssl":\n  # justification: component-not-present\n  # mod_ssl is part of httpd\n  - "CVE-2019-0190"\n  - "CVE-2019-1563"\n' +
        '"0ad":\n  # # a note that starts with a hash\n  - "CVE-2020-1234"\n',
    );
    expect(parseRejections(text, 'exported.yaml')).toEqual([
      { package: 'openssl', id: 'CVE-2019-0190', kind: 'cve', rationale: 'justification: component-not-present\nmod_ssl is part of httpd' },
      { package: 'openssl', id: 'CVE-2019-1563', kind: 'cve' },
      { package: '0ad', id: 'CVE-2020-1234', kind: 'cve', rationale: '# a note that starts with a hash' },
    ]);
  });
});
