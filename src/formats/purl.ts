/**
 * The package URL of an apk package (purl-spec, type `apk`): `pkg:apk/NAMESPACE/NAME[@VERSION]?arch=ARCH`.
 * The namespace names the distribution (`alpine`, `wolfi`, `postmarketos`), which scanners match
 * a product against; `arch=source` names an origin package.
 */
export function apkPurl(namespace: string, name: string, version: string | null, arch: string): string {
  return `pkg:apk/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${version === null ? '' : `@${encodeURIComponent(version)}`}?arch=${encodeURIComponent(arch)}`;
}
