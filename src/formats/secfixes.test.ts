import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import { parseSecdb } from './secdb.js';
import type { SecfixVersion } from './secfix-id.js';
import { type ApkbuildSecfixes, parseAportsApkbuild, parseApkbuild } from './secfixes.js';
import { expectParsedOrInputError, inputErrorFrom } from '../test-support/input-errors.js';

// Modeled on aports main/busybox/APKBUILD: contributor header with non-ASCII names, the block
// after the sources, a blank line before build(). Keys and ids are busybox's in the v3.14 sample secdb.
const BUSYBOX = `# Contributor: Łukasz Jendrysik <scadu@yandex.com>
# Maintainer: Sören Tempel <soeren+alpine@soeren-tempel.net>
pkgname=busybox
pkgver=1.33.1
pkgrel=7
pkgdesc="Size optimized toolbox of many common UNIX utilities"
url="https://busybox.net/"
arch="all"
license="GPL-2.0-only"

# secfixes:
#   1.33.1-r7:
#     - ALPINE-13661
#     - CVE-2022-28391
#   1.33.1-r6:
#     - CVE-2021-42378
#     - CVE-2021-42379
#   0:
#     - CVE-2021-42373
#     - CVE-2021-42376
#     - CVE-2021-42377

build() {
	make -C "$builddir"
}
`;

// The real main/openssl/APKBUILD block quoted in prior-art-secfixes-tracker.md section 9.2.
const OPENSSL_BLOCK = `# secfixes:
#   3.0.5-r0:
#     - CVE-2022-2097
#   3.0.3-r0:
#     - CVE-2022-1343
#     - CVE-2022-1434
#   1.1.1a-r0:
#     - CVE-2018-0734
#     - CVE-2018-0735
#   0:
#     - CVE-2022-1292
#     - CVE-2022-2068
`;

const apkbuild = (body: string): string => `pkgname=demo\npkgver=2.0\npkgrel=1\n\n${body}\nbuild() {\n\t:\n}\n`;

function plain(parsed: ApkbuildSecfixes): Record<string, string[]> {
  return Object.fromEntries(parsed.secfixes.map((entry) => [entry.version, entry.ids.map((id) => id.id)]));
}

function keys(parsed: ApkbuildSecfixes): string[] {
  return parsed.secfixes.map((entry) => entry.version);
}

