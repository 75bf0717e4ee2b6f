import type { ApkIndexTrust, ApkPackage } from '../../formats/apkindex.js';
import { parseApkIndexText, readApkIndexArchive } from '../../formats/apkindex.js';
import { InputError } from '../../base/input-error.js';
import { isGzip, readInputBytes } from '../../sources/file.js';
import { readTrustedKeys } from '../../sources/keys.js';
import type { InspectReader } from './kind.js';

const DIGEST_NAMES = { sha1: 'SHA-1', sha256: 'SHA-256', sha512: 'SHA-512' } as const;

function describeTrust(trust: ApkIndexTrust): string {
  switch (trust.status) {
    case 'verified': return `verified with ${trust.keyName} (RSA/${DIGEST_NAMES[trust.algorithm]})`;
    case 'unsigned': return 'UNSIGNED (accepted: --allow-untrusted)';
    case 'unknown-key': return `UNTRUSTED key ${trust.keyNames.join(', ')} (accepted: --allow-untrusted)`;
    case 'bad-signature': return `BAD signature for ${trust.keyNames.join(', ')} (accepted: --allow-untrusted)`;
  }
}

/** Counts packages, origins and architectures for the index and installed-db summaries. */
export class PackageTally {
  private count = 0;
  private readonly origins = new Set<string>();
  private readonly arches = new Set<string>();

  add(pkg: ApkPackage): void {
    this.count++;
    this.origins.add(pkg.origin);
    this.arches.add(pkg.arch ?? '(none)');
  }

  lines(): string[] {
    const arches = [...this.arches].sort().join(', ');
    return [`packages: ${this.count} (from ${this.origins.size} origins)`, `arch: ${arches === '' ? '(no packages)' : arches}`];
  }
}

/**
 * `secfix inspect apkindex FILE`: a signed `APKINDEX.tar.gz` (recognized by content) or a
 * plain APKINDEX text. A signed archive needs `--keys DIR` unless `--allow-untrusted`.
 */
export const apkindexReader: InspectReader = {
  async inspect(file, options, emit) {
    const bytes = await readInputBytes(file);
    const tally = new PackageTally();
    let packages: ApkPackage[];
    let description: string;
    let signature: string;
    if (isGzip(bytes)) {
      if (options.keysDir === undefined && !options.allowUntrusted) {
        throw new InputError(file, undefined, 'cannot verify a signed index without --keys DIR (or pass --allow-untrusted)');
      }
      const trustedKeys = options.keysDir === undefined ? new Map<string, string>() : await readTrustedKeys(options.keysDir);
      const archive = readApkIndexArchive(bytes, file, { trustedKeys, allowUntrusted: options.allowUntrusted });
      packages = archive.packages;
      description = archive.description ?? '(none)';
      signature = describeTrust(archive.trust);
    } else {
      packages = parseApkIndexText(bytes.toString('utf8'), file);
      description = '(plain text index)';
      signature = 'none (plain text, not verifiable)';
    }
    for (const pkg of packages) {
      tally.add(pkg);
      emit(pkg);
    }
    return [`description: ${description}`, ...tally.lines(), `signature: ${signature}`];
  },
};
