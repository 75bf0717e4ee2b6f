import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApkbuildFile } from '../formats/secfixes.js';
import { isDirectory, walkAports } from './aports.js';
import { inputErrorFromAsync } from '../test-support/input-errors.js';

let root: string;

async function put(relative: string, text: string | Buffer): Promise<void> {
  const path = join(root, ...relative.split('/'));
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

async function collect(directory: string): Promise<ApkbuildFile[]> {
  const files: ApkbuildFile[] = [];
  for await (const file of walkAports(directory)) files.push(file);
  return files;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'secfix-aports-'));
  await put('main/busybox/APKBUILD', 'pkgname=busybox\n');
  await put('main/a/APKBUILD', 'pkgname=a\n');
  await put('main/a-b/APKBUILD', 'pkgname=a-b\n');
  await put('community/zlib-ng/APKBUILD', 'pkgname=zlib-ng\n');
  await put('testing/foo/APKBUILD', Buffer.concat([Buffer.from('# Maintainer: S'), Buffer.from([0xf6]), Buffer.from('ren\npkgname=foo\n')]));
  // Not packages: a directory without APKBUILD, patches beside one, hidden tooling, files at the top.
  await put('main/busybox/0001-fix.patch', 'diff\n');
  await put('main/empty/README', 'no APKBUILD here\n');
  await put('main/nested/sub/APKBUILD', 'pkgname=too-deep\n');
  await put('.gitlab/ci/APKBUILD', 'pkgname=ci\n');
  await put('main/.hidden/APKBUILD', 'pkgname=hidden\n');
  await put('README.md', '# aports\n');
  await mkdir(join(root, 'main', 'dir-named', 'APKBUILD'), { recursive: true });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('walkAports', () => {
  it('yields every <repo>/<package>/APKBUILD, sorted by the whole path', async () => {
    const files = await collect(root);
    // Code-unit order: "-" (0x2d) < "/" (0x2f), so main/a-b/ sorts before main/a/.
    expect(files.map((file) => file.path)).toEqual([
      'community/zlib-ng/APKBUILD',
      'main/a-b/APKBUILD',
      'main/a/APKBUILD',
      'main/busybox/APKBUILD',
      'testing/foo/APKBUILD',
    ]);
    expect(files.find((file) => file.path === 'main/busybox/APKBUILD')?.text).toBe('pkgname=busybox\n');
  });

  it('reads non-UTF-8 bytes leniently instead of failing the whole tree', async () => {
    const foo = (await collect(root)).find((file) => file.path === 'testing/foo/APKBUILD');
    expect(foo?.text).toBe('# Maintainer: S\uFFFDren\npkgname=foo\n');
  });

  it('rejects a missing directory and a file given as the tree', async () => {
    const missing = await inputErrorFromAsync(() => collect(join(root, 'nope')));
    expect(missing).toMatchObject({ source: join(root, 'nope'), problem: 'no such directory' });
    const file = await inputErrorFromAsync(() => collect(join(root, 'README.md')));
    expect(file.problem).toMatch(/not a directory/);
  });
});

describe('isDirectory', () => {
  it('tells a tree from a file and rejects a missing path', async () => {
    expect(await isDirectory(root)).toBe(true);
    expect(await isDirectory(join(root, 'main', 'a', 'APKBUILD'))).toBe(false);
    expect((await inputErrorFromAsync(() => isDirectory(join(root, 'nope')))).problem).toMatch(/no such file or directory/);
  });
});
