import { type KeyObject, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mkdir, mkdtemp, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DEFAULT_CSAF_NAMESPACE } from '../base/export.js';
import { InputError } from '../base/input-error.js';
import type { OsvOptions } from '../formats/osv.js';
import {
  CHECKSUMS_FILE,
  INDEX_FILE,
  type PublishedFile,
  SIGNATURE_FILE,
  formatChecksums,
  formatPublicationIndex,
  publishedPathProblem,
  sha256Hex,
  signChecksums,
} from '../formats/publication.js';
import { isPublication } from '../sources/publication.js';
import { securityIndex } from './security-index.js';
import { type Store, getDataVersion, listBranches, withReadSnapshot } from '../store/index.js';
import { DEFAULT_URL_PREFIX, openVexExport, secdbExport, statesTable, writeCsafFiles, writeOsvFiles } from './export.js';

const JSON_TYPE = 'application/json';

/** What every export of a publication is made with. */
export interface PublishContext {
  readonly store: Pick<Store, 'db' | 'dialect'>;
  /** Names the OpenVEX document's author. */
  readonly distribution: string;
  /** The tracker's public address: OSV records reference its vulnerability pages, OpenVEX its document id. */
  readonly baseUrl: string | undefined;
  readonly osvPrefix: string;
  /** The purl namespace of the packages (`alpine`, `wolfi`). */
  readonly purlNamespace: string;
}

/**
 * Writes one file of the publication: a relative `/`-separated path, its media type and content,
 * whole or in pieces as they are made (a large export is never held whole).
 */
type WriteFile = (path: string, mediaType: string, content: string | AsyncIterable<string>) => Promise<void>;

/** One export of a publication: its name (each file's `export` in index.json) and the files it writes. */
export interface PublishedExport {
  readonly name: string;
  write(context: PublishContext, file: WriteFile): Promise<void>;
}

/**
 * Every export a publication holds, at the paths the tracker serves them under `/export/`, so
 * with the same base URL the files are the bytes the tracker serves. Adding a file is one entry.
 */
export const PUBLISHED_EXPORTS: readonly PublishedExport[] = [
  {
    name: 'secdb',
    async write({ store }, file) {
      for (const branch of await listBranches(store.db)) {
        for (const repository of branch.repositories) {
          await file(`secdb/${branch.name}/${repository.name}.json`, JSON_TYPE, await secdbExport(store, branch.name, repository.name, DEFAULT_URL_PREFIX));
        }
      }
    },
  },
  {
    name: 'security-index',
    async write({ store }, file) {
      for (const branch of await listBranches(store.db)) {
        for (const arch of branch.archs) {
          await file(`security-index/${branch.name}/${arch}.json`, JSON_TYPE, await securityIndex(store.db, branch.name, arch));
        }
      }
    },
  },
  {
    name: 'osv',
    async write({ store, baseUrl, osvPrefix, purlNamespace }, file) {
      const options: OsvOptions = { prefix: osvPrefix, purlNamespace, advisoryUrl: baseUrl === undefined ? undefined : (id) => `${baseUrl}/cve/${encodeURIComponent(id)}` };
      await writeOsvFiles(store, options, (name, text) => file(`osv/${name}`, JSON_TYPE, text));
    },
  },
  {
    name: 'openvex',
    async write({ store, distribution, baseUrl, purlNamespace }, file) {
      const idBase = baseUrl === undefined ? 'urn:secfix:openvex:' : `${baseUrl}/export/openvex.json#`;
      await file('openvex.json', JSON_TYPE, openVexExport(store, {}, { author: `${distribution} security tracker`, idBase, purlNamespace }));
    },
  },
  {
    name: 'csaf',
    async write({ store, distribution, baseUrl, purlNamespace }, file) {
      const advisoryUrl = baseUrl === undefined ? undefined : (id: string) => `${baseUrl}/cve/${encodeURIComponent(id)}`;
      await writeCsafFiles(store, { distribution, namespace: baseUrl ?? DEFAULT_CSAF_NAMESPACE, purlNamespace, advisoryUrl }, (name, text) =>
        file(`csaf/${name}`, name.endsWith('.json') ? JSON_TYPE : name.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'text/plain; charset=utf-8', text),
      );
    },
  },
  {
    name: 'states',
    async write({ store }, file) {
      // No day applied: a publication describes the data, so the same database gives the same bytes.
      await file('states.csv', 'text/csv; charset=utf-8', statesTable(store, {}, undefined, 'csv'));
      await file('states.json', JSON_TYPE, statesTable(store, {}, undefined, 'json'));
    },
  },
];

export interface PublishOptions extends PublishContext {
  readonly exports: readonly PublishedExport[];
  /** The signing key and the name of its public key in the readers' keys folders (`name.rsa.pub`). */
  readonly key: KeyObject;
  readonly keyName: string;
}

export interface PublishSummary {
  readonly dataVersion: number;
  readonly files: number;
  readonly bytes: number;
}

