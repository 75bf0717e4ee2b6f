import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { InputError } from '../base/input-error.js';
import {
  CHECKSUMS_FILE,
  INDEX_FILE,
  type PublicationIndex,
  SIGNATURE_FILE,
  checkIndexAgainstChecksums,
  checkSignature,
  compareWithChecksums,
  indexKeyName,
  parseChecksums,
  parsePublicationIndex,
  sha256Hex,
} from '../formats/publication.js';
import { type DownloadOptions, acquireSource, isUrl } from './acquire.js';
import { readInputBytes } from './file.js';
import { readTrustedKeys } from './keys.js';

/** A published folder (see src/formats/publication.ts), local or at an http(s) URL, its index checked against its checksums. */
export interface Publication {
  readonly location: string;
  readonly index: PublicationIndex;
  readonly checksums: ReadonlyMap<string, string>;
  /** The trusted key whose signature verified; undefined when read without keys. */
  readonly signer: string | undefined;
  /** Where one of its files is: a path in the folder, or a URL under the base. */
  locate(path: string): string;
  /** Throws InputError naming the file when `bytes` are not what the checksums list for `path`. */
  check(path: string, bytes: Uint8Array): void;
  /** One of its files, read and checked. */
  read(path: string): Promise<Buffer>;
}

/** A URL ending in `/`, or a local folder holding `SHA256SUMS`: a published folder rather than one file. */
export async function isPublication(location: string): Promise<boolean> {
  if (isUrl(location)) return location.endsWith('/');
  try {
    return (await stat(join(location, CHECKSUMS_FILE))).isFile();
  } catch {
    return false;
  }
}

/** Reads a file of a published folder as it is, without checking it. */
function fileReader(location: string, download: DownloadOptions | undefined): { locate: (path: string) => string; readRaw: (path: string) => Promise<Buffer> } {
  if (!isUrl(location)) return { locate: (path) => join(location, ...path.split('/')), readRaw: (path) => readInputBytes(join(location, ...path.split('/'))) };
  const base = location.endsWith('/') ? location : `${location}/`;
  const locate = (path: string) => new URL(path.split('/').map(encodeURIComponent).join('/'), base).href;
  return {
    locate,
    readRaw: async (path) => {
      const acquired = await acquireSource(locate(path), undefined, 'secdb', download);
      if (acquired.status === 'unchanged') throw new Error('a download without a previous fetch cannot be unchanged');
      try {
        return await readFile(acquired.path);
      } finally {
        await acquired.dispose();
      }
    },
  };
}

export interface OpenPublicationOptions {
  /** Folder of trusted public keys: `SHA256SUMS.sig` must verify with one of them. Without it the signature is not read. */
  readonly keysDir?: string | undefined;
  readonly download?: DownloadOptions | undefined;
}

/**
 * Opens a published folder: verifies the signature over `SHA256SUMS` when a keys folder is given,
 * then checks `index.json` against the checksums. Every failure is an InputError naming the file.
 */
export async function openPublication(location: string, options: OpenPublicationOptions = {}): Promise<Publication> {
  const { locate, readRaw } = fileReader(location, options.download);
  const checksumsBytes = await readRaw(CHECKSUMS_FILE);
  const indexBytes = await readRaw(INDEX_FILE);
  let signer: string | undefined;
  if (options.keysDir !== undefined) {
    const trustedKeys = await readTrustedKeys(options.keysDir);
    signer = checkSignature(checksumsBytes, await readRaw(SIGNATURE_FILE), trustedKeys, indexKeyName(indexBytes), locate(SIGNATURE_FILE));
  }
  const checksums = parseChecksums(checksumsBytes.toString('utf8'), locate(CHECKSUMS_FILE));
  const check = (path: string, bytes: Uint8Array) => {
    const expected = checksums.get(path);
    if (expected === undefined) throw new InputError(locate(path), undefined, `not listed in ${CHECKSUMS_FILE}`);
    const found = sha256Hex(bytes);
    if (found !== expected) throw new InputError(locate(path), undefined, `SHA-256 ${found} does not match ${expected} in ${CHECKSUMS_FILE} (tampered or damaged)`);
  };
  check(INDEX_FILE, indexBytes);
  const index = parsePublicationIndex(indexBytes, locate(INDEX_FILE));
  checkIndexAgainstChecksums(index, checksums, locate(INDEX_FILE));
  return {
    location,
    index,
    checksums,
    signer,
    locate,
    check,
    async read(path) {
      const bytes = await readRaw(path);
      check(path, bytes);
      return bytes;
    },
  };
}

/** A file's SHA-256 and size, streamed. */
async function digestFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Files hashed at once: enough to keep the disk and one core busy. */
const HASH_CONCURRENCY = 16;

/** What `secfix verify` found in a publication that passed. */
export interface VerifiedPublication {
  readonly index: PublicationIndex;
  readonly signer: string;
  readonly files: number;
  readonly bytes: number;
}

/**
 * Verifies a local published folder completely: the signature with one of the trusted keys, then
 * every file against the checksums (none changed, none missing, none added). The first failure
 * is an InputError naming the file.
 */
export async function verifyPublication(dir: string, keysDir: string): Promise<VerifiedPublication> {
  const publication = await openPublication(dir, { keysDir });
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    throw new InputError(dir, undefined, `cannot read the folder: ${(error as Error).message}`);
  }
  const files: { name: string; path: string }[] = [];
  for (const entry of entries) {
    if (entry.isDirectory()) continue;
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile()) throw new InputError(path, undefined, 'not a regular file (a publication holds only files and folders)');
    files.push({ name: relative(dir, path).split(sep).join('/'), path });
  }
  const actual = new Map<string, string>();
  let bytes = 0;
  for (let start = 0; start < files.length; start += HASH_CONCURRENCY) {
    const batch = files.slice(start, start + HASH_CONCURRENCY);
    const digests = await Promise.all(batch.map((file) => digestFile(file.path)));
    batch.forEach((file, index) => {
      actual.set(file.name, digests[index]!.sha256);
      bytes += digests[index]!.size;
    });
  }
  compareWithChecksums(publication.checksums, actual, dir);
  return { index: publication.index, signer: publication.signer!, files: actual.size, bytes };
}
