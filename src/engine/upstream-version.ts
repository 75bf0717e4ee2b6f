import { compareVersions, isValidVersion } from '../version/index.js';

/**
 * Upstream versions: a package's version without Alpine's `-rN` release, and NVD's version
 * strings rewritten in apk's spelling so the two can be ordered by apk's rules.
 */

const PKGREL = /-r\d+$/;

/**
 * NVD writes pre- and post-release markers glued on or after a separator (`8.6p1`, `1.2.3-rc.1`,
 * `4.0 patch10`); apk writes them as one `_suffix` token. Only these words have a clear apk
 * counterpart; `patch` and `update` are patch levels, which apk spells `_p`.
 */
const SUFFIXED = /^(\d+(?:\.\d+)*[a-z]?)[-._]?(alpha|beta|pre|rc|patch|update|p)[-._]?(\d*)$/;
const SUFFIX_SPELLING: Readonly<Record<string, string>> = {
  alpha: 'alpha',
  beta: 'beta',
  pre: 'pre',
  rc: 'rc',
  patch: 'p',
  update: 'p',
  p: 'p',
};

/** `9.0_p1-r2` → `9.0_p1`: the version upstream released, which is what NVD describes. */
export function upstreamVersion(apkVersion: string): string {
  return apkVersion.replace(PKGREL, '');
}

/**
 * An NVD or upstream version in apk spelling, or undefined when its order against apk versions
 * would be a guess (`1.0.0.RELEASE`, `2023-01-01`, git hashes, `*`, `-`): the caller must then
 * say "unknown" rather than compare.
 */
export function normalizeNvdVersion(version: string): string | undefined {
  const text = version.trim().toLowerCase().replace(/^v(?=\d)/, '');
  if (isValidVersion(text) && !PKGREL.test(text)) return text;
  const parts = SUFFIXED.exec(text);
  if (parts === null) return undefined;
  const [, base = '', word = '', number = ''] = parts;
  const normalized = `${base}_${SUFFIX_SPELLING[word] ?? word}${number}`;
  return isValidVersion(normalized) ? normalized : undefined;
}

/**
 * The version a CPE names through its version and update attributes, as one NVD-style string
 * for normalizeNvdVersion (`openssh:9.3:p1` → `9.3-p1`). A date-like update (ncurses
 * `6.4:20230408`) is a patch level, as Alpine writes ncurses snapshots (`6.3_p20220521`).
 */
export function cpeVersionText(version: string, update: string | undefined): string {
  if (update === undefined) return version;
  return /^\d+$/.test(update) ? `${version}_p${update}` : `${version}-${update}`;
}

/**
 * The order of `upstream` against an NVD version apk cannot read in full, when the readable
 * start of that version already decides it: `3.0.7` is above `1.0.2zh` (OpenSSL's letters
 * past z) whatever `h` means. An upstream version that begins with that readable start could
 * fall either side, so it stays undecided, as does a version with an apk-style `-rN`.
 */
function orderBeforeUnreadableTail(upstream: string, nvdVersion: string): -1 | 1 | undefined {
  const text = nvdVersion.trim().toLowerCase();
  if (isValidVersion(text)) return undefined;
  for (let end = text.length - 1; end > 0; end--) {
    const readable = text.slice(0, end);
    if (!isValidVersion(readable)) continue;
    if (upstream.startsWith(readable)) return undefined;
    const order = compareVersions(upstream, readable);
    return order === 0 ? undefined : order;
  }
  return undefined;
}

/**
 * Orders a package version (with or without `-rN`) against an NVD version: -1, 0 or 1 as apk
 * orders the upstream part, or undefined when either side has no trustworthy apk order.
 */
export function compareUpstream(packageVersion: string, nvdVersion: string): -1 | 0 | 1 | undefined {
  const upstream = upstreamVersion(packageVersion);
  if (!isValidVersion(upstream)) return undefined;
  const normalized = normalizeNvdVersion(nvdVersion);
  return normalized === undefined ? orderBeforeUnreadableTail(upstream, nvdVersion) : compareVersions(upstream, normalized);
}