/** Writes a new file (`wx`: never one already there); its size and SHA-256. */
async function writeWhole(target: string, content: Buffer): Promise<{ size: number; sha256: string }> {
  await writeFile(target, content, { flag: 'wx' });
  return { size: content.length, sha256: sha256Hex(content) };
}

/** Writes a new file piece by piece as the pieces are made, hashing them on the way. */
async function writeStreamed(target: string, pieces: AsyncIterable<string>): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const counted = async function* () {
    for await (const piece of pieces) {
      const chunk = Buffer.from(piece);
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  };
  await pipeline(Readable.from(counted()), createWriteStream(target, { flags: 'wx' }));
  return { size, sha256: hash.digest('hex') };
}

/** Files flushed at once: enough for the filesystem to commit them together. */
const SYNC_CONCURRENCY = 16;

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncAll(paths: readonly string[]): Promise<void> {
  for (let start = 0; start < paths.length; start += SYNC_CONCURRENCY) await Promise.all(paths.slice(start, start + SYNC_CONCURRENCY).map(syncPath));
}

/**
 * Whether `dir` exists, to be replaced. It must then be a previous publication (or empty):
 * publishing never replaces a folder of other things.
 */
async function existingPublication(dir: string): Promise<boolean> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(dir)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new InputError(dir, undefined, `cannot read: ${(error as Error).message}`);
  }
  if (!isFolder) throw new InputError(dir, undefined, 'exists and is not a folder');
  if (!(await isPublication(dir)) && (await readdir(dir)).length > 0) {
    throw new InputError(dir, undefined, `is not empty and holds no ${CHECKSUMS_FILE}: not a previous publication, so it is left alone`);
  }
  return true;
}

/** Renames `temp` to `dir`, the older `dir` aside first and removed last; the older one is put back if the swap fails. */
async function swapIn(temp: string, dir: string, replacing: boolean): Promise<void> {
  const parent = dirname(dir);
  if (!replacing) {
    await rename(temp, dir);
    await syncPath(parent);
    return;
  }
  const old = await mkdtemp(join(parent, `.${basename(dir)}.old-`));
  await rename(dir, old);
  try {
    await rename(temp, dir);
  } catch (error) {
    await rename(old, dir);
    throw error;
  }
  await syncPath(parent);
  await rm(old, { recursive: true, force: true });
}

/**
 * Writes every export into `dir` with `index.json`, `SHA256SUMS` and `SHA256SUMS.sig`. The files
 * are written to a temporary sibling folder and flushed to disk, then the folder is renamed into
 * place (an older publication renamed aside first, then removed), so readers see the old
 * publication or the new one, never part of one. On failure the temporary folder is removed and
 * the older publication stays. Same database, same bytes: times come from the data, and every
 * file from one read snapshot of it.
 */
export async function publish(dir: string, options: PublishOptions): Promise<PublishSummary> {
  const replacing = await existingPublication(dir);
  const temp = await mkdtemp(join(dirname(dir), `.${basename(dir)}.new-`));
  try {
    const files: PublishedFile[] = [];
    const written: string[] = [];
    const folders = new Set<string>([temp]);
    let bytes = 0;
    /** Writes a file of the publication; its size and SHA-256. */
    const put = async (path: string, content: Buffer | AsyncIterable<string>): Promise<{ size: number; sha256: string }> => {
      const problem = publishedPathProblem(path);
      if (problem !== undefined) throw new InputError(path, undefined, `file name ${problem}`);
      const target = join(temp, ...path.split('/'));
      if (!folders.has(dirname(target))) {
        await mkdir(dirname(target), { recursive: true });
        folders.add(dirname(target));
      }
      // `wx`: two exports writing one path is a mistake in the table, not a file to overwrite.
      const result = Buffer.isBuffer(content) ? await writeWhole(target, content) : await writeStreamed(target, content);
      written.push(target);
      bytes += result.size;
      return result;
    };
    // One snapshot for every export, so files made while an update commits still agree.
    const dataVersion = await withReadSnapshot(options.store, async (db) => {
      const version = await getDataVersion(db);
      const context = { ...options, store: { ...options.store, db } };
      for (const entry of options.exports) {
        await entry.write(context, async (path, mediaType, content) => {
          const { size, sha256 } = await put(path, typeof content === 'string' ? Buffer.from(content) : content);
          files.push({ path, export: entry.name, mediaType, size, sha256 });
        });
      }
      return version;
    });
    const index = Buffer.from(formatPublicationIndex({ dataVersion: dataVersion.version, generated: dataVersion.changedAt, key: options.keyName, files }));
    await put(INDEX_FILE, index);
    const checksums = Buffer.from(formatChecksums([...files, { path: INDEX_FILE, sha256: sha256Hex(index) }]));
    await put(CHECKSUMS_FILE, checksums);
    await put(SIGNATURE_FILE, signChecksums(checksums, options.key));
    await syncAll(written);
    await syncAll([...folders]);
    await swapIn(temp, dir, replacing);
    return { dataVersion: dataVersion.version, files: written.length, bytes };
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}
