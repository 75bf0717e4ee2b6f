import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, type Transform, pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import { InputError } from '../base/input-error.js';
import {
  DOCKER_MANIFEST_LIST_MEDIA_TYPE,
  OCI_INDEX_MEDIA_TYPE,
  type OciDescriptor,
  ociBlobPath,
  parseDockerSaveManifest,
  parseOciIndex,
  parseOciManifest,
} from '../formats/oci.js';
import { type TarEntryType, type TarHeader, TarReader } from '../formats/tar.js';
import { isGzip, streamInputBytes } from '../sources/file.js';
import { LayeredFiles, normalizePath, readLayerChanges } from './layers.js';
import type { ScanWarning } from '../engine/scan-model.js';
import { type SystemFiles, collectSystemFiles } from './system.js';

/*
 * Container images, as `docker save` writes them (manifest.json + layer tarballs) or as an OCI
 * image layout (index.json + blobs), in a tarball or unpacked in a folder. Layers stream
 * through, lowest first, with their whiteouts (layers.ts), keeping only the files a scan
 * reads, so memory stays bounded however large the image.
 */

export interface ImageDescription {
  readonly format: 'docker-save' | 'oci-layout';
  readonly tags: readonly string[];
  readonly layers: number;
}

export interface ImageSystem {
  readonly files: SystemFiles;
  readonly image: ImageDescription;
  readonly warnings: readonly ScanWarning[];
}

/** An image's members by path: streamed, and read whole when they are metadata. */
interface ImageMembers {
  /** Streams a member's bytes; undefined when it is absent. */
  open(name: string): AsyncIterable<Buffer> | undefined;
}

const IMAGE_MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]);
const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set([OCI_INDEX_MEDIA_TYPE, DOCKER_MANIFEST_LIST_MEDIA_TYPE]);
/** Nested indexes followed at most; real layouts nest once (a multi-platform index in index.json). */
const MAX_INDEX_DEPTH = 4;
/** Links between archive members followed at most (docker save links duplicate layers). */
const MAX_MEMBER_LINKS = 8;

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/** Node has zstd from 22.15 (and 23.8); the types of Node 20 do not declare it. */
const createZstdDecompress = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;

/**
 * Default cap on the bytes an image decompresses to (a gzip archive and its compressed
 * layers): real Alpine-based images are tens of MiB, large toolchain images a few GiB of tar;
 * a gzip bomb (3 GiB of zeros in a 14 MB image) is stopped at 2 GiB.
 */
const DEFAULT_MAX_IMAGE_BYTES = 2 * 1024 ** 3;

/** Members up to this size are held from the first pass over an archive: manifests, indexes and configs are a few KiB. */
const HELD_MEMBER_BYTES = 64 * 1024;
/** All held members together; past this, members are streamed again when read. */
const MAX_HELD_BYTES = 16 * 1024 * 1024;
/** A metadata member (manifest.json, index.json, an OCI manifest or index) is read whole up to this size. */
const MAX_METADATA_BYTES = 4 * 1024 * 1024;

/** The decompressed bytes an image may still produce; each stream takes its share as it flows. */
interface ImageBudget {
  readonly max: number;
  used: number;
}

/** For streams whose bytes were already counted (a gzip archive read again). */
const uncounted = (): ImageBudget => ({ max: Infinity, used: 0 });

/** The first bytes of a stream (at least `length` unless it is shorter), and the whole stream again. */
async function peek(chunks: AsyncIterable<Buffer>, length: number): Promise<{ head: Buffer; all: AsyncGenerator<Buffer>; close: () => Promise<void> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const read: Buffer[] = [];
  let readLength = 0;
  let done = false;
  while (readLength < length) {
    const result = await iterator.next();
    if (result.done === true) {
      done = true;
      break;
    }
    read.push(result.value);
    readLength += result.value.length;
  }
  const close = async () => {
    if (!done) await iterator.return?.();
  };
  async function* all(): AsyncGenerator<Buffer> {
    try {
      yield* read;
      if (done) return;
      for (let result = await iterator.next(); result.done !== true; result = await iterator.next()) yield result.value;
      done = true;
    } finally {
      await close();
    }
  }
  return { head: Buffer.concat(read), all: all(), close };
}

