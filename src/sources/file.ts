import { createReadStream } from 'node:fs';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { InputError } from '../base/input-error.js';

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

function describeFsError(path: string, error: unknown): InputError {
  const code = (error as NodeJS.ErrnoException).code;
  const problem =
    code === 'ENOENT' ? 'no such file'
    : code === 'EACCES' ? 'permission denied'
    : code === 'EISDIR' ? 'is a directory, expected a file'
    : `cannot read: ${(error as Error).message}`;
  return new InputError(path, undefined, problem);
}

/** Reads a whole file as raw bytes (no decompression), with file errors as InputError. */
export async function readInputBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw describeFsError(path, error);
  }
}

async function startsWithGzipMagic(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && isGzip(head);
  } finally {
    await handle.close();
  }
}

/**
 * Streams a file's content, gunzipping it when it starts with the gzip magic number
 * (whatever its name), so `.json` and `.json.gz` read alike. Memory stays bounded by the
 * chunk size. Read and decompression errors surface as InputError naming the file.
 */
export async function* streamInput(path: string): AsyncGenerator<Buffer> {
  let gzipped: boolean;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    gzipped = await startsWithGzipMagic(path);
  } catch (error) {
    throw describeFsError(path, error);
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = gzipped ? raw.pipe(createGunzip()) : raw;
  if (gzipped) raw.on('error', (error) => stream.destroy(error));
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      const problem = code === 'Z_BUF_ERROR' ? 'truncated gzip data' : `corrupt gzip data (${(error as Error).message})`;
      throw new InputError(path, `byte ${raw.bytesRead}`, problem);
    }
    throw describeFsError(path, error);
  } finally {
    raw.destroy();
  }
}

/**
 * Streams a file's raw bytes (no decompression), or the bytes from `start` to `end`
 * inclusive, with file errors as InputError naming the file.
 */
export async function* streamInputBytes(path: string, range: { readonly start: number; readonly end: number } | undefined = undefined): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: 1 << 16, ...range });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    throw describeFsError(path, error);
  } finally {
    stream.destroy();
  }
}

/** Reads a whole file, gunzipped when it is gzip, as one buffer. For inputs known to be small. */
export async function readInput(path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of streamInput(path)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The files a folder walk found, and the symlinks it passed over. */
interface FolderFiles {
  /** Paths of the files `wanted` accepts, in code-unit order (the same on every machine). */
  readonly files: string[];
  /** Symlinks met, to folders or files: never followed, so a `..` link cannot loop and no file is read twice. */
  readonly skippedLinks: number;
}

/** The files under `root`, at any depth, whose names `wanted` accepts, found without following symlinks. */
export async function listFolderFiles(root: string, wanted: (name: string) => boolean): Promise<FolderFiles> {
  const files: string[] = [];
  let skippedLinks = 0;
  const pending = [root];
  for (let folder = pending.pop(); folder !== undefined; folder = pending.pop()) {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      throw new InputError(folder, undefined, `cannot read directory: ${(error as Error).message}`);
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isSymbolicLink()) skippedLinks += 1;
      else if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile() && wanted(entry.name)) files.push(path);
    }
  }
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { files, skippedLinks };
}
