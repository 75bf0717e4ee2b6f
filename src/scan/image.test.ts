import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseInstalledDb } from '../formats/installed.js';
import { readTar } from '../formats/tar.js';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { repoPath } from '../test-support/paths.js';
import { readImageArchive, readImageFolder } from './image.js';
import { runScan, secdbLoader } from './run.js';
import { type LayerEntry, type Member, archive, dockerSaveMembers, ociLayoutMembers, tarball, writeMembers, zerosLayer } from './test-support/images.js';

const dir = mkdtempSync(join(tmpdir(), 'secfix-image-'));
const SECDB = repoPath('data', 'alpine-sample', 'secdb');
/** The real alpine 3.16 base database: busybox 1.35.0-r17, openssl 1.1.1q-r0 (libcrypto1.1, libssl1.1), … */
const SYFT = readFileSync(repoPath('data', 'alpine-sample', 'apkindex', 'installed', 'syft-multiple-2.installed'), 'utf8');
const stanzas = SYFT.split('\n\n').filter((stanza) => stanza.trim() !== '');
const database = (list: readonly string[]) => `${list.join('\n\n')}\n\n`;

/** busybox and ssl_client (origin busybox) moved from 1.35.0-r17 to 1.35.0-r18, as `apk upgrade` would write it. */
const UPGRADED = database(stanzas.map((stanza) => (/^o:busybox$/m.test(stanza) ? stanza.replace('\nV:1.35.0-r17\n', '\nV:1.35.0-r18\n') : stanza)));
/** The openssl packages (libcrypto1.1, libssl1.1) deleted, as `apk del` rewrites the database. */
const WITHOUT_OPENSSL = database(
  UPGRADED.split('\n\n').filter((stanza) => stanza.trim() !== '' && !/^o:openssl$/m.test(stanza)),
);