/**
 * The stream decompressed when it is gzip (or, for a layer, zstd), counting what it
 * decompresses to against the budget as it flows and stopping past the cap; as it is otherwise.
 */
async function* decompressed(chunks: AsyncIterable<Buffer>, source: string, what: 'layer' | 'archive', budget: ImageBudget): AsyncGenerator<Buffer> {
  const { head, all } = await peek(chunks, ZSTD_MAGIC.length);
  let kind: 'gzip' | 'zstd';
  let decompressor: Transform;
  if (isGzip(head)) {
    kind = 'gzip';
    decompressor = zlib.createGunzip();
  } else if (what === 'layer' && head.subarray(0, ZSTD_MAGIC.length).equals(ZSTD_MAGIC)) {
    if (createZstdDecompress === undefined) throw new InputError(source, undefined, 'zstd-compressed layer: reading it needs Node.js 22.15 or newer');
    kind = 'zstd';
    decompressor = createZstdDecompress();
  } else {
    yield* all;
    return;
  }
  const before = budget.used;
  // pipeline() destroys every stage when one fails, so iterating its output ends with that error.
  const output = pipeline(Readable.from(all), decompressor, () => undefined);
  try {
    for await (const chunk of output) {
      budget.used += (chunk as Buffer).length;
      if (budget.used > budget.max) {
        throw new InputError(source, undefined, `decompresses past the image cap of ${budget.max} bytes (--max-image-bytes); ${before} bytes were used by what came before`);
      }
      yield chunk as Buffer;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!(error instanceof InputError) && typeof code === 'string' && code.startsWith('Z_')) {
      throw new InputError(source, undefined, `corrupt or truncated ${kind} ${what} (${(error as Error).message})`);
    }
    throw error;
  } finally {
    output.destroy();
  }
}

/** A member read whole; metadata only, so a member past MAX_METADATA_BYTES is refused. */
async function readMember(members: ImageMembers, source: string, name: string): Promise<Buffer | undefined> {
  const chunks = members.open(name);
  if (chunks === undefined) return undefined;
  const pieces: Buffer[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    length += chunk.length;
    if (length > MAX_METADATA_BYTES) throw new InputError(`${source}: ${name}`, undefined, `larger than ${MAX_METADATA_BYTES} bytes: not image metadata`);
    pieces.push(chunk);
  }
  return Buffer.concat(pieces);
}

function platformName(descriptor: OciDescriptor): string {
  const platform = descriptor.platform;
  if (platform === undefined) return 'unspecified platform';
  return [platform.os, platform.architecture, platform.variant].filter((part) => part !== undefined).join('/');
}

/** Image manifests reachable from an index, depth first, skipping attestation entries (`unknown/unknown`). */
async function imageManifests(members: ImageMembers, source: string, indexBytes: Buffer, indexSource: string, depth: number): Promise<OciDescriptor[]> {
  const found: OciDescriptor[] = [];
  for (const descriptor of parseOciIndex(indexBytes, indexSource).manifests) {
    if (descriptor.platform?.os === 'unknown') continue;
    if (INDEX_MEDIA_TYPES.has(descriptor.mediaType)) {
      if (depth >= MAX_INDEX_DEPTH) throw new InputError(indexSource, undefined, `image indexes nested more than ${MAX_INDEX_DEPTH} deep`);
      const path = ociBlobPath(descriptor.digest);
      found.push(...(await imageManifests(members, source, await requireMember(members, source, path), `${source}: ${path}`, depth + 1)));
    } else if (IMAGE_MANIFEST_MEDIA_TYPES.has(descriptor.mediaType)) {
      found.push(descriptor);
    }
  }
  return found;
}

async function requireMember(members: ImageMembers, source: string, path: string): Promise<Buffer> {
  const bytes = await readMember(members, source, path);
  if (bytes === undefined) throw new InputError(source, undefined, `${path} is named by the image's manifest but missing`);
  return bytes;
}

interface LayerPlan {
  readonly format: ImageDescription['format'];
  readonly tags: readonly string[];
  readonly layers: readonly string[];
}

