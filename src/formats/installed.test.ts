import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import { InputError } from '../base/input-error.js';
import {
  parseAlpineRelease,
  parseApkArch,
  parseApkRepositories,
  parseInstalledDb,
  streamInstalledDb,
  writeInstalledDb,
} from './installed.js';
import type { InstalledPackage } from './installed.js';

/*
 * Expected values: package counts and versions from data/alpine-sample/README.md and
 * fixtures/apk-tools/README.md; per-letter counts are counted in the raw text with a regex;
 * the alpine-baselayout example is the one quoted in reference/formats.md §2.3; repository
 * vectors are apk-tools `test/unit/repoparser_test.c` (master).
 */

function installedText(name: string): string {
  return readFileSync(repoPath('data', 'alpine-sample', 'apkindex', 'installed', name), 'utf8');
}

const queryInstalled = readFileSync(repoPath('fixtures', 'apk-tools', 'master', 'query-installed.data'), 'utf8');

function countLines(text: string, letter: string): number {
  return text.match(new RegExp(`^${letter}:`, 'gm'))?.length ?? 0;
}

function expectInputError(action: () => unknown, place: string): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).place).toBe(place);
    return;
  }
  throw new Error('expected an InputError');
}

function chunked(text: string, size: number): AsyncIterable<Buffer> {
  const bytes = Buffer.from(text);
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  return Readable.from(pieces);
}

