import { InputError } from '../base/input-error.js';
import { JsonReader, quoteInput } from './json-value.js';

/*
 * The JSON documents that say which layers make up a container image, in the two archive
 * shapes image tools write:
 * - `docker save`: `manifest.json`, an array of `{Config, RepoTags, Layers}` whose `Layers` are
 *   member paths in layer order (moby `image/tarexport/tarexport.go` manifestItem);
 * - OCI image layout: `index.json` (an image index), image manifests and indexes stored as
 *   blobs under `blobs/<algorithm>/<encoded>` (OCI image-spec v1.1 `image-layout.md`,
 *   `image-index.md`, `manifest.md`, `descriptor.md`).
 */

interface DockerSaveImage {
  /** Member path of the image configuration. */
  readonly config: string;
  readonly repoTags: readonly string[];
  /** Member paths of the layer tarballs, lowest layer first. */
  readonly layers: readonly string[];
}

interface OciPlatform {
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

interface OciIndex {
  readonly manifests: readonly OciDescriptor[];
}

interface OciManifest {
  readonly config: OciDescriptor;
  /** Lowest layer first. */
  readonly layers: readonly OciDescriptor[];
}

export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
/** Docker's multi-platform list, which OCI layouts written by Docker tools may reference. */
export const DOCKER_MANIFEST_LIST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.list.v2+json';

function readJson(bytes: Buffer, source: string): JsonReader {
  try {
    return JsonReader.of(JSON.parse(bytes.toString('utf8')), source);
  } catch (error) {
    throw new InputError(source, undefined, `malformed JSON: ${(error as Error).message}`);
  }
}

/**
 * A member path inside an image archive or folder: relative, without `..`, so reading it from
 * a folder can never leave that folder.
 */
function memberPath(field: JsonReader): string {
  const path = field.asNonEmptyString();
  const parts = path.split('/');
  if (path.startsWith('/') || parts.includes('..')) field.fail(`member path ${quoteInput(path)} leaves the image`);
  return parts.filter((part) => part !== '' && part !== '.').join('/');
}

/** Parses a `docker save` `manifest.json`: one entry per saved image. */
export function parseDockerSaveManifest(bytes: Buffer, source: string): DockerSaveImage[] {
  return readJson(bytes, source)
    .asArray()
    .map((entry) => {
      const image = entry.asObject();
      // docker writes `"RepoTags": null` for an untagged image.
      const repoTags = image.field('RepoTags').value === null ? [] : image.optionalArray('RepoTags');
      return {
        config: memberPath(image.field('Config')),
        repoTags: repoTags.map((tag) => tag.asNonEmptyString()),
        layers: image.array('Layers').map(memberPath),
      };
    });
}

/** OCI digest grammar (`descriptor.md`): `algorithm:encoded`; neither part can hold `/` or `..`. */
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function descriptor(value: JsonReader): OciDescriptor {
  const object = value.asObject();
  const digestField = object.field('digest');
  const digest = digestField.asNonEmptyString();
  if (!DIGEST.test(digest)) digestField.fail(`not a content digest: ${quoteInput(digest)}`);
  const sizeField = object.field('size');
  const size = sizeField.asNumber();
  if (!Number.isSafeInteger(size) || size < 0) sizeField.fail(`expected a byte count, found ${size}`);
  const mediaType = object.field('mediaType').asNonEmptyString();
  const platform = object.optionalObject('platform');
  if (platform === undefined) return { mediaType, digest, size };
  const variant = platform.optional('variant')?.asNonEmptyString();
  return {
    mediaType,
    digest,
    size,
    platform: {
      os: platform.field('os').asNonEmptyString(),
      architecture: platform.field('architecture').asNonEmptyString(),
      ...(variant === undefined ? {} : { variant }),
    },
  };
}

/** Parses an OCI image index (`index.json` or a nested index blob). */
export function parseOciIndex(bytes: Buffer, source: string): OciIndex {
  return { manifests: readJson(bytes, source).asObject().array('manifests').map(descriptor) };
}

/** Parses an OCI (or Docker schema 2) image manifest. */
export function parseOciManifest(bytes: Buffer, source: string): OciManifest {
  const root = readJson(bytes, source).asObject();
  return { config: descriptor(root.field('config')), layers: root.array('layers').map(descriptor) };
}

/** Where an OCI layout stores the blob with this (already validated) digest. */
export function ociBlobPath(digest: string): string {
  const colon = digest.indexOf(':');
  return `blobs/${digest.slice(0, colon)}/${digest.slice(colon + 1)}`;
}
