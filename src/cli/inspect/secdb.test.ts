import { describe, expect, it } from 'vitest';
import { InputError } from '../../base/input-error.js';
import { repoPath } from '../../test-support/paths.js';
import { secdbReader } from './secdb.js';

const options = { keysDir: undefined, allowUntrusted: false };

describe('secdbReader', () => {
  it('emits one record per package and summarizes the v3.14 main sample', async () => {
    const records: unknown[] = [];
    const summary = await secdbReader.inspect(repoPath('data', 'alpine-sample', 'secdb', 'v3.14', 'main.json'), options, (record) => records.push(record));
    // 67 packages and 1121 entries: data/alpine-sample/README.md. The "0" entries (bind 1, busybox 3,
    // curl 1, git 2, nginx 1, nodejs 2, openssl 2) and the two non-CVE ids come from grep on main.json.
    expect(records).toHaveLength(67);
    expect(records[0]).toMatchObject({ branch: '3.14', repo: 'main', package: 'apache2' });
    expect(summary[0]).toBe('secdb branch 3.14 repo main: 67 packages, 499 version keys, 1121 secfix entries');
    expect(summary[1]).toBe('12 entries under "0" (not affected); 2 distinct non-CVE ids: ALPINE-13661 GHSA-572g-rvwr-6c7f');
    expect(summary[2]).toBe('0 warnings');
  });

  it('reports a missing file as InputError', async () => {
    await expect(secdbReader.inspect(repoPath('data', 'alpine-sample', 'secdb', 'v9.99', 'main.json'), options, () => undefined)).rejects.toBeInstanceOf(
      InputError,
    );
  });
});