describe('parseInstalledDb', () => {
  it('reads the syft alpine 3.16 database (14 packages, x86_64)', () => {
    const packages = parseInstalledDb(installedText('syft-multiple-2.installed'), 'syft');
    expect(packages).toHaveLength(14);
    const version = (name: string) => packages.find((pkg) => pkg.name === name)?.version;
    expect([version('busybox'), version('libcrypto1.1'), version('zlib')]).toEqual(['1.35.0-r17', '1.1.1q-r0', '1.2.12-r3']);
    expect(new Set(packages.map((pkg) => pkg.arch))).toEqual(new Set(['x86_64']));
    expect(packages.find((pkg) => pkg.name === 'libcrypto1.1')?.origin).toBe('openssl');
  });

  it('attaches F:/R:/Z: lines of the go-apk database to their packages', () => {
    const text = installedText('go-apk-root.installed');
    const packages = parseInstalledDb(text, 'go-apk');
    expect(packages).toHaveLength(14);
    expect(new Set(packages.map((pkg) => pkg.arch))).toEqual(new Set(['aarch64']));
    const files = packages.flatMap((pkg) => pkg.files);
    expect(files).toHaveLength(countLines(text, 'R'));
    expect(files.filter((file) => file.digest !== undefined)).toHaveLength(countLines(text, 'Z'));
    expect(packages.flatMap((pkg) => pkg.directories)).toHaveLength(countLines(text, 'F'));
  });

  it('keeps the trivy package without V: with an undefined version', () => {
    const packages = parseInstalledDb(installedText('trivy-apk.installed'), 'trivy');
    expect(packages).toHaveLength(16);
    const unversioned = packages.filter((pkg) => pkg.version === undefined);
    expect(unversioned.map((pkg) => [pkg.name, pkg.origin])).toEqual([
      ['invalidPackageWithoutAVersion', 'invalidPackageWithoutAVersion'],
    ]);
    expect(packages.find((pkg) => pkg.name === 'ada-libs')).toMatchObject({
      version: '2.7.4-r0',
      origin: 'ada',
      license: '( Apache-2.0 OR MIT ) AND MPL-2.0',
    });
    expect(packages.find((pkg) => pkg.name === 'musl-utils')?.replaces.map((dep) => dep.name)).toEqual(['libiconv', 'uclibc-utils']);
  });

  it('reads every field letter of the apk-tools query-installed database (39 packages)', () => {
    const packages = parseInstalledDb(queryInstalled, 'query-installed.data');
    expect(packages).toHaveLength(39);
    const all = <T>(pick: (pkg: InstalledPackage) => T[]) => packages.flatMap(pick);
    expect(all((pkg) => pkg.files)).toHaveLength(countLines(queryInstalled, 'R'));
    expect(all((pkg) => pkg.files).filter((file) => file.acl !== undefined)).toHaveLength(countLines(queryInstalled, 'a'));
    expect(all((pkg) => pkg.directories).filter((dir) => dir.acl !== undefined)).toHaveLength(countLines(queryInstalled, 'M'));
    expect(packages.filter((pkg) => pkg.replacesPriority !== undefined)).toHaveLength(countLines(queryInstalled, 'q'));
    expect(packages.filter((pkg) => pkg.installIf.length > 0)).toHaveLength(countLines(queryInstalled, 'i'));
    const baselayout = packages.find((pkg) => pkg.name === 'alpine-baselayout');
    expect(baselayout).toMatchObject({
      name: 'alpine-baselayout',
      version: '3.6.8-r1',
      checksum: 'Q17OteNVXn9/iSXcJI1Vf8x0TVc9Y=',
      buildTime: 1735974288,
      replacesPriority: 1000,
    });
    expect(baselayout?.depends.map((dep) => [dep.name, dep.op, dep.version])).toEqual([
      ['alpine-baselayout-data', '=', '3.6.8-r1'],
      ['/bin/sh', '', undefined],
    ]);
    expect(baselayout?.files.find((file) => file.path === 'etc/crontabs/root')).toEqual({
      path: 'etc/crontabs/root',
      acl: '0:0:600',
      digest: 'Q1vfk1apUWI4yLJGhhNRd0kJixfvY=',
    });
  });

  it('keeps tags, repository tag and flags (g:, s:, f:) and files of the root directory', () => {
    const [pkg] = parseInstalledDb('P:x\nV:1\ng:openrc docs\ns:edge\nf:S\nF:\nR:top\nF:etc\nM:0:0:700\nR:conf\n', 't');
    expect(pkg).toMatchObject({ tags: ['openrc', 'docs'], repositoryTag: 'edge', flags: 'S' });
    expect(pkg?.files.map((file) => file.path)).toEqual(['top', 'etc/conf']);
    expect(pkg?.directories).toEqual([{ path: '' }, { path: 'etc', acl: '0:0:700' }]);
  });

  it('streams the same packages as the string parser', async () => {
    const expected = parseInstalledDb(queryInstalled, 'q');
    const streamed: InstalledPackage[] = [];
    for await (const pkg of streamInstalledDb(chunked(queryInstalled, 4093), 'q')) streamed.push(pkg);
    expect(streamed).toEqual(expected);
  });

  it('rejects file lines without their directory or file, at that line', () => {
    expectInputError(() => parseInstalledDb('P:x\nR:orphan\n', 't'), 'line 2');
    expectInputError(() => parseInstalledDb('P:x\nF:etc\nZ:Q1abc\n', 't'), 'line 3');
    expectInputError(() => parseInstalledDb('P:x\nF:etc\nR:a\n\nP:y\nR:b\n', 't'), 'line 6');
    expectInputError(() => parseInstalledDb('P:x\nM:0:0:755\n', 't'), 'line 2');
    expectInputError(() => parseInstalledDb('P:x\nq:high\n', 't'), 'line 2');
  });

  it('either parses or throws InputError for mutated databases', () => {
    const lines = installedText('trivy-apk.installed').split('\n').slice(0, 80);
    fc.assert(
      fc.property(
        fc.array(fc.nat(lines.length - 1), { maxLength: 60 }),
        fc.array(fc.tuple(fc.nat(2000), fc.constantFrom(':', '\n', ' ', 'F', 'R', 'Z', 'a', 'M', 'q', '=', '!', '@', 'é', 'x')), { maxLength: 5 }),
        (picks, flips) => {
          const chars = picks.map((index) => lines[index]).join('\n').split('');
          for (const [at, char] of flips) if (chars.length > 0) chars[at % chars.length] = char;
          try {
            parseInstalledDb(chars.join(''), 't');
          } catch (error) {
            expect(error).toBeInstanceOf(InputError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('parseApkRepositories', () => {
  const summary = (text: string) =>
    parseApkRepositories(text).repositories.map((repo) => `${repo.url}:${repo.format}:${repo.tag ?? ''}`);

  it('matches the apk-tools repoparser_basic vectors', () => {
    const text = [
      '# test data',
      'http://example.com/edge/main',
      '@tag http://example.com/edge/testing',
      'ndx http://example.com/repo/Packages.adb',
      'v2 http://example.com/main',
      'v3 http://example.com/main',
      'v3 @tag http://example.com/testing',
    ].join('\n');
    expect(summary(text)).toEqual([
      'http://example.com/edge/main:v2:',
      'http://example.com/edge/testing:v2:tag',
      'http://example.com/repo/Packages.adb:ndx:',
      'http://example.com/main:v2:',
      'http://example.com/main:v3:',
      'http://example.com/testing:v3:tag',
    ]);
  });

  it('matches the apk-tools repoparser_components vectors, warning about an unknown keyword', () => {
    const parsed = parseApkRepositories(
      'http://example.com/ main community\nv3 @tag http://example.com main community\nfoo http://example.com/alpine/testing\n',
    );
    expect(parsed.repositories.map((repo) => `${repo.url}:${repo.format}:${repo.tag ?? ''}`)).toEqual([
      'http://example.com/main:v2:',
      'http://example.com/community:v2:',
      'http://example.com/main:v3:tag',
      'http://example.com/community:v3:tag',
    ]);
    expect(parsed.warnings).toEqual([{ line: 3, problem: 'unrecognized keyword: foo' }]);
  });

  it('matches the apk-tools repoparser_variables vectors', () => {
    const text = [
      'set -unknown mirror=alpine.org',
      'set -default mirror=alpine.org',
      'http://${mirror}/main',
      'set mirror=example.com',
      'http://${mirror}/main',
      'set -default mirror=alpine.org',
      'http://${mirror}/main',
      'http://${undefined}/main',
      'set mirror=${mirror}/alpine',
      'set comp=main community testing',
      'set var-foo=bad-name',
      'set APK_FOO=reserved',
      'http://${mirror}/ ${comp}',
      'set mirror=/alpine',
      '${mirror}/main',
      'v2 foobar main',
    ].join('\n');
    const parsed = parseApkRepositories(text);
    expect(parsed.repositories.map((repo) => repo.url)).toEqual([
      'http://alpine.org/main',
      'http://example.com/main',
      'http://example.com/main',
      'http://example.com/alpine/main',
      'http://example.com/alpine/community',
      'http://example.com/alpine/testing',
      '/alpine/main',
    ]);
    expect(parsed.warnings.map((warning) => warning.line)).toEqual([1, 8, 11, 12, 16]);
  });

  it('derives branch and repository name from the usual mirror layout', () => {
    const parsed = parseApkRepositories(
      'https://dl-cdn.alpinelinux.org/alpine/v3.16/main\n@edge https://dl-cdn.alpinelinux.org/alpine/edge/testing/\nv3 https://mirror.example/alpine/v3.22 main community\n/var/cache/local\n',
    );
    expect(parsed.repositories.map((repo) => [repo.branch, repo.repo, repo.tag])).toEqual([
      ['3.16', 'main', undefined],
      ['edge', 'testing', 'edge'],
      ['3.22', 'main', undefined],
      ['3.22', 'community', undefined],
      [undefined, undefined, undefined],
    ]);
    const latest = parseApkRepositories('https://example.com/alpine/latest-stable/main').repositories[0];
    expect([latest?.branch, latest?.repo]).toEqual([undefined, undefined]);
  });

  it('expands ${APK_ARCH} and stops a self-doubling variable from growing without bound', () => {
    expect(parseApkRepositories('ndx https://h/${APK_ARCH}/Packages.adb', { arch: 'x86_64' }).repositories[0]?.url).toBe(
      'https://h/x86_64/Packages.adb',
    );
    const doubling = ['set a=xxxxxxxx', ...Array.from({ length: 40 }, () => 'set a=${a}${a}'), 'http://h/${a}'].join('\n');
    const parsed = parseApkRepositories(doubling);
    expect(parsed.repositories[0]?.url.length).toBeLessThanOrEqual(4096 + 'http://h/'.length);
    expect(parsed.warnings.length).toBeGreaterThan(0);
  });
});

describe('arch and alpine-release', () => {
  it('reads etc/apk/arch', () => {
    expect(parseApkArch('x86_64\n', 'arch')).toBe('x86_64');
    expectInputError(() => parseApkArch('x86_64 aarch64\n', 'arch'), 'line 1');
    expectInputError(() => parseApkArch('\n', 'arch'), 'line 1');
  });

  it('reads etc/alpine-release of a release and of an edge snapshot', () => {
    expect(parseAlpineRelease('3.20.3\n', 'r')).toEqual({ release: '3.20.3', branch: '3.20' });
    expect(parseAlpineRelease('3.21_alpha20240807\n', 'r')).toEqual({ release: '3.21_alpha20240807', branch: 'edge' });
    expectInputError(() => parseAlpineRelease('Alpine Linux\n', 'r'), 'line 1');
    expectInputError(() => parseAlpineRelease('', 'r'), 'line 1');
  });
});

describe('writeInstalledDb', () => {
  it('writes stanzas parseInstalledDb reads back: names, versions, architectures, origins', () => {
    const text = writeInstalledDb([
      { name: 'libcrypto3', version: '3.0.8-r0', origin: 'openssl', arch: 'x86_64' },
      { name: 'busybox', version: '1.35.0-r17', origin: 'busybox' },
    ]);
    expect(text).toBe('P:libcrypto3\nV:3.0.8-r0\nA:x86_64\no:openssl\n\nP:busybox\nV:1.35.0-r17\no:busybox\n');
    expect(parseInstalledDb(text, 'installed').map((pkg) => [pkg.name, pkg.version, pkg.arch, pkg.origin, pkg.line])).toEqual([
      ['libcrypto3', '3.0.8-r0', 'x86_64', 'openssl', 1],
      ['busybox', '1.35.0-r17', undefined, 'busybox', 6],
    ]);
  });
});
