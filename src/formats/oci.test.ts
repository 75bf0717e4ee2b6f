import { describe, expect, it } from 'vitest';
import { inputErrorFrom } from '../test-support/input-errors.js';
import { ociBlobPath, parseDockerSaveManifest, parseOciIndex, parseOciManifest } from './oci.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const digest = (char: string) => `sha256:${char.repeat(64)}`;

describe('parseDockerSaveManifest', () => {
  it('reads config, tags and layers in order, as docker save writes them', () => {
    // The shape moby's tarexport writes: one object per image, layer paths lowest first.
    const images = parseDockerSaveManifest(
      json([{ Config: 'a1b2.json', RepoTags: ['alpine:3.16'], Layers: ['1111/layer.tar', './2222/layer.tar'] }]),
      'manifest.json',
    );
    // `./2222/layer.tar` is the same member as `2222/layer.tar`: the leading `./` is dropped.
    expect(images).toEqual([{ config: 'a1b2.json', repoTags: ['alpine:3.16'], layers: ['1111/layer.tar', '2222/layer.tar'] }]);
  });

  it('accepts an untagged image (RepoTags null, as `docker save IMAGE-ID` writes it)', () => {
    expect(parseDockerSaveManifest(json([{ Config: 'c.json', RepoTags: null, Layers: [] }]), 'm')[0]?.repoTags).toEqual([]);
  });

  it('refuses a layer path that would leave the image folder', () => {
    // Read from an unpacked folder, `../x` would name a file outside it.
    const error = inputErrorFrom(() => parseDockerSaveManifest(json([{ Config: 'c.json', Layers: ['../etc/passwd'] }]), 'manifest.json'));
    expect(error.message).toBe('manifest.json: $[0].Layers[0]: member path "../etc/passwd" leaves the image');
  });

  it('names the missing field and malformed JSON', () => {
    expect(inputErrorFrom(() => parseDockerSaveManifest(json([{ Config: 'c.json' }]), 'm')).message).toBe('m: $[0].Layers: missing (expected an array)');
    expect(inputErrorFrom(() => parseDockerSaveManifest(Buffer.from('[{'), 'm')).problem).toMatch(/^malformed JSON/);
    expect(inputErrorFrom(() => parseDockerSaveManifest(json({}), 'm')).message).toBe('m: $: expected an array, found an object');
  });
});

describe('parseOciIndex and parseOciManifest', () => {
  it('reads descriptors with their platform', () => {
    const index = parseOciIndex(
      json({
        schemaVersion: 2,
        manifests: [
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest('a'), size: 480, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest('b'), size: 481 },
        ],
      }),
      'index.json',
    );
    expect(index.manifests).toEqual([
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest('a'), size: 480, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest('b'), size: 481 },
    ]);
  });

  it('reads a manifest config and its layers lowest first', () => {
    const layer = (char: string) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest(char), size: 10 });
    const manifest = parseOciManifest(
      json({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest('c'), size: 5 }, layers: [layer('1'), layer('2')] }),
      'm',
    );
    expect(manifest.layers.map((entry) => entry.digest)).toEqual([digest('1'), digest('2')]);
    expect(manifest.config.digest).toBe(digest('c'));
  });

  it('refuses a digest that is not `algorithm:encoded`, so a blob path cannot leave blobs/', () => {
    const bad = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:../../etc', size: 1 };
    expect(inputErrorFrom(() => parseOciIndex(json({ manifests: [bad] }), 'index.json')).message).toBe(
      'index.json: $.manifests[0].digest: not a content digest: "sha256:../../etc"',
    );
  });

  it('refuses a negative or fractional size', () => {
    const bad = { mediaType: 'x/y', digest: digest('a'), size: 1.5 };
    expect(inputErrorFrom(() => parseOciIndex(json({ manifests: [bad] }), 'i')).message).toBe('i: $.manifests[0].size: expected a byte count, found 1.5');
  });
});

describe('ociBlobPath', () => {
  it('is blobs/<algorithm>/<encoded>, the image-layout.md location', () => {
    expect(ociBlobPath(digest('f'))).toBe(`blobs/sha256/${'f'.repeat(64)}`);
  });
});
