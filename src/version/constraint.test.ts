import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import { VersionOp, compareVersions } from './compare.js';
import { formatDependency, parseDependency, satisfies, type Dependency } from './constraint.js';

const IDENTITY = 'Q1EyN5AdpAOBJWKMR89pp/C66o+OE=';

function parsed(text: string): Dependency {
  const dep = parseDependency(text);
  if (dep === null) throw new Error(`expected ${text} to parse`);
  return dep;
}

describe('parseDependency (formats.md §1.6)', () => {
  it.each<[string, Partial<Dependency>]>([
    ['busybox', { name: 'busybox', tag: undefined, conflict: false, op: VersionOp.ANY, version: undefined, broken: false }],
    ['!busybox', { name: 'busybox', conflict: true, op: VersionOp.ANY | VersionOp.CONFLICT, version: undefined }],
    ['busybox@edge', { name: 'busybox', tag: 'edge', op: VersionOp.ANY }],
    ['!name@tag>=1.2', { name: 'name', tag: 'tag', conflict: true, op: 5 | VersionOp.CONFLICT, version: '1.2', broken: false }],
    ['musl<1.2.5-r0', { name: 'musl', op: VersionOp.LESS, version: '1.2.5-r0' }],
    ['a~=2.2', { name: 'a', op: 9, version: '2.2' }],
    ['a=~2.2', { name: 'a', op: 9, version: '2.2' }],
    ['a<~3', { name: 'a', op: 11, version: '3' }],
    ['so:libc.musl-x86_64.so.1', { name: 'so:libc.musl-x86_64.so.1', op: VersionOp.ANY, version: undefined }],
    ['cmd:busybox=1.36.1-r0', { name: 'cmd:busybox', op: VersionOp.EQUAL, version: '1.36.1-r0' }],
    [`a><${IDENTITY}`, { name: 'a', op: VersionOp.CHECKSUM, version: IDENTITY, broken: false }],
    ['a>=1.2bc', { name: 'a', op: 5, version: '1.2bc', broken: true }],
    ['a=v1', { name: 'a', version: 'v1', broken: true }],
  ])('%s', (text, expected) => {
    expect(parseDependency(text)).toMatchObject(expected);
  });

  it.each(['', '!', 'name=', 'name>=', '>=1.0', '!<1', 'a b', 'a\n', 'name@', '@tag', '@tag>1'])(
    'rejects %j',
    (text) => {
      expect(parseDependency(text)).toBeNull();
    },
  );

  it.each([
    ['a~=2.2', 'a~2.2'],
    ['!name@tag=>1.2', '!name@tag>=1.2'],
    ['so:libc.musl-x86_64.so.1', 'so:libc.musl-x86_64.so.1'],
    [`a<>${IDENTITY}`, `a><${IDENTITY}`],
  ])('formats %s as %s', (text, canonical) => {
    expect(formatDependency(parsed(text))).toBe(canonical);
  });
});

describe('satisfies', () => {
  it('compares versions with the operator', () => {
    expect(satisfies(parsed('a>=1.2'), '1.2-r0')).toBe(true);
    expect(satisfies(parsed('a>=1.2'), '1.1.9')).toBe(false);
    expect(satisfies(parsed('a~2.2'), '2.2.1')).toBe(true);
    expect(satisfies(parsed('a~2.2'), '2.10')).toBe(false);
  });

  it('matches any version without an operator, and none with a bare conflict', () => {
    expect(satisfies(parsed('a'), '0.1')).toBe(true);
    expect(satisfies(parsed('!a'), '0.1')).toBe(false);
  });

  it('inverts a conflict with a version', () => {
    expect(satisfies(parsed('!a<2'), '1.0')).toBe(false);
    expect(satisfies(parsed('!a<2'), '3.0')).toBe(true);
  });

  it('compares broken versions token by token, as apk does', () => {
    expect(satisfies(parsed('a>=1.2bc'), '1.3')).toBe(true);
    expect(satisfies(parsed('a>=1.2bc'), '1.1')).toBe(false);
  });

  it('matches an identity dependency against the package identity, not the version', () => {
    const dep = parsed(`a><${IDENTITY}`);
    expect(satisfies(dep, '2.2', IDENTITY)).toBe(true);
    // Same digest: only the unused low bits of the last base64 character differ.
    expect(satisfies(dep, '2.2', 'Q1EyN5AdpAOBJWKMR89pp/C66o+OF=')).toBe(true);
    expect(satisfies(dep, '2.2', 'Q1EyN5AdpAOBJWKMR89pprC66o+OE=')).toBe(false);
    expect(satisfies(dep, '2.2')).toBe(false);
    expect(satisfies(parsed(`!a><${IDENTITY}`), '2.2', IDENTITY)).toBe(false);
  });
});

describe('solver fixture fuzzy1 (apk-tools test/solver/fuzzy1.test)', () => {
  const solverFile = (name: string): string =>
    readFileSync(repoPath('fixtures', 'apk-tools', 'master', 'solver', name), 'utf8');

  it('selects the version apk installs for the fuzzy world dependency', () => {
    const test = solverFile('fuzzy1.test');
    const args = /^@ARGS add (\S+)$/m.exec(test)?.[1];
    const repo = /^@REPO (\S+)$/m.exec(test)?.[1];
    const installed = /Installing (\S+) \((\S+)\)/.exec(test);
    expect(args).toBe('a~2.2');
    const dep = parsed(args ?? '');
    const packages = solverFile(repo ?? '')
      .split(/\n\s*\n/)
      .map((stanza) => ({
        name: /^P:(.*)$/m.exec(stanza)?.[1],
        version: /^V:(.*)$/m.exec(stanza)?.[1] ?? '',
        identity: /^C:(.*)$/m.exec(stanza)?.[1],
      }))
      .filter((p) => p.name === dep.name);
    expect(packages.map((p) => p.version)).toEqual(['2.2', '2.10']);
    const candidates = packages.filter((p) => satisfies(dep, p.version, p.identity)).map((p) => p.version);
    const chosen = candidates.sort(compareVersions).at(-1);
    expect([dep.name, chosen]).toEqual([installed?.[1], installed?.[2]]);
    expect(candidates).toEqual(['2.2']);
  });
});
