import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

/*
 * Small container images for tests, written with tar-stream (an independent tar writer, as
 * Docker and OCI tools would write them) so the scan's tar reading and layer merging are
 * checked against real archives rather than against our own reader's idea of one.
 */

export interface LayerEntry {
  readonly name: string;
  readonly content?: string | Buffer;
  readonly type?: 'file' | 'symlink' | 'link' | 'directory';
  readonly linkname?: string;
}

/** An archive member of the image itself: a path and its bytes. */
export interface Member {
  readonly name: string;
  readonly content: Buffer;
}

/** A tar archive of the entries, in order. */
export async function tarball(entries: readonly LayerEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    if (type === 'file') pack.entry({ name: entry.name, type }, entry.content ?? '');
    else pack.entry({ name: entry.name, type, ...(entry.linkname === undefined ? {} : { linkname: entry.linkname }) });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * A gzip layer holding `size` bytes (a multiple of 1 MiB) of zeros in one file named `zeros`,
 * then the `after` entries. It is built from gzip members joined end to end (RFC 1952 2.2: a
 * gzip file is a series of members), so hundreds of MiB of layer take a few hundred KiB.
 */
export async function zerosLayer(size: number, after: readonly LayerEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'zeros', size });
  let header: Buffer | undefined;
  for await (const chunk of pack) {
    header = (chunk as Buffer).subarray(0, 512);
    break;
  }
  if (header === undefined || size % (1 << 20) !== 0) throw new Error('zerosLayer: no header, or a size that is not whole MiB');
  const mebibyte = gzipSync(Buffer.alloc(1 << 20));
  return Buffer.concat([gzipSync(header), ...Array.from({ length: size / (1 << 20) }, () => mebibyte), gzipSync(await tarball(after))]);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export interface ImageOptions {
  /** gzip each layer (the default), as registries and `docker save` of pulled images do. */
  readonly gzipLayers?: boolean;
}

async function layerBlobs(layers: readonly (readonly LayerEntry[])[], options: ImageOptions): Promise<Buffer[]> {
  const tars = await Promise.all(layers.map((layer) => tarball(layer)));
  return tars.map((bytes) => (options.gzipLayers ?? true ? gzipSync(bytes) : bytes));
}

/** The members of a `docker save` archive: manifest.json, a config, one `<id>/layer.tar` per layer. */
export async function dockerSaveMembers(layers: readonly (readonly LayerEntry[])[], options: ImageOptions = {}): Promise<Member[]> {
  const blobs = await layerBlobs(layers, options);
  const layerPaths = blobs.map((blob) => `${sha256(blob)}/layer.tar`);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const configPath = `${sha256(config)}.json`;
  const manifest = Buffer.from(JSON.stringify([{ Config: configPath, RepoTags: ['test/alpine:latest'], Layers: layerPaths }]));
  return [...blobs.map((content, index) => ({ name: layerPaths[index] as string, content })), { name: configPath, content: config }, { name: 'manifest.json', content: manifest }];
}

/** The members of an OCI image layout whose index.json points at an image index of `platforms` copies of the image. */
export async function ociLayoutMembers(
  layers: readonly (readonly LayerEntry[])[],
  options: ImageOptions & { readonly platforms?: readonly string[] } = {},
): Promise<Member[]> {
  const blobs = await layerBlobs(layers, options);
  const descriptor = (mediaType: string, bytes: Buffer) => ({ mediaType, digest: `sha256:${sha256(bytes)}`, size: bytes.length });
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
  const layerType = options.gzipLayers ?? true ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar';
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: descriptor('application/vnd.oci.image.config.v1+json', config),
      layers: blobs.map((blob) => descriptor(layerType, blob)),
    }),
  );
  const manifestDescriptor = descriptor('application/vnd.oci.image.manifest.v1+json', manifest);
  const platforms = options.platforms ?? ['linux/amd64'];
  const nested = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: platforms.map((platform) => {
        const [os = '', architecture = ''] = platform.split('/');
        return { ...manifestDescriptor, platform: { os, architecture } };
      }),
    }),
  );
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [descriptor('application/vnd.oci.image.index.v1+json', nested)] }));
  const blob = (bytes: Buffer) => ({ name: `blobs/sha256/${sha256(bytes)}`, content: bytes });
  return [
    { name: 'oci-layout', content: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    blob(config),
    ...blobs.map(blob),
    blob(manifest),
    blob(nested),
    { name: 'index.json', content: index },
  ];
}

/** The members as one tar archive. */
export function archive(members: readonly Member[]): Promise<Buffer> {
  return tarball(members);
}

/** The members written below `folder`, as an unpacked image. */
export function writeMembers(folder: string, members: readonly Member[]): string {
  for (const member of members) {
    const path = join(folder, member.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, member.content);
  }
  return folder;
}
