import { describe, expect, it } from 'vitest';
import { branchNameProblem, packageNameProblem, repositoryNameProblem, vulnerabilityIdProblem } from './names.js';
import { parseSecfixEntry } from './secfix-id.js';
import { InputError } from '../base/input-error.js';

describe('names', () => {
  it('accepts the names real data uses', () => {
    for (const name of ['zlib', 'py3-setuptools', 'libstdc++', 'freeswitch-sounds-ru-RU-elena-8000', 'R', 'gtk+3.0', 'busybox_static']) {
      expect(packageNameProblem(name), name).toBeUndefined();
    }
    for (const repo of ['main', 'community', 'testing']) expect(repositoryNameProblem(repo)).toBeUndefined();
    for (const branch of ['edge', '3.16', '3.20', '23.12.1']) expect(branchNameProblem(branch), branch).toBeUndefined();
    for (const id of ['CVE-2023-42366', 'GHSA-572g-rvwr-6c7f', 'XSA-252', 'GNUTLS-SA-2020-09-14', 'ALPINE-13661', 'CVE-????-?????', 'CVE']) {
      expect(vulnerabilityIdProblem(id), id).toBeUndefined();
    }
  });

  it('refuses path tricks, markup, control characters and absurd lengths', () => {
    expect(branchNameProblem('../../etc')).toBe('branch "../../etc": expected edge or a release such as 3.20');
    expect(branchNameProblem('3')).toBeDefined();
    expect(repositoryNameProblem('<script>')).toMatch(/^repository name "<script>": expected letters/);
    for (const name of ['x\u0000y', 'a/b', 'a b', '-x', '.hidden', '', 'é', 'x'.repeat(129)]) expect(packageNameProblem(name), JSON.stringify(name)).toBeDefined();
    for (const id of ['', 'CVE-2021-1\u0000', 'CVE 2021', '<img>', `CVE-2021-${'1'.repeat(1 << 20)}`]) expect(vulnerabilityIdProblem(id)).toBeDefined();
    expect(vulnerabilityIdProblem(`CVE-2021-${'1'.repeat(1 << 20)}`)).toBe('vulnerability id of 1048585 characters, longer than 80');
  });

  it('accepts a declared branch only when it is an apk name', () => {
    expect(branchNameProblem('rolling', new Set(['rolling']))).toBeUndefined();
    expect(branchNameProblem('rolling', new Set())).toMatch(/or a branch the configuration declares$/);
    expect(branchNameProblem('../x', new Set(['../x']))).toBeDefined();
  });

  it('refuses a 10 MB secfixes id with one InputError, without exhausting the stack', () => {
    const error = (() => {
      try {
        return parseSecfixEntry(`CVE-2020-${'1'.repeat(10_000_000)}`, 'APKBUILD', 'line 3');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe('APKBUILD: line 3: vulnerability id of 10000009 characters, longer than 80');
  });
});
