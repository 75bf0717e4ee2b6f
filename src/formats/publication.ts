import { type KeyObject, createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { InputError } from '../base/input-error.js';
import { JsonReader } from './json-value.js';

/**
 * A signed publication: a folder of exports a CDN serves, with `SHA256SUMS` (sha256sum's
 * format: `<hex>  <path>` lines sorted by path, every file but the two below), its detached
 * signature `SHA256SUMS.sig` (RSA PKCS#1 v1.5 over SHA-256, made with an abuild-style RSA key,
 * so the same keys folder that checks APKINDEX files checks publications) and `index.json`
 * describing the files. Only the signature is trusted; `index.json` is one more checksummed file.
 */

export const CHECKSUMS_FILE = 'SHA256SUMS';
export const SIGNATURE_FILE = 'SHA256SUMS.sig';
export const INDEX_FILE = 'index.json';

/** What `index.json` says of the publication. */
export interface PublicationIndex {
  /** The data version the exports were made from, and when the data last changed (ISO-8601 UTC). */
  readonly dataVersion: number;
  readonly generated: string;
  /** The public key's file name (`alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub`), as apk's keys folder holds it. */
  readonly key: string;
  readonly files: readonly PublishedFile[];
}

export interface PublishedFile {
  /** Relative, `/`-separated. */
  readonly path: string;
  /** The export that wrote it (`secdb`, `osv`, `openvex`, `states`). */
  readonly export: string;
  readonly mediaType: string;
  readonly size: number;
  readonly sha256: string;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What is wrong with a file's path in a publication: it must be relative and stay inside the folder (no empty, `.` or `..` segment, no backslash); undefined when it is fine. */
export function publishedPathProblem(path: string): string | undefined {
  if (path === '' || path.includes('\\') || path.includes('\0')) return 'is not a relative path';
  return path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..') ? 'is not a relative path inside the folder' : undefined;
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** `SHA256SUMS`: one `<hex>  <path>` line per file, sorted by path (as `LC_ALL=C sort -k2` would). */
export function formatChecksums(files: readonly { readonly path: string; readonly sha256: string }[]): string {
  return [...files].sort(byPath).map((file) => `${file.sha256}  ${file.path}\n`).join('');
}

/** Reads `SHA256SUMS` into a map from path to hex digest; a malformed, unsafe or repeated line is an InputError at its line. */
export function parseChecksums(text: string, source: string): Map<string, string> {
  const sums = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, index) => {
    const place = `line ${index + 1}`;
    const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (match === null) throw new InputError(source, place, 'expected "<sha256 hex>  <path>"');
    const [, sha256, path] = match as unknown as [string, string, string];
    const problem = publishedPathProblem(path);
    if (problem !== undefined) throw new InputError(source, place, `${JSON.stringify(path)} ${problem}`);
    if (sums.has(path)) throw new InputError(source, place, `${path} is listed twice`);
    sums.set(path, sha256);
  });
  return sums;
}

/** An abuild RSA private key (PEM, PKCS#1 or PKCS#8) to sign with; `source` names the key file in errors. */
export function readSigningKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new InputError(source, undefined, 'not a PEM private key');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new InputError(source, undefined, `expected an RSA key, found ${key.asymmetricKeyType ?? 'another kind'}`);
  return key;
}

/** The detached signature of `SHA256SUMS`: RSA PKCS#1 v1.5 over SHA-256, the same bytes for the same input. */
export function signChecksums(checksums: Uint8Array, key: KeyObject): Buffer {
  return sign('sha256', checksums, key);
}

/** The public key file name that goes with a private key file (`name.rsa` → `name.rsa.pub`), as abuild names them. */
export function publicKeyName(privateKeyFileName: string): string {
  return `${privateKeyFileName}.pub`;
}

/**
 * The trusted key (by file name) whose signature over the checksums verifies; the key the index
 * names is tried first. Throws InputError naming the signature file when none does.
 */
