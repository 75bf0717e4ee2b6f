import { describe, expect, it } from 'vitest';
import { InputError } from '../../base/input-error.js';
import { repoPath } from '../../test-support/paths.js';
import { apkindexReader } from './apkindex.js';

// Counts, description and key name from data/alpine-sample/README.md; the origin count is
// that of distinct `o:` values in the extracted APKINDEX (every stanza there has one).
const DIR = repoPath('data', 'alpine-sample', 'apkindex', 'v3.16-main-x86_64');
const KEYS = repoPath('data', 'alpine-sample', 'keys');
const KEY = 'alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub';

async function run(file: string, keysDir: string | undefined, allowUntrusted: boolean) {
  const records: unknown[] = [];
  const summary = await apkindexReader.inspect(file, { keysDir, allowUntrusted }, (record) => records.push(record));
  return { summary, records };
}

describe('inspect apkindex', () => {
  it('verifies a signed index with --keys and emits every package', async () => {
    const { summary, records } = await run(`${DIR}/APKINDEX.tar.gz`, KEYS, false);
    expect(records).toHaveLength(4929);
    // The first stanza of the extracted APKINDEX is P:git-zsh-completion with o:zsh.
    expect(records[0]).toMatchObject({ name: 'git-zsh-completion', origin: 'zsh' });
    expect(summary).toEqual([
      'description: v3.16.3-13-g4d933a1fa3',
      'packages: 4929 (from 1543 origins)',
      'arch: x86_64',
      `signature: verified with ${KEY} (RSA/SHA-1)`,
    ]);
  });

  it('refuses a signed index without --keys unless --allow-untrusted', async () => {
    await expect(run(`${DIR}/APKINDEX.tar.gz`, undefined, false)).rejects.toThrow(InputError);
    const { summary } = await run(`${DIR}/APKINDEX.tar.gz`, undefined, true);
    expect(summary.at(-1)).toBe(`signature: UNTRUSTED key ${KEY} (accepted: --allow-untrusted)`);
  });

  it('reads the plain APKINDEX text and says it cannot be verified', async () => {
    const { summary, records } = await run(`${DIR}/APKINDEX`, undefined, false);
    expect(records).toHaveLength(4929);
    expect(summary[0]).toBe('description: (plain text index)');
    expect(summary.at(-1)).toMatch(/^signature: none/);
  });
});
