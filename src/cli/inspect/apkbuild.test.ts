import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../base/input-error.js';
import { apkbuildReader } from './apkbuild.js';

const options = { keysDir: undefined, allowUntrusted: false };
let root: string;

// Blocks modeled on aports zlib (a "0" key, keys as in the v3.16 sample secdb) and expat.
const ZLIB = 'pkgname=zlib\npkgver=1.2.13\npkgrel=0\n\n# secfixes:\n#   1.2.12-r2:\n#     - CVE-2022-37434\n#   0:\n#     - CVE-2023-45853\n\nbuild() {\n\t:\n}\n';
const EXPAT = 'pkgname=expat\npkgver=2.5.0\npkgrel=0\n# secfixes:\n#   2.5.0-r0:\n#     - CVE-2022-43680\n';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'secfix-inspect-apkbuild-'));
  for (const [path, text] of [
    ['main/zlib/APKBUILD', ZLIB],
    ['main/expat/APKBUILD', EXPAT],
    ['community/nosec/APKBUILD', 'pkgname=nosec\npkgver=1\npkgrel=0\n'],
  ] as const) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('apkbuildReader', () => {
  it('reads one APKBUILD', async () => {
    const records: unknown[] = [];
    const summary = await apkbuildReader.inspect(join(root, 'main', 'zlib', 'APKBUILD'), options, (record) => records.push(record));
    expect(records).toEqual([
      {
        path: join(root, 'main', 'zlib', 'APKBUILD'),
        pkgname: 'zlib',
        pkgver: '1.2.13',
        pkgrel: '0',
        secfixes: [
          { version: '1.2.12-r2', ids: [{ id: 'CVE-2022-37434', kind: 'cve' }] },
          { version: '0', ids: [{ id: 'CVE-2023-45853', kind: 'cve' }] },
        ],
        warnings: [],
      },
    ]);
    expect(summary).toEqual(['APKBUILD zlib 1.2.13-r0: 2 version keys, 2 secfix entries, 0 warnings']);
  });

  it('walks an aports tree, one record per package in path order', async () => {
    const records: { path: string; repo: string; package: string }[] = [];
    const summary = await apkbuildReader.inspect(root, options, (record) => records.push(record as (typeof records)[number]));
    expect(records.map((record) => [record.path, record.repo, record.package])).toEqual([
      ['community/nosec/APKBUILD', 'community', 'nosec'],
      ['main/expat/APKBUILD', 'main', 'expat'],
      ['main/zlib/APKBUILD', 'main', 'zlib'],
    ]);
    expect(summary).toEqual(['aports tree: 3 packages in 2 repos (community, main)', '2 with secfixes, 3 secfix entries, 0 warnings']);
  });

  it('reports a bad block with the APKBUILD path and line', async () => {
    const tree = join(root, 'broken-tree');
    await mkdir(join(tree, 'broken', 'bad'), { recursive: true });
    await writeFile(join(tree, 'broken', 'bad', 'APKBUILD'), 'pkgname=bad\n# secfixes:\n#   - CVE-2020-0001\n');
    const error: unknown = await apkbuildReader.inspect(tree, options, () => undefined).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ source: 'broken/bad/APKBUILD', place: 'line 3' });
  });

  it('reports a missing path as InputError', async () => {
    await expect(apkbuildReader.inspect(join(root, 'missing'), options, () => undefined)).rejects.toBeInstanceOf(InputError);
  });
});