async function planLayers(members: ImageMembers, source: string, warnings: ScanWarning[]): Promise<LayerPlan> {
  const dockerManifest = await readMember(members, source, 'manifest.json');
  if (dockerManifest !== undefined) {
    const images = parseDockerSaveManifest(dockerManifest, `${source}: manifest.json`);
    const [first] = images;
    if (first === undefined) throw new InputError(`${source}: manifest.json`, undefined, 'lists no image');
    if (images.length > 1) {
      const names = images.map((image, index) => image.repoTags[0] ?? `image ${index + 1}`);
      warnings.push({ code: 'image-choice', message: `the archive holds ${images.length} images (${names.join(', ')}); scanned the first` });
    }
    return { format: 'docker-save', tags: first.repoTags, layers: first.layers };
  }
  const index = await readMember(members, source, 'index.json');
  if (index === undefined) {
    throw new InputError(source, undefined, 'not a container image: no manifest.json (docker save) or index.json (OCI image layout)');
  }
  const manifests = await imageManifests(members, source, index, `${source}: index.json`, 0);
  const [first] = manifests;
  if (first === undefined) throw new InputError(`${source}: index.json`, undefined, 'names no image manifest');
  if (manifests.length > 1) {
    warnings.push({
      code: 'image-choice',
      message: `the image index lists ${manifests.length} images (${manifests.map(platformName).join(', ')}); scanned the first (${platformName(first)})`,
    });
  }
  const manifestPath = ociBlobPath(first.digest);
  const manifest = parseOciManifest(await requireMember(members, source, manifestPath), `${source}: ${manifestPath}`);
  return { format: 'oci-layout', tags: [], layers: manifest.layers.map((layer) => ociBlobPath(layer.digest)) };
}

/**
 * Rebuilds the scan's files from an image's layers, streaming each layer in turn and keeping
 * only the files a scan reads. `source` names the image in messages; the layer whose
 * decompression passes the budget is named.
 */
async function readLayers(members: ImageMembers, source: string, budget: ImageBudget): Promise<ImageSystem> {
  const warnings: ScanWarning[] = [];
  const plan = await planLayers(members, source, warnings);
  const layered = new LayeredFiles();
  for (const layer of plan.layers) {
    const layerSource = `${source}: ${layer}`;
    const open = () => {
      const chunks = members.open(layer);
      if (chunks === undefined) throw new InputError(source, undefined, `${layer} is named by the image's manifest but missing`);
      return decompressed(chunks, layerSource, 'layer', budget);
    };
    layered.applyLayer(await readLayerChanges(open, layerSource));
  }
  return {
    files: collectSystemFiles((path) => layered.read(path)),
    image: { format: plan.format, tags: plan.tags, layers: plan.layers.length },
    warnings,
  };
}

interface ArchiveMember {
  readonly type: TarEntryType;
  readonly linkName: string | undefined;
  readonly headerOffset: number;
  readonly size: number;
  /** Held from the first pass when small (metadata); otherwise streamed again. */
  readonly content: Buffer | undefined;
}

/** The data of the member whose header is at `headerOffset`, from a stream of the whole archive. */
async function* memberData(chunks: AsyncIterable<Buffer>, source: string, headerOffset: number): AsyncGenerator<Buffer> {
  const reader = new TarReader(source);
  let inMember = false;
  for await (const chunk of chunks) {
    reader.write(chunk);
    for (let event = reader.next(); event !== undefined; event = reader.next()) {
      if (event.kind === 'entry') inMember = event.header.headerOffset === headerOffset;
      else if (event.kind === 'data') {
        if (inMember) yield event.bytes;
      } else if (inMember) return;
    }
  }
}

/**
 * Indexes an image tarball in one streaming pass (gunzipped when it is gzip, counted against
 * the budget), holding only small members. A member is then streamed from its place in the
 * file, or, in a gzip archive, by reading the archive again up to it.
 */