const V316_REPOSITORIES = 'https://dl-cdn.alpinelinux.org/alpine/v3.16/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.16/community\n';
const BASE: LayerEntry[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/alpine-release', content: '3.16.2\n' },
  { name: 'etc/apk/arch', content: 'x86_64\n' },
  { name: 'etc/apk/repositories', content: V316_REPOSITORIES },
  { name: 'usr/lib/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.16.2\n' },
  { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
  { name: 'usr/lib/libcrypto.so.1.1', content: 'ELF' },
  { name: 'lib/apk/db/installed', content: SYFT },
];
/** Upgrades busybox and makes etc/apk opaque, keeping only the main repository (so etc/apk/arch goes too). */
const UPGRADE: LayerEntry[] = [
  { name: 'lib/apk/db/installed', content: UPGRADED },
  { name: 'etc/apk/.wh..wh..opq' },
  { name: 'etc/apk/repositories', content: 'https://dl-cdn.alpinelinux.org/alpine/v3.16/main\n' },
];
/** Removes openssl: a rewritten database, and a whiteout for the library file. */
const REMOVE_OPENSSL: LayerEntry[] = [
  { name: 'lib/apk/db/installed', content: WITHOUT_OPENSSL },
  { name: 'usr/lib/.wh.libcrypto.so.1.1' },
];
const LAYERS = [BASE, UPGRADE, REMOVE_OPENSSL];

function write(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const scan = (target: string) => runScan({ input: { target }, loadSecurityData: secdbLoader([SECDB]), today: '2026-01-15' });
const packagesOf = (bytes: Buffer | undefined) => parseInstalledDb(bytes?.toString('utf8') ?? '', 'installed').map((pkg) => `${pkg.name}-${pkg.version ?? ''}`);

describe('image reconstruction', () => {
  let dockerSave: Member[];
  let oci: Member[];
  beforeAll(async () => {
    dockerSave = await dockerSaveMembers(LAYERS);
    oci = await ociLayoutMembers(LAYERS, { gzipLayers: false, platforms: ['linux/amd64', 'linux/arm64', 'unknown/unknown'] });
  });

  /** What the three layers must add up to, derived layer by layer above. */
  function expectFinalFiles(system: Awaited<ReturnType<typeof readImageArchive>>): void {
    const packages = packagesOf(system.files.installed);
    // The upgrade layer's busybox, and no openssl packages: the top layer's database wins.
    expect(packages).toContain('busybox-1.35.0-r18');
    expect(packages).toContain('ssl_client-1.35.0-r18');
    expect(packages.filter((name) => name.startsWith('libcrypto') || name.startsWith('libssl'))).toEqual([]);
    expect(packages).toHaveLength(12);
    // The opaque etc/apk of layer 2 hid layer 1's arch file and replaced the repositories.
    expect(system.files.arch).toBeUndefined();
    expect(system.files.repositories?.toString()).toBe('https://dl-cdn.alpinelinux.org/alpine/v3.16/main\n');
    // Outside etc/apk, layer 1 shows through; os-release is reached through its symlink.
    expect(system.files.alpineRelease?.toString()).toBe('3.16.2\n');
    expect(system.files.osRelease?.toString()).toContain('VERSION_ID=3.16.2');
  }

  it('applies docker save layers in manifest order, with whiteouts and an opaque folder', async () => {
    const system = await readImageArchive(write('docker-save.tar', await archive(dockerSave)));
    expectFinalFiles(system);
    expect(system.image).toEqual({ format: 'docker-save', tags: ['test/alpine:latest'], layers: 3 });
    expect(system.warnings).toEqual([]);
  });

  it('reads a gzip-compressed docker save archive (docker save | gzip)', async () => {
    expectFinalFiles(await readImageArchive(write('docker-save.tar.gz', gzipSync(await archive(dockerSave)))));
  });

  it('reads an OCI layout tarball through a nested multi-platform index, skipping attestations', async () => {
    const system = await readImageArchive(write('oci.tar', await archive(oci)));
    expectFinalFiles(system);
    expect(system.image).toEqual({ format: 'oci-layout', tags: [], layers: 3 });
    // Two real platforms remain once the unknown/unknown attestation entry is skipped.
    expect(system.warnings).toEqual([
      { code: 'image-choice', message: `the image index lists 2 images (linux/amd64, linux/arm64); scanned the first (linux/amd64)` },
    ]);
  });

  it('reads an unpacked OCI layout folder', async () => {
    const folder = writeMembers(mkdtempSync(join(dir, 'oci-')), oci);
    expectFinalFiles(await readImageFolder(folder));
  });

  it('scans the first image of a multi-image docker save, and says so', async () => {
    const members = await dockerSaveMembers([BASE]);
    const manifest = JSON.parse(members.find((member) => member.name === 'manifest.json')?.content.toString() ?? '[]') as { RepoTags: string[] }[];
    const twice = [...manifest, { ...manifest[0], RepoTags: ['test/alpine:other'] }];
    const withTwo = members.map((member) => (member.name === 'manifest.json' ? { ...member, content: Buffer.from(JSON.stringify(twice)) } : member));
    const system = await readImageArchive(write('two.tar', await archive(withTwo)));
    expect(system.warnings).toEqual([{ code: 'image-choice', message: 'the archive holds 2 images (test/alpine:latest, test/alpine:other); scanned the first' }]);
    expect(system.image.tags).toEqual(['test/alpine:latest']);
  });

  it('follows docker save’s link from a duplicate layer to the first copy', async () => {
    const [first] = await dockerSaveMembers([BASE]);
    const withLink = await tarball([
      { name: 'aaaa/layer.tar', content: first?.content ?? '' },
      { name: 'bbbb/layer.tar', type: 'symlink', linkname: '../aaaa/layer.tar' },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', RepoTags: null, Layers: ['aaaa/layer.tar', 'bbbb/layer.tar'] }]) },
    ]);
    const system = await readImageArchive(write('linked.tar', withLink));
    expect(packagesOf(system.files.installed)).toContain('busybox-1.35.0-r17');
    expect(system.image.layers).toBe(2);
  });
});

describe('scanning images', () => {
  it('finds nothing once the image upgraded busybox and removed openssl', async () => {
    const report = await scan(write('final.tar', await archive(await dockerSaveMembers(LAYERS))));
    // busybox 1.35.0-r18 reaches v3.16's newest busybox fix; the openssl findings left with openssl.
    expect(report.findings).toEqual([]);
    expect(report.system).toEqual({ branch: '3.16', branchSource: 'etc/alpine-release', release: '3.16.2', arch: undefined, packages: 12 });
    expect(report.target).toMatchObject({ kind: 'image', installedDb: 'lib/apk/db/installed' });
  });

  it('finds the openssl upgrade in the image before its removal layer', async () => {
    const report = await scan(write('two-layers.tar', await archive(await dockerSaveMembers([BASE, UPGRADE]))));
    // syft's openssl 1.1.1q-r0 needs v3.16's newest openssl fix, 1.1.1w-r1; busybox is already at r18.
    expect(report.findings.map((finding) => [finding.kind, finding.origin, finding.targetVersion])).toEqual([['upgrade', 'openssl', '1.1.1w-r1']]);
  });

  it('says the image has no apk database when a whiteout removed it', async () => {
    const path = write('no-apk.tar', await archive(await dockerSaveMembers([BASE, [{ name: 'lib/apk/db/.wh.installed' }]])));
    const error = await inputErrorFromAsync(() => scan(path));
    expect(error.message).toBe(`${path}: no lib/apk/db/installed in the image: not an apk-based image`);
  });
});

describe('bad images', () => {
  it('a truncated tarball names the byte where the cut entry starts', async () => {
    const whole = await archive(await dockerSaveMembers(LAYERS));
    // Cut 100 bytes into the data of the second member, a layer.
    const second = [...readTar(whole, 'whole')][1];
    if (second === undefined) throw new Error('the archive has a second member');
    const path = write('truncated.tar', whole.subarray(0, second.headerOffset + 512 + 100));
    const error = await inputErrorFromAsync(() => readImageArchive(path));
    expect(error.message).toBe(`${path}: byte ${second.headerOffset}: tar entry of ${second.size} bytes runs past the end of the archive`);
  });

  it('a gzip bomb layer stops at the --max-image-bytes cap, naming the layer', async () => {
    const bomb: LayerEntry[] = [...BASE, { name: 'zeros', content: '\0'.repeat(4 << 20) }];
    const members = await dockerSaveMembers([bomb]);
    const layer = members.find((member) => member.name.endsWith('layer.tar'));
    if (layer === undefined) throw new Error('the image has a layer');
    // Small on disk, 4 MiB decompressed.
    expect(layer.content.length).toBeLessThan(64 * 1024);
    const path = write('bomb.tar', await archive(members));
    const error = await inputErrorFromAsync(() => readImageArchive(path, 1 << 20));
    expect(error.source).toBe(`${path}: ${layer.name}`);
    expect(error.problem).toMatch(/^decompresses past the image cap of 1048576 bytes \(--max-image-bytes\); \d+ bytes were used by what came before$/);
    // The same image fits a cap above what it decompresses to.
    expect((await readImageArchive(path, 8 << 20)).image.layers).toBe(1);
  });

  describe('a layer of 256 MiB of zeros, streamed', () => {
    const size = 256 * 1024 * 1024;
    let path: string;
    beforeAll(async () => {
      const layer = await zerosLayer(size, BASE);
      const manifest = JSON.stringify([{ Config: 'c.json', RepoTags: null, Layers: ['big/layer.tar'] }]);
      path = write('zeros.tar', await archive([{ name: 'big/layer.tar', content: layer }, { name: 'manifest.json', content: Buffer.from(manifest) }]));
    });

    it('is read through to the files after the zeros under the default cap', async () => {
      const system = await readImageArchive(path);
      expect(packagesOf(system.files.installed)).toContain('busybox-1.35.0-r17');
    });

    it('stops past a smaller cap, naming the layer, with what came before counted', async () => {
      const error = await inputErrorFromAsync(() => readImageArchive(path, 64 * 1024 * 1024));
      expect(error.source).toBe(`${path}: big/layer.tar`);
      expect(error.problem).toBe('decompresses past the image cap of 67108864 bytes (--max-image-bytes); 0 bytes were used by what came before');
    });
  });

  it('a gzip-compressed archive counts against the cap too', async () => {
    const path = write('big.tar.gz', gzipSync(await archive(await dockerSaveMembers([[...BASE, { name: 'zeros', content: '\0'.repeat(2 << 20) }]], { gzipLayers: false }))));
    const error = await inputErrorFromAsync(() => readImageArchive(path, 1 << 20));
    expect(error.source).toBe(path);
    expect(error.problem).toMatch(/^decompresses past the image cap of 1048576 bytes/);
  });

  it('a file that is not a tarball is refused with a hint', async () => {
    const path = repoPath('data', 'alpine-sample', 'apkindex', 'installed', 'syft-multiple-2.installed');
    const error = await inputErrorFromAsync(() => readImageArchive(path));
    expect(error.problem).toBe('not an image tarball (docker save or OCI archive); for an installed database use --installed FILE');
  });

  it('a layer the manifest names but the archive lacks, and a corrupt gzip layer', async () => {
    const members = await dockerSaveMembers([BASE]);
    const missing = write('missing-layer.tar', await archive(members.filter((member) => !member.name.endsWith('layer.tar'))));
    const layerName = members[0]?.name ?? '';
    expect((await inputErrorFromAsync(() => readImageArchive(missing))).problem).toBe(`${layerName} is named by the image's manifest but missing`);
    const corrupt = write('corrupt-layer.tar', await archive(members.map((member) => (member.name === layerName ? { ...member, content: member.content.subarray(0, 40) } : member))));
    const error = await inputErrorFromAsync(() => readImageArchive(corrupt));
    expect(error.source).toBe(`${corrupt}: ${layerName}`);
    expect(error.problem).toMatch(/^corrupt or truncated gzip layer/);
  });

  it('an archive with neither manifest.json nor index.json is not an image', async () => {
    const path = write('plain.tar', await tarball([{ name: 'hello.txt', content: 'hi' }]));
    expect((await inputErrorFromAsync(() => readImageArchive(path))).problem).toBe(
      'not a container image: no manifest.json (docker save) or index.json (OCI image layout)',
    );
  });
});
