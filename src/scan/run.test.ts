import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { repoPath } from '../test-support/paths.js';
import { runScan, secdbLoader } from './run.js';

const S = ['data', 'alpine-sample'];
const SYFT = repoPath(...S, 'apkindex', 'installed', 'syft-multiple-2.installed');
const V316_MAIN = repoPath(...S, 'secdb', 'v3.16', 'main.json');
const dir = mkdtempSync(join(tmpdir(), 'secfix-run-'));

function root(name: string, files: Record<string, string>): string {
  const path = join(dir, name);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(path, file)), { recursive: true });
    writeFileSync(join(path, file), content);
  }
  return path;
}

const scan = (input: { target: string } | { installed: string }, secdb: string[], extra: { branch?: string; index?: string[] } = {}) =>
  runScan({ input, loadSecurityData: secdbLoader(secdb), today: '2024-01-01', ...extra });

describe('runScan', () => {
  it('warns when the system uses a repository the security data does not cover', async () => {
    const path = root('community', {
      'lib/apk/db/installed': readFileSync(SYFT, 'utf8'),
      'etc/alpine-release': '3.16.2\n',
      'etc/apk/repositories': 'https://dl-cdn.alpinelinux.org/alpine/v3.16/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.16/community\n',
    });
    // Only main.json is given, so packages installed from community would go unchecked.
    const report = await scan({ target: path }, [V316_MAIN]);
    expect(report.securityData.repos).toEqual(['main']);
    expect(report.warnings).toEqual([
      { code: 'repo-not-covered', message: 'etc/apk/repositories uses 3.16/community but the security data has no community: its packages are not checked' },
    ]);
  });

  it("warns when an index's DESCRIPTION names another branch than the one scanned", async () => {
    // The v3.16 APKINDEX.tar.gz says v3.16.3-13-g4d933a1fa3; scanning as 3.17 mixes branches.
    const report = await runScan({
      input: { installed: SYFT },
      branch: '3.17',
      loadSecurityData: secdbLoader([repoPath(...S, 'secdb')]),
      index: [repoPath(...S, 'apkindex', 'v3.16-main-x86_64', 'APKINDEX.tar.gz')],
      keysDir: repoPath(...S, 'keys'),
      today: '2024-01-01',
    });
    expect(report.index).toEqual({ sources: [repoPath(...S, 'apkindex', 'v3.16-main-x86_64', 'APKINDEX.tar.gz')], branches: ['3.16'] });
    expect(report.warnings.map((warning) => warning.code)).toContain('index-branch-mismatch');
  });

  it('refuses a signed index without keys to verify it', async () => {
    const index = repoPath(...S, 'apkindex', 'v3.16-main-x86_64', 'APKINDEX.tar.gz');
    const error = await inputErrorFromAsync(() => scan({ installed: SYFT }, [V316_MAIN], { branch: '3.16', index: [index] }));
    expect(error.message).toBe(`${index}: cannot verify a signed index without --keys DIR`);
  });

  it('a folder without lib/apk/db/installed is not an apk-based root, and a missing target is named', async () => {
    const path = root('empty-root', { 'etc/alpine-release': '3.16.2\n' });
    expect((await inputErrorFromAsync(() => scan({ target: path }, [V316_MAIN]))).message).toBe(
      `${join(path, 'lib/apk/db/installed')}: no such file: not an apk-based root filesystem`,
    );
    const missing = join(dir, 'nowhere');
    expect((await inputErrorFromAsync(() => scan({ target: missing }, [V316_MAIN]))).message).toBe(`${missing}: no such file or folder`);
  });

  it('names a bad etc/alpine-release by its path in the root', async () => {
    const path = root('bad-release', { 'lib/apk/db/installed': readFileSync(SYFT, 'utf8'), 'etc/alpine-release': 'Alpine three\n' });
    expect((await inputErrorFromAsync(() => scan({ target: path }, [V316_MAIN]))).message).toBe(
      `${join(path, 'etc/alpine-release')}: line 1: not an Alpine release version: "Alpine three"`,
    );
  });
});
