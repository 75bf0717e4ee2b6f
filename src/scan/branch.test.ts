import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import { decideBranch } from './branch.js';
import { type SystemFiles, readSystem } from './system.js';

const SYFT = readFileSync(repoPath('data', 'alpine-sample', 'apkindex', 'installed', 'syft-multiple-2.installed'));
const QUERY_INSTALLED = readFileSync(repoPath('fixtures', 'apk-tools', 'master', 'query-installed.data'));

function decide(files: Omit<SystemFiles, 'installed'>, flag?: string, installed = SYFT) {
  return decideBranch(readSystem(installed, files, (name) => name), flag);
}

const text = (value: string) => Buffer.from(value);
const v316 = text('https://dl-cdn.alpinelinux.org/alpine/v3.16/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.16/community\n');
const codes = (decision: ReturnType<typeof decide>) => decision.warnings.map((warning) => warning.code);

describe('decideBranch', () => {
  it('takes etc/alpine-release: 3.16.2 is branch 3.16, and agreeing repositories add no warning', () => {
    const decision = decide({ alpineRelease: text('3.16.2\n'), repositories: v316 });
    expect(decision).toMatchObject({ branch: '3.16', source: 'etc/alpine-release', release: '3.16.2' });
    expect(codes(decision)).toEqual([]);
  });

  it('keeps the stated release but warns when the repositories point at another branch', () => {
    const decision = decide({ alpineRelease: text('3.16.2\n'), repositories: text('https://dl-cdn.alpinelinux.org/alpine/v3.17/main\n') });
    expect(decision.branch).toBe('3.16');
    expect(decision.warnings).toEqual([
      { code: 'branch-conflict', message: 'etc/alpine-release says 3.16.2 (branch 3.16) but etc/apk/repositories uses 3.17' },
    ]);
  });

  it('maps a development snapshot to edge', () => {
    expect(decide({ alpineRelease: text('3.21_alpha20240807\n') }).branch).toBe('edge');
  });

  it('reads the release of a bare installed database from its alpine-release package (query-installed.data: 3.21.3-r0)', () => {
    // The fixture holds `P:alpine-release V:3.21.3-r0`, the package that owns etc/alpine-release.
    const decision = decide({}, undefined, QUERY_INSTALLED);
    expect(decision).toMatchObject({ branch: '3.21', source: 'alpine-release package', release: '3.21.3' });
    expect(codes(decision)).toEqual([]);
  });

  it("uses os-release's VERSION_ID only when ID says alpine", () => {
    expect(decide({ osRelease: text('ID=alpine\nVERSION_ID=3.20.3\n') })).toMatchObject({ branch: '3.20', source: 'etc/os-release' });
    const wolfi = decide({ osRelease: text('ID=wolfi\nVERSION_ID=20230201\n') });
    expect(wolfi.branch).toBeUndefined();
    expect(codes(wolfi)).toEqual(['not-alpine', 'release-unknown']);
  });

  it('falls back to the untagged repositories, ignoring tagged ones, and says the release is unknown', () => {
    // syft-multiple-2 has no alpine-release package, so nothing states the release.
    const decision = decide({ repositories: text('https://dl-cdn.alpinelinux.org/alpine/v3.17/main\n@edge https://dl-cdn.alpinelinux.org/alpine/edge/testing\n') });
    expect(decision).toMatchObject({ branch: '3.17', source: 'etc/apk/repositories', release: undefined });
    expect(codes(decision)).toEqual(['release-unknown']);
  });

  it('cannot choose between mixed untagged repositories without a stated release', () => {
    const decision = decide({ repositories: text('https://dl-cdn.alpinelinux.org/alpine/v3.17/main\nhttps://dl-cdn.alpinelinux.org/alpine/edge/main\n') });
    expect(decision.branch).toBeUndefined();
    expect(codes(decision)).toEqual(['mixed-repositories', 'release-unknown']);
  });

  it('lets --branch override, saying what it overrode', () => {
    const decision = decide({ alpineRelease: text('3.16.2\n') }, '3.17');
    expect(decision).toMatchObject({ branch: '3.17', source: 'flag', release: '3.16.2' });
    expect(decision.warnings).toEqual([{ code: 'branch-conflict', message: '--branch 3.17 overrides branch 3.16 from etc/alpine-release' }]);
  });

  it('has no branch for a bare installed database that states nothing', () => {
    const decision = decide({});
    expect(decision.branch).toBeUndefined();
    expect(codes(decision)).toEqual(['release-unknown']);
  });
});