describe('parseApkbuild', () => {
  it('reads the package variables and a busybox-like block', () => {
    const parsed = parseApkbuild(Buffer.from(BUSYBOX, 'utf8'), 'main/busybox/APKBUILD');
    expect(parsed).toMatchObject({ pkgname: 'busybox', pkgver: '1.33.1', pkgrel: '7', warnings: [] });
    expect(parsed.secfixes).toEqual([
      {
        version: '1.33.1-r7',
        ids: [
          { id: 'ALPINE-13661', kind: 'alpine' },
          { id: 'CVE-2022-28391', kind: 'cve' },
        ],
      },
      {
        version: '1.33.1-r6',
        ids: [
          { id: 'CVE-2021-42378', kind: 'cve' },
          { id: 'CVE-2021-42379', kind: 'cve' },
        ],
      },
      {
        version: '0',
        ids: [
          { id: 'CVE-2021-42373', kind: 'cve' },
          { id: 'CVE-2021-42376', kind: 'cve' },
          { id: 'CVE-2021-42377', kind: 'cve' },
        ],
      },
    ]);
  });

  it('reads the real openssl block of prior-art 9.2', () => {
    expect(plain(parseApkbuild(apkbuild(OPENSSL_BLOCK), 'openssl'))).toEqual({
      '3.0.5-r0': ['CVE-2022-2097'],
      '3.0.3-r0': ['CVE-2022-1343', 'CVE-2022-1434'],
      '1.1.1a-r0': ['CVE-2018-0734', 'CVE-2018-0735'],
      '0': ['CVE-2022-1292', 'CVE-2022-2068'],
    });
  });

  it('agrees with the secdb for every v3.14 main package written as an APKBUILD block', () => {
    // The secdb is generated from these blocks, so rendering each package back in the conventional
    // layout (3 spaces before keys, 5 before items) must give the same versions and entries.
    const path = repoPath('data', 'alpine-sample', 'secdb', 'v3.14', 'main.json');
    const secdb = parseSecdb(readFileSync(path), path);
    for (const pkg of secdb.packages) {
      const block = pkg.secfixes
        .map((entry) => `#   ${entry.version}:\n${entry.ids.map((id) => `#     - ${[id.id, id.note].filter(Boolean).join(' ')}\n`).join('')}`)
        .join('');
      const parsed = parseApkbuild(`pkgname=${pkg.name}\n# secfixes:\n${block}\n`, pkg.name);
      expect(parsed.pkgname).toBe(pkg.name);
      expect(parsed.secfixes).toEqual(pkg.secfixes);
    }
  });

  it('keeps keys as written: 1.10-r0 is not the number 1.1, 2.0-r0 keeps its zero', () => {
    const parsed = parseApkbuild(apkbuild('# secfixes:\n#   1.10-r0:\n#     - CVE-2020-0001\n#   2.0-r0:\n#     - CVE-2020-0002\n'), 's');
    expect(keys(parsed)).toEqual(['1.10-r0', '2.0-r0']);
  });

  it('keeps trailing text and aliases as the note; cuts YAML comments; unquotes quoted text', () => {
    const parsed = parseApkbuild(
      apkbuild(
        [
          '# secfixes:',
          '#   1.2-r0:',
          '#     - CVE-2017-2616 (+ regression fix)',
          '#     - CVE-2022-42332 XSA-427',
          '#     - CVE-2021-0001 # added late',
          '#     - "CVE-2021-0002 (quoted \\"note\\")"',
          "#     - 'CVE-2021-0003 (it''s fixed)'",
          '#   "1.1-r0":',
          '#     - CVE-2021-0004',
          '',
        ].join('\n'),
      ),
      's',
    );
    expect(parsed.secfixes[0]?.ids).toEqual([
      { id: 'CVE-2017-2616', kind: 'cve', note: '(+ regression fix)' },
      { id: 'CVE-2022-42332', kind: 'cve', note: 'XSA-427' },
      { id: 'CVE-2021-0001', kind: 'cve' },
      { id: 'CVE-2021-0002', kind: 'cve', note: '(quoted "note")' },
      { id: 'CVE-2021-0003', kind: 'cve', note: "(it's fixed)" },
    ]);
    expect(keys(parsed)).toEqual(['1.2-r0', '1.1-r0']);
  });

  it('ends the block at a comment that is not indented deeper, or at a non-comment line', () => {
    const parsed = parseApkbuild(
      `${OPENSSL_BLOCK}# Maintainer: Ariadne Conill <ariadne@dereferenced.org>\n#   9.9-r0:\n#     - CVE-2099-0001\n`,
      'openssl',
    );
    expect(keys(parsed)).toEqual(['3.0.5-r0', '3.0.3-r0', '1.1.1a-r0', '0']);
    const shell = parseApkbuild('# secfixes:\n#   1.0-r0:\n#     - CVE-2020-0001\nsource="x"\n#   2.0-r0:\n', 's');
    expect(keys(shell)).toEqual(['1.0-r0']);
  });

  it('skips bare # lines and #   # comments inside the block', () => {
    const parsed = parseApkbuild(
      apkbuild('# secfixes:\n#   1.2-r0:\n#     - CVE-2020-0001\n#\n#   # older fixes\n#   1.1-r0:\n#     - CVE-2019-0001\n#\n'),
      's',
    );
    expect(plain(parsed)).toEqual({ '1.2-r0': ['CVE-2020-0001'], '1.1-r0': ['CVE-2019-0001'] });
  });

  it('accepts items at the key column (as in binutils, bzip2, gd) and an empty key', () => {
    const parsed = parseApkbuild(apkbuild('# secfixes:\n#   2.35-r0:\n#   - CVE-2020-0001\n#   - CVE-2020-0002\n#   2.34-r0:\n'), 's');
    expect(plain(parsed)).toEqual({ '2.35-r0': ['CVE-2020-0001', 'CVE-2020-0002'], '2.34-r0': [] });
  });

  it('folds a deeper continuation line into the entry, as YAML does', () => {
    const parsed = parseApkbuild(apkbuild('# secfixes:\n#   1.2-r0:\n#     - CVE-2018-10103 (SMB - partially fixed,\n#       but SMB printing disabled)\n'), 's');
    expect(parsed.secfixes[0]?.ids).toEqual([{ id: 'CVE-2018-10103', kind: 'cve', note: '(SMB - partially fixed, but SMB printing disabled)' }]);
  });

  it('reads CRLF files like LF files', () => {
    const lf = parseApkbuild(BUSYBOX, 'lf');
    const crlf = parseApkbuild(BUSYBOX.replaceAll('\n', '\r\n'), 'crlf');
    expect(crlf).toEqual(lf);
  });

  it('reads tab indentation and warns about it', () => {
    const parsed = parseApkbuild(apkbuild('# secfixes:\n#\t1.2-r0:\n#\t\t- CVE-2020-0001\n#\t1.1-r0:\n#\t  - CVE-2019-0001\n'), 's');
    expect(plain(parsed)).toEqual({ '1.2-r0': ['CVE-2020-0001'], '1.1-r0': ['CVE-2019-0001'] });
    expect(parsed.warnings).toEqual([{ place: 'line 6', problem: expect.stringMatching(/tab/) as unknown }]);
  });

  it('keeps unusual and duplicate keys, with warnings naming the line', () => {
    const parsed = parseApkbuild(apkbuild('# secfixes:\n#   7.53.0:\n#     - CVE-2017-2629\n#   1.0-r0:\n#   1.0-r0:\n#     - CVE-2017-0001\n'), 's');
    expect(keys(parsed)).toEqual(['7.53.0', '1.0-r0', '1.0-r0']);
    // apkbuild() puts four lines before the block, so the header is line 5.
    expect(parsed.warnings.map((warning) => warning.place)).toEqual(['line 6', 'line 9']);
  });

  it('reads variables quoted, with comments, and only at top level; absent ones are undefined', () => {
    const parsed = parseApkbuild('pkgname="py3-foo"\npkgver=\'1.2\' # upstream\n_sub() {\n\tpkgname="$pkgname-doc"\n}\n', 's');
    expect(parsed).toEqual({ pkgname: 'py3-foo', pkgver: '1.2', pkgrel: undefined, secfixes: [], warnings: [] });
    expect(parseApkbuild('pkgrel=3 # bump\n# secfixes:\n', 's')).toMatchObject({ pkgrel: '3', secfixes: [] });
  });

  it.each([
    ['#   - CVE-2020-0001', 6, /before any version key/],
    ['#   1.2-r0: CVE-2020-0001', 6, /following lines/],
    ['#   1.2-r0:\n#     - CVE-2020-0001\n#     1.1-r0:', 8, /indented differently/],
    ['#     1.2-r0:\n#   1.1-r0:', 7, /indented differently/],
    ['#     1.2-r0:\n#   - CVE-2020-0001', 7, /indented less/],
    ['#   1.2-r0:\n#     - "CVE-2020-0001', 7, /unterminated/],
    ['#   1.2-r0:\n#     - "CVE-2020-0001\\n"', 7, /unsupported escape/],
    ['#   1.2-r0:\n#     - "CVE-2020-0001" extra', 7, /after a quoted entry/],
    ['#   1.2-r0:\n#     -', 7, /empty secfixes entry/],
    ['#   just words', 6, /expected a version key/],
    ['#   "1.2-r0" x:', 6, /expected ':'/],
    ['#   :', 6, /empty version key/],
  ])('rejects %j at line %i', (block, line, problem) => {
    const error = inputErrorFrom(() => parseApkbuild(apkbuild(`# secfixes:\n${block}\n`), 'main/x/APKBUILD'));
    expect(error.source).toBe('main/x/APKBUILD');
    expect(error.place).toBe(`line ${line}`);
    expect(error.problem).toMatch(problem);
  });

  it('reads absurdly long lines and a 100,000-line block', () => {
    // No clock: at these sizes a parser that is quadratic in a line's length or in the line count
    // (backtracking, rescanning) needs 10^11 steps or more and never ends within the test's
    // timeout, where the linear parse takes about a second. `npm run bench -- hostile` times it.
    const huge = 'x'.repeat(2_000_000);
    const note = parseApkbuild(`# secfixes:\n#   1.2-r0:\n#     - CVE-2020-0001 ${huge}\n`, 's');
    expect(note.secfixes[0]?.ids[0]?.note).toHaveLength(2_000_000);
    expect(inputErrorFrom(() => parseApkbuild(`# secfixes:\n#   ${huge}\n`, 's')).place).toBe('line 2');
    expect(parseApkbuild(`# secfixes:${' '.repeat(2_000_000)}x\npkgname=${huge}\n`, 's').secfixes).toEqual([]);
    expect(inputErrorFrom(() => parseApkbuild(`# secfixes:\n#   1.2-r0:\n#     - '${"''".repeat(1_000_000)}\n`, 's')).problem).toMatch(/unterminated/);
    expect(parseApkbuild(`# secfixes:\n${'#   1.2-r0:\n#     - CVE-2020-0001\n'.repeat(100_000)}`, 's').warnings).toHaveLength(99_999);
  });
});

describe('parseAportsApkbuild', () => {
  it('takes repo and package from the path', () => {
    const record = parseAportsApkbuild({ path: 'main/busybox/APKBUILD', text: BUSYBOX });
    expect(record).toMatchObject({ path: 'main/busybox/APKBUILD', repo: 'main', package: 'busybox', pkgname: 'busybox' });
    expect(record.secfixes).toHaveLength(3);
  });

  it.each(['busybox/APKBUILD', 'main/busybox/APKBUILD.orig', 'main//APKBUILD', 'a/main/busybox/APKBUILD', '/busybox/APKBUILD'])(
    'rejects the path %s',
    (path) => {
      expect(inputErrorFrom(() => parseAportsApkbuild({ path, text: '' }))).toMatchObject({ source: path, place: undefined });
    },
  );

  it('names the file in errors from its block', () => {
    const error = inputErrorFrom(() => parseAportsApkbuild({ path: 'community/x/APKBUILD', text: '# secfixes:\n#   - CVE-2020-0001\n' }));
    expect(error).toMatchObject({ source: 'community/x/APKBUILD', place: 'line 2' });
  });
});

describe('parseApkbuild properties', () => {
  const versionKey = fc.oneof(
    fc.constant('0'),
    fc.tuple(fc.array(fc.nat({ max: 40 }), { minLength: 1, maxLength: 4 }), fc.nat({ max: 30 })).map(([parts, rel]) => `${parts.join('.')}-r${rel}`),
  );
  const entryId = fc.oneof(
    fc.nat({ max: 99_999 }).map((n) => `CVE-2021-${String(n).padStart(4, '0')}`),
    fc.nat({ max: 99_999 }).map((n) => `ALPINE-${n}`),
  );
  const note = fc.option(fc.constantFrom('(+ regression fix)', 'XSA-427', '(SMB: partially fixed)'), { nil: undefined });
  const secfixes = fc.array(fc.record({ version: versionKey, ids: fc.array(fc.tuple(entryId, note), { maxLength: 4 }) }), { maxLength: 6 });

  it('reads back any well-formed block it is given', () => {
    fc.assert(
      fc.property(secfixes, fc.constantFrom('\n', '\r\n'), fc.constantFrom('  ', '   ', '    '), (versions, newline, step) => {
        const lines = ['# secfixes:'];
        for (const { version, ids } of versions) {
          lines.push(`#${step}${version}:`);
          for (const [id, text] of ids) lines.push(`#${step}${step}- ${id}${text === undefined ? '' : ` ${text}`}`);
        }
        const parsed = parseApkbuild(`pkgname=p\n${lines.join(newline)}${newline}${newline}build() {${newline}}`, 's');
        const expected: SecfixVersion[] = versions.map(({ version, ids }) => ({
          version,
          ids: ids.map(([id, text]) => ({ id, kind: id.startsWith('CVE-') ? 'cve' : 'alpine', ...(text === undefined ? {} : { note: text }) })),
        }));
        expect(parsed.secfixes).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('parses or throws InputError for random comment blocks and mutated samples', () => {
    const piece = fc.constantFrom('#', ' ', '  ', '\t', '-', '- ', ':', ': ', '"', "'", '\\', '0', '1.2-r0', 'CVE-2020-0001', ' #', '\r', '\n', '\n#', 'x');
    const line = fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join(''));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        expectParsedOrInputError(() => parseApkbuild(`# secfixes:\n${lines.join('\n')}`, 'random'));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 4 }), (edits) => {
        let mutated = BUSYBOX;
        for (const [at, removed, inserted] of edits) {
          const position = at % (mutated.length + 1);
          mutated = mutated.slice(0, position) + inserted + mutated.slice(position + removed);
        }
        expectParsedOrInputError(() => parseApkbuild(mutated, 'mutated'));
      }),
      { numRuns: 300 },
    );
  });
});