export function checkSignature(checksums: Uint8Array, signature: Uint8Array, trustedKeys: ReadonlyMap<string, string>, named: string | undefined, source: string): string {
  const order = [...trustedKeys.keys()].sort((a, b) => Number(b === named) - Number(a === named));
  for (const name of order) {
    let valid: boolean;
    try {
      valid = verify('sha256', checksums, createPublicKey(trustedKeys.get(name)!), signature);
    } catch {
      // OpenSSL throws on some malformed signatures (wrong length) and on keys of another kind.
      valid = false;
    }
    if (valid) return name;
  }
  const problem =
    named !== undefined && trustedKeys.has(named) ? `signature does not verify with trusted key ${named} (tampered, or signed by another key)`
    : `signed by an unknown key${named === undefined ? '' : ` (the index names ${named})`}: no trusted key verifies it`;
  throw new InputError(source, undefined, problem);
}

export function formatPublicationIndex(index: PublicationIndex): string {
  const files = [...index.files].sort(byPath).map((file) => ({ path: file.path, export: file.export, mediaType: file.mediaType, size: file.size, sha256: file.sha256 }));
  return `${JSON.stringify({ dataVersion: index.dataVersion, generated: index.generated, key: index.key, files }, null, 2)}\n`;
}

/**
 * The key `index.json` names, read before anything in it is trusted, only to try that key first;
 * undefined when the file does not say.
 */
export function indexKeyName(bytes: Buffer): string | undefined {
  try {
    const key: unknown = (JSON.parse(bytes.toString('utf8')) as { key?: unknown }).key;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Reads `index.json`; a missing or wrong field is an InputError at its JSON path. */
export function parsePublicationIndex(bytes: Buffer, source: string): PublicationIndex {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new InputError(source, undefined, `malformed JSON: ${(error as Error).message}`);
  }
  const root = JsonReader.of(value, source).asObject();
  return {
    dataVersion: root.field('dataVersion').asNumber(),
    generated: root.field('generated').asTimestamp(),
    key: root.string('key'),
    files: root.array('files').map((item) => {
      const file = item.asObject();
      const path = file.string('path');
      const problem = publishedPathProblem(path);
      if (problem !== undefined) file.field('path').fail(`${JSON.stringify(path)} ${problem}`);
      return { path, export: file.string('export'), mediaType: file.string('mediaType'), size: file.field('size').asNumber(), sha256: file.string('sha256') };
    }),
  };
}

/**
 * Compares the files a folder holds (path → SHA-256) with the signed checksums: the first file
 * (by path) that differs, is missing or is not listed throws InputError naming it under `root`.
 * The signature and checksums files themselves are not listed.
 */
export function compareWithChecksums(checksums: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>, root: string): void {
  const paths = [...new Set([...checksums.keys(), ...actual.keys()])].filter((path) => path !== CHECKSUMS_FILE && path !== SIGNATURE_FILE).sort();
  for (const path of paths) {
    const expected = checksums.get(path);
    const found = actual.get(path);
    const source = `${root}/${path}`;
    if (expected === undefined) throw new InputError(source, undefined, `extra file not listed in ${CHECKSUMS_FILE}`);
    if (found === undefined) throw new InputError(source, undefined, `missing: ${CHECKSUMS_FILE} lists it`);
    if (found !== expected) throw new InputError(source, undefined, `SHA-256 ${found} does not match ${expected} in ${CHECKSUMS_FILE} (tampered or damaged)`);
  }
}

/** Checks that `index.json` describes exactly the files the checksums list, with their digests. */
export function checkIndexAgainstChecksums(index: PublicationIndex, checksums: ReadonlyMap<string, string>, source: string): void {
  const described = new Map(index.files.map((file) => [file.path, file.sha256]));
  const listed = [...checksums].filter(([path]) => path !== INDEX_FILE);
  const disagreeing = listed.find(([path, sha256]) => described.get(path) !== sha256) ?? [...described].find(([path]) => !checksums.has(path));
  if (disagreeing !== undefined) throw new InputError(source, undefined, `describes ${disagreeing[0]} other than ${CHECKSUMS_FILE} lists it`);
}
