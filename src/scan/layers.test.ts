import { describe, expect, it } from 'vitest';
import { LayeredFiles, normalizePath, readLayerChanges, resolvePath } from './layers.js';
import { type LayerEntry, tarball } from './test-support/images.js';

/** Applies each layer, lowest first, to a fresh merge, through real tar archives. */
async function merge(...layers: LayerEntry[][]): Promise<LayeredFiles> {
  const files = new LayeredFiles();
  for (const [index, layer] of layers.entries()) {
    const bytes = await tarball(layer);
    files.applyLayer(await readLayerChanges(() => [bytes].values(), `layer ${index}`));
  }
  return files;
}

const text = (files: LayeredFiles, path: string) => files.read(path)?.toString('utf8');

describe('LayeredFiles', () => {
  it('keeps the newest layer’s copy of a file (an upgrade in a later layer)', async () => {
    const files = await merge(
      [{ name: 'lib/apk/db/installed', content: 'P:busybox\nV:1.35.0-r17\n\n' }],
      [{ name: 'lib/apk/db/installed', content: 'P:busybox\nV:1.35.0-r18\n\n' }],
    );
    expect(text(files, 'lib/apk/db/installed')).toBe('P:busybox\nV:1.35.0-r18\n\n');
  });

  it('a `.wh.NAME` whiteout deletes NAME of lower layers; a later layer can add it again', async () => {
    const lower = { name: 'etc/apk/repositories', content: 'https://dl-cdn.alpinelinux.org/alpine/v3.16/main\n' };
    const deleted = await merge([lower], [{ name: 'etc/apk/.wh.repositories' }]);
    expect(deleted.read('etc/apk/repositories')).toBeUndefined();
    const readded = await merge([lower], [{ name: 'etc/apk/.wh.repositories' }], [{ name: 'etc/apk/repositories', content: 'new\n' }]);
    expect(text(readded, 'etc/apk/repositories')).toBe('new\n');
  });

  it('a whiteout of a folder deletes everything below it', async () => {
    const files = await merge([{ name: 'etc/apk/arch', content: 'x86_64\n' }, { name: 'etc/alpine-release', content: '3.16.2\n' }], [{ name: 'etc/.wh.apk' }]);
    expect(files.read('etc/apk/arch')).toBeUndefined();
    // Outside the deleted folder nothing changes.
    expect(text(files, 'etc/alpine-release')).toBe('3.16.2\n');
  });

  it('an opaque whiteout hides the folder’s lower contents but keeps what its own layer adds', async () => {
    const files = await merge(
      [{ name: 'etc/apk/arch', content: 'x86_64\n' }, { name: 'etc/apk/repositories', content: 'old\n' }],
      // The opaque marker comes after the new file here: order inside a layer does not matter.
      [{ name: 'etc/apk/repositories', content: 'new\n' }, { name: 'etc/apk/.wh..wh..opq' }],
    );
    expect(files.read('etc/apk/arch')).toBeUndefined();
    expect(text(files, 'etc/apk/repositories')).toBe('new\n');
  });

  it('follows Alpine’s relative os-release link and absolute links, inside the image', async () => {
    const files = await merge(
      [{ name: 'usr/lib/os-release', content: 'ID=alpine\n' }, { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' }],
      [{ name: 'lib', type: 'symlink', linkname: '/usr/lib' }, { name: 'usr/lib/apk/db/installed', content: 'P:musl\nV:1.2.3-r0\n\n' }],
    );
    expect(text(files, 'etc/os-release')).toBe('ID=alpine\n');
    // `lib -> /usr/lib` is absolute: it means the image's /usr/lib, so the /usr-merged database is found.
    expect(text(files, 'lib/apk/db/installed')).toBe('P:musl\nV:1.2.3-r0\n\n');
  });

  it('a real folder in a later layer replaces a lower symlink at its path', async () => {
    const files = await merge(
      [{ name: 'lib', type: 'symlink', linkname: 'usr/lib' }, { name: 'usr/lib/apk/db/installed', content: 'via link\n' }],
      [{ name: 'lib', type: 'directory' }, { name: 'lib/apk/db/installed', content: 'real folder\n' }],
    );
    expect(text(files, 'lib/apk/db/installed')).toBe('real folder\n');
  });

  it('reads a hard link to another member of the same layer', async () => {
    const files = await merge([{ name: 'tmp/release', content: '3.17.1\n' }, { name: 'etc/alpine-release', type: 'link', linkname: 'tmp/release' }]);
    expect(text(files, 'etc/alpine-release')).toBe('3.17.1\n');
  });

  it('keeps only the files a scan reads', async () => {
    const files = await merge([{ name: 'usr/bin/busybox', content: 'ELF...' }, { name: 'etc/apk/world', content: 'busybox\n' }]);
    // Neither is a system file the scan needs, so neither was copied out of the layer.
    expect(files.read('usr/bin/busybox')).toBeUndefined();
    expect(files.read('etc/apk/world')).toBeUndefined();
  });

  it('gives up on a symlink loop instead of spinning', async () => {
    const files = await merge([{ name: 'etc/os-release', type: 'symlink', linkname: 'os-release' }]);
    expect(files.read('etc/os-release')).toBeUndefined();
  });
});

describe('normalizePath and resolvePath', () => {
  it('drops ./ and leading slashes and never climbs above the root', () => {
    expect(normalizePath('./etc//apk/./arch')).toBe('etc/apk/arch');
    expect(normalizePath('/../../etc/alpine-release')).toBe('etc/alpine-release');
  });

  it('resolves links in the middle of a path relative to the link’s folder', () => {
    const links = new Map([['etc/apk', '../srv/apk']]);
    expect(resolvePath('etc/apk/arch', (path) => links.get(path))).toBe('srv/apk/arch');
  });
});
