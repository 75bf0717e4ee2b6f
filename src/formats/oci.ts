import { InputError } from '../base/input-error.js';
import { jsonPath } from './json-path.js';
import { type JsonObject, type JsonPathStep, describeJsonValue, isJsonObject, ownField } from './json-value.js';

/*
 * The JSON documents that say which layers make up a container image, in the two archive
 * shapes image tools write:
 * - `docker save`: `manifest.json`, an array of `{Config, RepoTags, Layers}` whose `Layers` are
 *   member paths in layer order (moby `image/tarexport/tarexport.go` manifestItem);
 * - OCI image layout: `index.json` (an image index), image manifests and indexes stored as
 *   blobs under `blobs/<algorithm>/<encoded>` (OCI image-spec v1.1 `image-layout.md`,
 *   `image-index.md`, `manifest.md`, `descriptor.md`).
 */

export interface DockerSaveImage {
  /** Member path of the image configuration. */
  readonly config: string;
  readonly repoTags: readonly string[];
  /** Member paths of the layer tarballs, lowest layer first. */
  readonly layers: readonly string[];
}

export interface OciPlatform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** A content descriptor: what a blob is and how to find it. */
export interface OciDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: OciPlatform;
}

export interface OciIndex {
  readonly manifests: readonly OciDescriptor[];
}

export interface OciManifest {
  readonly config: OciDescriptor;
  /** Lowest layer first. */
  readonly layers: readonly OciDescriptor[];
}

export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
/** Docker's multi-platform list, which OCI layouts written by Docker tools may reference. */
export const DOCKER_MANIFEST_LIST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.list.v2+json';

class Reader {
  constructor(readonly source: string) {}

  fail(steps: readonly JsonPathStep[], problem: string): InputError {
    return new InputError(this.source, jsonPath(steps), problem);
  }

  parse(bytes: Buffer): unknown {
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch (error) {
      throw new InputError(this.source, undefined, `malformed JSON: ${(error as Error).message}`);
    }
  }

  object(value: unknown, at: readonly JsonPathStep[]): JsonObject {
    if (!isJsonObject(value)) throw this.fail(at, `expected an object, found ${describeJsonValue(value)}`);
    return value;
  }

  array(value: unknown, at: readonly JsonPathStep[]): unknown[] {
    if (!Array.isArray(value)) throw this.fail(at, value === undefined ? 'missing' : `expected an array, found ${describeJsonValue(value)}`);
    return value;
  }

  string(value: unknown, at: readonly JsonPathStep[]): string {
    if (typeof value !== 'string' || value === '') {
      throw this.fail(at, value === undefined ? 'missing' : `expected a non-empty string, found ${describeJsonValue(value)}`);
    }
    return value;
  }
}

/**
 * A member path inside an image archive or folder: relative, without `..`, so reading it from
 * a folder can never leave that folder.
 */
function memberPath(reader: Reader, value: unknown, at: readonly JsonPathStep[]): string {
  const path = reader.string(value, at);
  const parts = path.split('/');
  if (path.startsWith('/') || parts.includes('..')) {
    throw reader.fail(at, `member path ${JSON.stringify(path)} leaves the image`);
  }
  return parts.filter((part) => part !== '' && part !== '.').join('/');
}

/** Parses a `docker save` `manifest.json`: one entry per saved image. */
export function parseDockerSaveManifest(bytes: Buffer, source: string): DockerSaveImage[] {
  const reader = new Reader(source);
  const images = reader.array(reader.parse(bytes), []);
  return images.map((entry, index) => {
    const image = reader.object(entry, [index]);
    const rawTags = ownField(image, 'RepoTags');
    const repoTags = rawTags === undefined || rawTags === null
      ? []
      : reader.array(rawTags, [index, 'RepoTags']).map((tag, at) => reader.string(tag, [index, 'RepoTags', at]));
    return {
      config: memberPath(reader, ownField(image, 'Config'), [index, 'Config']),
      repoTags,
      layers: reader.array(ownField(image, 'Layers'), [index, 'Layers']).map((layer, at) => memberPath(reader, layer, [index, 'Layers', at])),
    };
  });
}

/** OCI digest grammar (`descriptor.md`): `algorithm:encoded`; neither part can hold `/` or `..`. */
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function descriptor(reader: Reader, value: unknown, at: readonly JsonPathStep[]): OciDescriptor {
  const object = reader.object(value, at);
  const digest = reader.string(ownField(object, 'digest'), [...at, 'digest']);
  if (!DIGEST.test(digest)) throw reader.fail([...at, 'digest'], `not a content digest: ${JSON.stringify(digest.slice(0, 80))}`);
  const size = ownField(object, 'size');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw reader.fail([...at, 'size'], size === undefined ? 'missing' : `expected a byte count, found ${JSON.stringify(size)}`);
  }
  const mediaType = reader.string(ownField(object, 'mediaType'), [...at, 'mediaType']);
  const rawPlatform = ownField(object, 'platform');
  if (rawPlatform === undefined) return { mediaType, digest, size };
  const platform = reader.object(rawPlatform, [...at, 'platform']);
  const variant = ownField(platform, 'variant');
  return {
    mediaType,
    digest,
    size,
    platform: {
      os: reader.string(ownField(platform, 'os'), [...at, 'platform', 'os']),
      architecture: reader.string(ownField(platform, 'architecture'), [...at, 'platform', 'architecture']),
      ...(variant === undefined ? {} : { variant: reader.string(variant, [...at, 'platform', 'variant']) }),
    },
  };
}

/** Parses an OCI image index (`index.json` or a nested index blob). */
export function parseOciIndex(bytes: Buffer, source: string): OciIndex {
  const reader = new Reader(source);
  const root = reader.object(reader.parse(bytes), []);
  const manifests = reader.array(ownField(root, 'manifests'), ['manifests']);
  return { manifests: manifests.map((entry, index) => descriptor(reader, entry, ['manifests', index])) };
}

/** Parses an OCI (or Docker schema 2) image manifest. */
export function parseOciManifest(bytes: Buffer, source: string): OciManifest {
  const reader = new Reader(source);
  const root = reader.object(reader.parse(bytes), []);
  return {
    config: descriptor(reader, ownField(root, 'config'), ['config']),
    layers: reader.array(ownField(root, 'layers'), ['layers']).map((entry, index) => descriptor(reader, entry, ['layers', index])),
  };
}

/** Where an OCI layout stores the blob with this (already validated) digest. */
export function ociBlobPath(digest: string): string {
  const colon = digest.indexOf(':');
  return `blobs/${digest.slice(0, colon)}/${digest.slice(colon + 1)}`;
}
