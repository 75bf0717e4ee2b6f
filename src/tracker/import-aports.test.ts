import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearDirty, listBranches, listDirty, listSecfixes } from '../store/index.js';
import { backends, useTestStore } from '../test-support/databases.js';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { importAports } from './import-aports.js';
import { dataDigest } from './test-support/store-digest.js';

const ZLIB = `pkgname=zlib
pkgver=1.2.13
pkgrel=0
# secfixes:
#   1.2.12-r2:
#     - CVE-2022-37434
#   1.2.12-r0:
#     - CVE-2018-25032 (+ regression fix)
#   0:
#     - CVE-2023-45853
`;

const MUSL = `pkgname=musl
pkgver=1.2.4
pkgrel=0
# secfixes:
#   1.2.2_pre2-r0:
#     - CVE-2020-28928
`;

/** A small aports checkout: main/zlib, main/busybox (no secfixes), community/musl. */
function aportsTree(name: string, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), `secfix-aports-${name}-`));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const baseTree = () => ({
  'main/zlib/APKBUILD': ZLIB,
  'main/busybox/APKBUILD': 'pkgname=busybox\npkgver=1.36.1\npkgrel=0\n',
  'community/musl/APKBUILD': MUSL,
});

describe.each(backends)('%s importAports', (backend) => {
  const store = useTestStore(backend);

  async function storedRows(): Promise<string[]> {
    const branches = await listBranches(store().db);
    const rows: string[] = [];
    for (const branch of branches) {
      for (const repository of branch.repositories) {
        for (const row of await listSecfixes(store().db, repository.id)) {
          rows.push(`${branch.name}/${repository.name} ${row.package} ${row.version} ${row.vulnerabilityId} ${row.source} ${row.note ?? '-'}`);
        }
      }
    }
    return rows.sort();
  }

  it('imports the secfixes of every APKBUILD, one repository per top folder', async () => {
    const root = aportsTree(`${backend}-base`, baseTree());
    const progress: number[] = [];
    const summary = await importAports(store(), { dir: root, branch: 'edge', progress: (done) => progress.push(done) });
    expect(summary.counts).toMatchObject({ repositories: 2, apkbuilds: 3, secfixes: 4, added: 4, changedPackages: 2 });
    expect(progress).toEqual([1, 2, 3]);
    expect(await storedRows()).toEqual([
      'edge/community musl 1.2.2_pre2-r0 CVE-2020-28928 aports -',
      'edge/main zlib 0 CVE-2023-45853 aports -',
      'edge/main zlib 1.2.12-r0 CVE-2018-25032 aports (+ regression fix)',
      'edge/main zlib 1.2.12-r2 CVE-2022-37434 aports -',
    ]);
    expect(await listDirty(store().db, 'package')).toEqual(['edge:musl', 'edge:zlib']);
  });

  it('skips an unchanged tree and marks only the package whose block changed', async () => {
    const root = aportsTree(`${backend}-edit`, baseTree());
    await importAports(store(), { dir: root, branch: 'edge' });
    const before = await dataDigest(store());
    expect((await importAports(store(), { dir: root, branch: 'edge' })).status).toBe('unchanged');
    expect(await dataDigest(store())).toBe(before);

    await clearDirty(store().db, 'package', await listDirty(store().db, 'package'));
    writeFileSync(join(root, 'main', 'zlib', 'APKBUILD'), ZLIB.replace('#   0:\n#     - CVE-2023-45853\n', ''));
    const summary = await importAports(store(), { dir: root, branch: 'edge' });
    expect(summary.counts).toMatchObject({ added: 0, removed: 1, changedPackages: 1 });
    expect(await listDirty(store().db, 'package')).toEqual(['edge:zlib']);
  });

  it('drops the secfixes of a package whose APKBUILD left the tree, or moved to another repository', async () => {
    const root = aportsTree(`${backend}-moves`, baseTree());
    await importAports(store(), { dir: root, branch: 'edge' });
    await clearDirty(store().db, 'package', await listDirty(store().db, 'package'));
    // musl moves from community to main (community is left empty); zlib is deleted.
    const moved = aportsTree(`${backend}-moved`, { 'main/musl/APKBUILD': MUSL, 'main/busybox/APKBUILD': 'pkgname=busybox\npkgver=1.36.1\npkgrel=0\n' });
    const summary = await importAports(store(), { dir: moved, branch: 'edge' });
    expect(summary.counts).toMatchObject({ added: 1, removed: 4, changedPackages: 2 });
    expect(await storedRows()).toEqual(['edge/main musl 1.2.2_pre2-r0 CVE-2020-28928 aports -']);
    expect(await listDirty(store().db, 'package')).toEqual(['edge:musl', 'edge:zlib']);
  });

  it('imports a tree again when another tree of the branch replaced its secfixes since (A, B, A)', async () => {
    const a = aportsTree(`${backend}-a`, baseTree());
    const b = aportsTree(`${backend}-b`, { 'main/zlib/APKBUILD': 'pkgname=zlib\npkgver=1.2.13\npkgrel=0\n' });
    await importAports(store(), { dir: a, branch: 'edge' });
    const rowsOfA = await storedRows();
    // B is the branch's whole aports now: zlib lists nothing and musl is gone.
    expect(await importAports(store(), { dir: b, branch: 'edge' })).toMatchObject({ status: 'imported', counts: { removed: 4 } });
    expect(await importAports(store(), { dir: a, branch: 'edge' })).toMatchObject({ status: 'imported', counts: { added: 4 } });
    expect(await storedRows()).toEqual(rowsOfA);
    expect((await importAports(store(), { dir: a, branch: 'edge' })).status).toBe('unchanged');
    // A tree of another branch is another target.
    await importAports(store(), { dir: b, branch: '3.18' });
    expect((await importAports(store(), { dir: a, branch: 'edge' })).status).toBe('unchanged');
  });

  it('names the APKBUILD and line of a broken block and writes nothing', async () => {
    const root = aportsTree(`${backend}-broken`, { ...baseTree(), 'main/zlib/APKBUILD': '# secfixes:\n#   - CVE-2022-37434\n' });
    const before = await dataDigest(store());
    const error = await inputErrorFromAsync(() => importAports(store(), { dir: root, branch: 'edge' }));
    expect(error.message).toBe(`${join(root, 'main', 'zlib', 'APKBUILD')}: line 2: list item before any version key`);
    expect(await dataDigest(store())).toBe(before);
  });
});
