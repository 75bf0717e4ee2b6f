import { createHash } from 'node:crypto';
import { type TarMember, writeTar } from './tar.js';

/*
 * Writing a minimal `docker save` archive: `manifest.json` (an array of `{Config, RepoTags,
 * Layers}`, moby `image/tarexport/tarexport.go` manifestItem), the image configuration named by
 * its digest, and one uncompressed `<digest>/layer.tar` per layer, as `docker save` wrote them
 * before it switched to the OCI layout. `parseDockerSaveManifest` in oci.ts reads the same shape.
 */

export interface DockerSaveImage {
  /** The files of each layer, lowest layer first. */
  readonly layers: readonly (readonly TarMember[])[];
  /** `name:tag` the image is saved under. */
  readonly tag: string;
  /** Architecture in Go's naming (`amd64`, `arm64`), for the configuration. */
  readonly architecture: string;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The archive's bytes: the same image always gives the same bytes. */
export function writeDockerSave(image: DockerSaveImage): Buffer {
  const layers = image.layers.map((members) => {
    const bytes = writeTar(members);
    const digest = sha256(bytes);
    return { bytes, digest, path: `${digest}/layer.tar` };
  });
  const config = Buffer.from(
    JSON.stringify({ architecture: image.architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((layer) => `sha256:${layer.digest}`) } }),
  );
  const configPath = `${sha256(config)}.json`;
  const manifest = Buffer.from(JSON.stringify([{ Config: configPath, RepoTags: [image.tag], Layers: layers.map((layer) => layer.path) }]));
  return writeTar([
    ...layers.flatMap((layer): TarMember[] => [{ name: `${layer.digest}/` }, { name: layer.path, content: layer.bytes }]),
    { name: configPath, content: config },
    { name: 'manifest.json', content: manifest },
  ]);
}

/** apk's architecture names in Go's naming, which image configurations use. */
const DOCKER_ARCHITECTURES: Readonly<Record<string, string>> = { x86_64: 'amd64', x86: '386', aarch64: 'arm64', armhf: 'arm', armv7: 'arm' };

/** The image configuration's `architecture` for an apk architecture (`x86_64` → `amd64`). */
export function dockerArchitecture(apkArch: string): string {
  return DOCKER_ARCHITECTURES[apkArch] ?? apkArch;
}
