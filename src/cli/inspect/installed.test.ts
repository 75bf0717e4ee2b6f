import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../base/input-error.js';
import { repoPath } from '../../test-support/paths.js';
import { installedReader } from './installed.js';

// data/alpine-sample/README.md: trivy-apk.installed has 16 stanzas, one without V: (line 23 of
// the file); its 13 distinct o: values plus the unversioned stanza's own name make 14 origins;
// the file count is the number of R: lines in the file.
const TRIVY = repoPath('data', 'alpine-sample', 'apkindex', 'installed', 'trivy-apk.installed');

describe('inspect installed', () => {
  it('emits every package and summarizes counts, arch and packages without a version', async () => {
    const records: unknown[] = [];
    const summary = await installedReader.inspect(TRIVY, { keysDir: undefined, allowUntrusted: false }, (record) => records.push(record));
    expect(records).toHaveLength(16);
    expect(summary[0]).toBe('packages: 16 (from 14 origins)');
    expect(summary[1]).toBe('arch: (none), x86_64');
    expect(summary[2]).toBe(`files: ${readFileSync(TRIVY, 'utf8').match(/^R:/gm)?.length}`);
    expect(summary.at(-1)).toBe('without a version (V:): invalidPackageWithoutAVersion (line 23)');
  });

  it('reports a missing file as InputError', async () => {
    await expect(installedReader.inspect(`${TRIVY}.missing`, { keysDir: undefined, allowUntrusted: false }, () => undefined)).rejects.toThrow(InputError);
  });
});