async function archiveMembers(path: string, budget: ImageBudget): Promise<ImageMembers> {
  const { head, all, close } = await peek(decompressed(streamInputBytes(path), path, 'archive', budget), 512);
  if (!looksLikeTar(head)) {
    await close();
    throw new InputError(path, undefined, 'not an image tarball (docker save or OCI archive); for an installed database use --installed FILE');
  }
  const gzipped = isGzip(await readPrefix(path, 2));
  const members = new Map<string, ArchiveMember>();
  const reader = new TarReader(path);
  let held = 0;
  let current: { readonly header: TarHeader; readonly pieces: Buffer[] | undefined } | undefined;
  const drain = () => {
    for (let event = reader.next(); event !== undefined; event = reader.next()) {
      if (event.kind === 'entry') {
        const { header } = event;
        const hold = header.type === 'file' && header.size <= HELD_MEMBER_BYTES && held + header.size <= MAX_HELD_BYTES;
        if (hold) held += header.size;
        current = { header, pieces: hold ? [] : undefined };
      } else if (event.kind === 'data') current?.pieces?.push(Buffer.from(event.bytes));
      else if (current !== undefined) {
        const { header, pieces } = current;
        const { type, linkName, headerOffset, size } = header;
        members.set(normalizePath(header.name), { type, linkName, headerOffset, size, content: pieces === undefined ? undefined : Buffer.concat(pieces) });
        current = undefined;
      }
    }
  };
  for await (const chunk of all) {
    reader.write(chunk);
    drain();
  }
  reader.end();
  drain();

  const find = (name: string): ArchiveMember | undefined => {
    let memberPath = normalizePath(name);
    for (let hop = 0; hop <= MAX_MEMBER_LINKS; hop += 1) {
      const member = members.get(memberPath);
      if (member === undefined) return undefined;
      if (member.type === 'file') return member;
      if (member.linkName === undefined) return undefined;
      // Hard links name a member path; symlinks are relative to the link's folder.
      const folder = memberPath.includes('/') ? memberPath.slice(0, memberPath.lastIndexOf('/')) : '';
      memberPath = normalizePath(member.type === 'hardlink' ? member.linkName : `${folder}/${member.linkName}`);
    }
    throw new InputError(path, undefined, `${name}: too many links between archive members`);
  };
  return {
    open(name) {
      const member = find(name);
      if (member === undefined) return undefined;
      const { content, headerOffset, size } = member;
      if (content !== undefined) return Readable.from([content]);
      if (gzipped) return memberData(decompressed(streamInputBytes(path), path, 'archive', uncounted()), path, headerOffset);
      const start = headerOffset + 512;
      return size === 0 ? Readable.from([]) : streamInputBytes(path, { start, end: start + size - 1 });
    },
  };
}

async function readPrefix(path: string, length: number): Promise<Buffer> {
  const { head, close } = await peek(streamInputBytes(path, { start: 0, end: length - 1 }), length);
  await close();
  return head;
}

/** The members of an unpacked image folder. */
function folderMembers(root: string): ImageMembers {
  return {
    open(name) {
      const path = join(root, normalizePath(name));
      return isFile(path) ? streamInputBytes(path) : undefined;
    },
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** True when `bytes` starts with a POSIX or GNU tar header (`ustar` magic at offset 257). */
function looksLikeTar(bytes: Buffer): boolean {
  return bytes.length >= 512 && bytes.subarray(257, 262).toString('latin1') === 'ustar';
}

/**
 * Reads an image tarball (`docker save` or OCI archive, gzip-compressed or not) through
 * streams; what a gzip archive and its compressed layers decompress to may total `maxBytes`.
 */
export async function readImageArchive(path: string, maxBytes: number = DEFAULT_MAX_IMAGE_BYTES): Promise<ImageSystem> {
  const budget: ImageBudget = { max: maxBytes, used: 0 };
  return readLayers(await archiveMembers(path, budget), path, budget);
}

/** Reads an unpacked image folder (an OCI layout), streaming its layers; compressed layers may total `maxBytes`. */
export async function readImageFolder(path: string, maxBytes: number = DEFAULT_MAX_IMAGE_BYTES): Promise<ImageSystem> {
  return readLayers(folderMembers(path), path, { max: maxBytes, used: 0 });
}

/** True when the folder is an unpacked image rather than a root filesystem. */
export function isImageFolder(path: string): boolean {
  const exists = (name: string) => isFile(join(path, name));
  return !exists('lib/apk/db/installed') && (exists('oci-layout') || exists('index.json') || exists('manifest.json'));
}
