import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from '../formats/input-error.js';

/** What the last successful import of a source recorded, to skip it when nothing changed. */
export interface PreviousFetch {
  readonly checksum?: string | null;
  readonly etag?: string | null;
  readonly lastModified?: string | null;
}

/** A source whose content changed (or was never seen): a local file to read. */
export interface AcquiredSource {
  readonly status: 'changed';
  /** Local path of the content (a temporary copy for URLs). */
  readonly path: string;
  /** SHA-256 of the raw bytes, hex. */
  readonly checksum: string;
  readonly etag: string | null;
  readonly lastModified: string | null;
  readonly bytes: number;
  /** Removes the temporary copy, if any. */
  dispose(): Promise<void>;
}

export interface UnchangedSource {
  readonly status: 'unchanged';
  /** How we know: the server said 304, or the content hash matched. */
  readonly reason: 'not-modified' | 'same-checksum';
}

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

function hashingPassThrough(hash: ReturnType<typeof createHash>, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      counter.bytes += chunk.length;
      callback(null, chunk);
    },
  });
}

async function sha256OfFile(path: string): Promise<{ checksum: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(path, undefined, code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`);
  }
  return { checksum: hash.digest('hex'), bytes };
}

/**
 * Gets a source (a local path or an http(s) URL) if it changed since `previous`. URLs are
 * fetched with If-None-Match / If-Modified-Since and streamed to a temporary file while hashed,
 * so memory stays flat for big feeds; a 200 answer with the same hash still counts as unchanged.
 */
export async function acquireSource(
  location: string,
  previous: PreviousFetch | undefined,
  options: { timeoutMs?: number } = {},
): Promise<AcquiredSource | UnchangedSource> {
  if (!isUrl(location)) {
    const { checksum, bytes } = await sha256OfFile(location);
    if (previous?.checksum === checksum) return { status: 'unchanged', reason: 'same-checksum' };
    return { status: 'changed', path: location, checksum, etag: null, lastModified: null, bytes, dispose: () => Promise.resolve() };
  }

  const headers: Record<string, string> = { 'user-agent': 'secfix' };
  if (previous?.etag) headers['if-none-match'] = previous.etag;
  if (previous?.lastModified) headers['if-modified-since'] = previous.lastModified;
  let response: Response;
  try {
    response = await fetch(location, { headers, signal: AbortSignal.timeout(options.timeoutMs ?? 120_000), redirect: 'follow' });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new InputError(location, undefined, `cannot fetch: ${cause}`);
  }
  if (response.status === 304) return { status: 'unchanged', reason: 'not-modified' };
  if (!response.ok || response.body === null) {
    throw new InputError(location, undefined, `HTTP ${response.status} ${response.statusText}`.trim());
  }

  const dir = await mkdtemp(join(tmpdir(), 'secfix-fetch-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, basename(new URL(location).pathname) || 'download');
  const hash = createHash('sha256');
  const counter = { bytes: 0 };
  try {
    await pipeline(Readable.fromWeb(response.body), hashingPassThrough(hash, counter), createWriteStream(path));
  } catch (error) {
    await dispose();
    throw new InputError(location, `byte ${counter.bytes}`, `download failed: ${(error as Error).message}`);
  }
  const checksum = hash.digest('hex');
  if (previous?.checksum === checksum) {
    await dispose();
    return { status: 'unchanged', reason: 'same-checksum' };
  }
  return {
    status: 'changed',
    path,
    checksum,
    etag: response.headers.get('etag'),
    lastModified: response.headers.get('last-modified'),
    bytes: counter.bytes,
    dispose,
  };
}
