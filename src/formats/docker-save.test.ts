import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { dockerArchitecture, writeDockerSave } from './docker-save.js';
import { parseDockerSaveManifest } from './oci.js';
import { readTar, writeTar } from './tar.js';

/* The tar and docker-save writers, read back by tar-stream (an independent reader) and by ours. */

/** Every member of an archive as tar-stream reads it: name, type, mode and content. */
async function extractAll(archive: Buffer): Promise<{ name: string; type: string; mode: number; content: string }[]> {
  const extract = tar.extract();
  Readable.from([archive]).pipe(extract);
  const members = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    members.push({ name: entry.header.name, type: entry.header.type ?? '', mode: entry.header.mode ?? 0, content: Buffer.concat(chunks).toString('utf8') });
  }
  return members;
}

describe('writeTar', () => {
  const members = [{ name: 'etc/' }, { name: 'etc/alpine-release', content: Buffer.from('3.20.3\n') }, { name: 'empty', content: Buffer.alloc(0) }, { name: 'big', content: Buffer.alloc(1500, 'x') }];

  it('writes ustar that another reader reads back: names, types, modes, contents', async () => {
    expect(await extractAll(writeTar(members))).toEqual([
      { name: 'etc/', type: 'directory', mode: 0o755, content: '' },
      { name: 'etc/alpine-release', type: 'file', mode: 0o644, content: '3.20.3\n' },
      { name: 'empty', type: 'file', mode: 0o644, content: '' },
      { name: 'big', type: 'file', mode: 0o644, content: 'x'.repeat(1500) },
    ]);
    expect([...readTar(writeTar(members), 'test.tar')].map((entry) => [entry.name, entry.type, entry.content.length])).toEqual([
      ['etc/', 'directory', 0],
      ['etc/alpine-release', 'file', 7],
      ['empty', 'file', 0],
      ['big', 'file', 1500],
    ]);
  });

  it('gives the same bytes for the same members, and refuses a name ustar cannot hold', () => {
    expect(writeTar(members).equals(writeTar(members))).toBe(true);
    expect(() => writeTar([{ name: 'x'.repeat(101), content: Buffer.alloc(0) }])).toThrow(/tar member name of 101 bytes/);
  });
});

describe('writeDockerSave', () => {
  it('writes manifest.json, a config whose diff_ids are the layers, and the layers at the paths the manifest names', () => {
    const archive = writeDockerSave({ layers: [[{ name: 'etc/' }, { name: 'etc/alpine-release', content: Buffer.from('3.20.3\n') }]], tag: 'kit/fixed:3.20', architecture: dockerArchitecture('x86_64') });
    const members = new Map([...readTar(archive, 'image.tar')].map((entry) => [entry.name, entry.content]));
    const [image] = parseDockerSaveManifest(members.get('manifest.json') ?? Buffer.alloc(0), 'manifest.json');
    expect(image?.repoTags).toEqual(['kit/fixed:3.20']);
    const layer = members.get(image?.layers[0] ?? '') ?? Buffer.alloc(0);
    expect([...readTar(layer, 'layer.tar')].map((entry) => entry.name)).toEqual(['etc/', 'etc/alpine-release']);
    const config = JSON.parse((members.get(image?.config ?? '') ?? Buffer.alloc(0)).toString('utf8')) as { architecture: string; rootfs: { diff_ids: string[] } };
    expect(config.architecture).toBe('amd64');
    expect(config.rootfs.diff_ids).toEqual([`sha256:${image?.layers[0]?.split('/')[0]}`]);
  });
});
