import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
import { type TarEntry, readTar } from '../formats/tar.js';
import { isGzip, readInputBytes } from '../sources/file.js';
import { LayeredFiles, normalizePath } from './layers.js';
import type { ScanWarning } from '../engine/scan-model.js';
import { type SystemFiles, collectSystemFiles } from './system.js';

/*
 * Container images, as `docker save` writes them (manifest.json + layer tarballs) or as an OCI
 * image layout (index.json + blobs), in a tarball or unpacked in a folder. Layers are applied
 * lowest first with their whiteouts (layers.ts), keeping only the files a scan reads.
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

/** Reads one member of an image by its path; undefined when it is absent. */
export interface ImageMembers {
  read(name: string): Buffer | undefined;
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
const zstdDecompressSync = (zlib as { zstdDecompressSync?: (data: Buffer, options: zlib.ZlibOptions) => Buffer }).zstdDecompressSync;

/**
 * Default cap on the bytes an image decompresses to (the archive and all its layers): real
 * Alpine-based images are tens of MiB, large toolchain images a few GiB of tar; 2 GiB stays
 * under Node's largest Buffer while a gzip bomb (3 GiB of zeros in a 14 MB image) is stopped.
 */
export const DEFAULT_MAX_IMAGE_BYTES = 2 * 1024 ** 3;

/** The decompressed bytes an image may still use; each layer takes its share. */
interface ImageBudget {
  readonly max: number;
  used: number;
}

function overCap(source: string, budget: ImageBudget): InputError {
  return new InputError(source, undefined, `decompresses past the image cap of ${budget.max} bytes (--max-image-bytes); ${budget.used} bytes were used by what came before`);
}

/** Decompresses with `decompress`, stopping once the output would pass what the budget has left. */
function decompressWithin(bytes: Buffer, source: string, budget: ImageBudget, what: string, decompress: (data: Buffer, options: zlib.ZlibOptions) => Buffer): Buffer {
  let output: Buffer;
  try {
    // Asking for one byte more than is left tells "exactly at the cap" from "past it".
    output = decompress(bytes, { maxOutputLength: budget.max - budget.used + 1 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw overCap(source, budget);
    throw new InputError(source, undefined, `corrupt or truncated ${what} (${(error as Error).message})`);
  }
  return take(output, source, budget);
}

function take(bytes: Buffer, source: string, budget: ImageBudget): Buffer {
  if (budget.used + bytes.length > budget.max) throw overCap(source, budget);
  budget.used += bytes.length;
  return bytes;
}

/** The layer as tar bytes: gzip and zstd (where Node has it) are recognized by content. */
function layerTar(bytes: Buffer, source: string, budget: ImageBudget): Buffer {
  if (isGzip(bytes)) return decompressWithin(bytes, source, budget, 'gzip layer', zlib.gunzipSync);
  if (bytes.subarray(0, 4).equals(ZSTD_MAGIC)) {
    if (zstdDecompressSync === undefined) throw new InputError(source, undefined, 'zstd-compressed layer: reading it needs Node.js 22.15 or newer');
    return decompressWithin(bytes, source, budget, 'zstd layer', zstdDecompressSync);
  }
  return take(bytes, source, budget);
}

function platformName(descriptor: OciDescriptor): string {
  const platform = descriptor.platform;
  if (platform === undefined) return 'unspecified platform';
  return [platform.os, platform.architecture, platform.variant].filter((part) => part !== undefined).join('/');
}

/** Image manifests reachable from an index, depth first, skipping attestation entries (`unknown/unknown`). */
function imageManifests(members: ImageMembers, source: string, indexBytes: Buffer, indexSource: string, depth: number): OciDescriptor[] {
  const found: OciDescriptor[] = [];
  for (const descriptor of parseOciIndex(indexBytes, indexSource).manifests) {
    if (descriptor.platform?.os === 'unknown') continue;
    if (INDEX_MEDIA_TYPES.has(descriptor.mediaType)) {
      if (depth >= MAX_INDEX_DEPTH) throw new InputError(indexSource, undefined, `image indexes nested more than ${MAX_INDEX_DEPTH} deep`);
      const path = ociBlobPath(descriptor.digest);
      found.push(...imageManifests(members, source, requireMember(members, source, path), `${source}: ${path}`, depth + 1));
    } else if (IMAGE_MANIFEST_MEDIA_TYPES.has(descriptor.mediaType)) {
      found.push(descriptor);
    }
  }
  return found;
}

function requireMember(members: ImageMembers, source: string, path: string): Buffer {
  const bytes = members.read(path);
  if (bytes === undefined) throw new InputError(source, undefined, `${path} is named by the image's manifest but missing`);
  return bytes;
}

interface LayerPlan {
  readonly format: ImageDescription['format'];
  readonly tags: readonly string[];
  readonly layers: readonly string[];
}

function planLayers(members: ImageMembers, source: string, warnings: ScanWarning[]): LayerPlan {
  const dockerManifest = members.read('manifest.json');
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
  const index = members.read('index.json');
  if (index === undefined) {
    throw new InputError(source, undefined, 'not a container image: no manifest.json (docker save) or index.json (OCI image layout)');
  }
  const manifests = imageManifests(members, source, index, `${source}: index.json`, 0);
  const [first] = manifests;
  if (first === undefined) throw new InputError(`${source}: index.json`, undefined, 'names no image manifest');
  if (manifests.length > 1) {
    warnings.push({
      code: 'image-choice',
      message: `the image index lists ${manifests.length} images (${manifests.map(platformName).join(', ')}); scanned the first (${platformName(first)})`,
    });
  }
  const manifestPath = ociBlobPath(first.digest);
  const manifest = parseOciManifest(requireMember(members, source, manifestPath), `${source}: ${manifestPath}`);
  return { format: 'oci-layout', tags: [], layers: manifest.layers.map((layer) => ociBlobPath(layer.digest)) };
}

/**
 * Rebuilds the scan's files from an image's layers. `source` names the image in messages; the
 * layers may decompress to `maxBytes` in all (less what the archive itself took), and the layer
 * that passes it is named.
 */
export function readImageMembers(members: ImageMembers, source: string, maxBytes: number = DEFAULT_MAX_IMAGE_BYTES): ImageSystem {
  return readLayers(members, source, { max: maxBytes, used: 0 });
}

function readLayers(members: ImageMembers, source: string, budget: ImageBudget): ImageSystem {
  const warnings: ScanWarning[] = [];
  const plan = planLayers(members, source, warnings);
  const layered = new LayeredFiles();
  for (const layer of plan.layers) {
    const layerSource = `${source}: ${layer}`;
    layered.applyLayer(readTar(layerTar(requireMember(members, source, layer), layerSource, budget), layerSource));
  }
  return {
    files: collectSystemFiles((path) => layered.read(path)),
    image: { format: plan.format, tags: plan.tags, layers: plan.layers.length },
    warnings,
  };
}

/** The members of a tar archive held in memory; links between members are followed. */
export function archiveMembers(bytes: Buffer, source: string): ImageMembers {
  const entries = new Map<string, TarEntry>();
  for (const entry of readTar(bytes, source)) entries.set(normalizePath(entry.name), entry);
  return {
    read(name) {
      let path = normalizePath(name);
      for (let hop = 0; hop <= MAX_MEMBER_LINKS; hop += 1) {
        const entry = entries.get(path);
        if (entry === undefined) return undefined;
        if (entry.type === 'file') return entry.content;
        if (entry.linkName === undefined) return undefined;
        // Hard links name a member path; symlinks are relative to the link's folder.
        const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
        path = normalizePath(entry.type === 'hardlink' ? entry.linkName : `${folder}/${entry.linkName}`);
      }
      throw new InputError(source, undefined, `${name}: too many links between archive members`);
    },
  };
}

/** The members of an unpacked image folder. */
export function folderMembers(root: string): ImageMembers {
  return {
    read(name) {
      const path = join(root, normalizePath(name));
      try {
        return readFileSync(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw new InputError(path, undefined, `cannot read: ${(error as Error).message}`);
      }
    },
  };
}

/** True when `bytes` starts with a POSIX or GNU tar header (`ustar` magic at offset 257). */
function looksLikeTar(bytes: Buffer): boolean {
  return bytes.length >= 512 && bytes.subarray(257, 262).toString('latin1') === 'ustar';
}

/**
 * Reads an image tarball (`docker save` or OCI archive, gzip-compressed or not); what a gzip
 * archive decompresses to counts against `maxBytes` with its layers.
 */
export async function readImageArchive(path: string, maxBytes: number = DEFAULT_MAX_IMAGE_BYTES): Promise<ImageSystem> {
  const budget: ImageBudget = { max: maxBytes, used: 0 };
  const raw = await readInputBytes(path);
  const bytes = isGzip(raw) ? decompressWithin(raw, path, budget, 'gzip archive', zlib.gunzipSync) : raw;
  if (!looksLikeTar(bytes)) {
    throw new InputError(path, undefined, 'not an image tarball (docker save or OCI archive); for an installed database use --installed FILE');
  }
  return readLayers(archiveMembers(bytes, path), path, budget);
}

/** True when the folder is an unpacked image rather than a root filesystem. */
export function isImageFolder(path: string): boolean {
  const exists = (name: string) => {
    try {
      return statSync(join(path, name)).isFile();
    } catch {
      return false;
    }
  };
  return !exists('lib/apk/db/installed') && (exists('oci-layout') || exists('index.json') || exists('manifest.json'));
}
