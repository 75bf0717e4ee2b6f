import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from '../base/input-error.js';
import { retryAfterMs } from '../formats/retry-after.js';

/** What the last successful import of a source recorded, to skip it when nothing changed. */
interface PreviousFetch {
  readonly checksum?: string | null;
  readonly etag?: string | null;
  readonly lastModified?: string | null;
}

/** A source whose content changed (or was never seen): a local file to read. */
interface AcquiredSource {
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

interface UnchangedSource {
  readonly status: 'unchanged';
  /** How we know: the server said 304, or the content hash matched. */
  readonly reason: 'not-modified' | 'same-checksum';
}

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** Hashes and counts what passes; fails with `tooLarge()` once more than `maxBytes` passed. */
function hashingPassThrough(hash: ReturnType<typeof createHash>, counter: { bytes: number }, maxBytes: number, tooLarge: () => Error): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counter.bytes += chunk.length;
      if (counter.bytes > maxBytes) {
        callback(tooLarge());
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
}

/** Read size for hashing a local file: a yearly NVD feed is a few hundred reads, not thousands of 64 KiB ones. */
const READ_CHUNK_BYTES = 1 << 20;

async function sha256OfFile(path: string): Promise<{ checksum: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(path, undefined, code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`);
  }
  return { checksum: hash.digest('hex'), bytes };
}

/** The kinds of source secfix downloads; each has its own default size cap. */
export type DownloadKind = 'apkindex' | 'secdb' | 'nvd' | 'cve5' | 'rejections';

const MIB = 1024 * 1024;

/**
 * Default download caps, a few times the largest real file of each kind: an edge community
 * APKINDEX.tar.gz is about 1.5 MiB, a secdb file 1 MiB, a yearly NVD 2.0 feed about 25 MiB
 * gzipped and 500 MiB as plain JSON (counted after Content-Encoding is undone), a CVE 5 record
 * and a rejections file a few KiB.
 */
const DEFAULT_MAX_DOWNLOAD_BYTES: Readonly<Record<DownloadKind, number>> = {
  apkindex: 64 * MIB,
  secdb: 64 * MIB,
  nvd: 1024 * MIB,
  cve5: 16 * MIB,
  rejections: 16 * MIB,
};

/** How downloads retry, wait, stop and how big they may be. */
export interface DownloadOptions {
  /** Largest body accepted, in bytes; the kind's default when absent. */
  readonly maxBytes?: number;
  /** Requests per download when the server answers 5xx or 429 (the first included). */
  readonly tries?: number;
  /** Wait before the first retry; doubled for each next one, unless the server sends Retry-After. */
  readonly retryDelayMs?: number;
  /** Longest wait accepted, Retry-After included: a server asking for more is an error. */
  readonly maxRetryDelayMs?: number;
  /** Sleeps between tries; tests pass one that records the delays instead of sleeping. */
  readonly wait?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** Aborts the download (SIGINT/SIGTERM); its temporary file is removed and `signal.reason` thrown. */
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

const DEFAULT_TRIES = 4;
const DEFAULT_RETRY_DELAY_MS = 1_000;
const DEFAULT_MAX_RETRY_DELAY_MS = 60_000;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function isRetryable(status: number, serverErrors: boolean): boolean {
  return status === 429 || (serverErrors && status >= 500 && status <= 599);
}

function describeBytes(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`;
}

/**
 * One HTTP request: GET unless told. GET and PUT are idempotent: a 5xx answer or a connection
 * closed before any answer is retried for them, never for a POST, since the server may have
 * acted before failing. A 429 is always retried: the server did not act.
 */
export interface HttpRequest {
  readonly method?: 'GET' | 'POST' | 'PUT';
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** Error codes of a connection the server closed or reset before answering. */
const DROPPED_CONNECTION_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

function droppedConnection(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' && DROPPED_CONNECTION_CODES.has(code);
}

/**
 * One fetch, sent a second time when the connection drops before any answer and the request is
 * idempotent: fetch reuses kept-alive connections, and one the server has just closed fails this
 * way (a CI run saw ECONNRESET); the failed socket is discarded, so the resend opens a new one.
 */
async function fetchOnce(location: string, request: HttpRequest, options: DownloadOptions, idempotent: boolean): Promise<Response> {
  const send = () => {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 120_000);
    return fetch(location, {
      method: request.method ?? 'GET',
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]),
      redirect: 'follow',
    });
  };
  try {
    return await send();
  } catch (error) {
    if (!idempotent || options.signal?.aborted || !droppedConnection(error)) throw error;
    return send();
  }
}

/**
 * Asks for a URL, retrying 429 (and, for idempotent requests, 5xx) answers up to `tries` times
 * with exponential backoff, waiting as the server's Retry-After says when it sends one, and
 * resending an idempotent request once when its connection drops before any answer. Returns the
 * first other answer.
 */
export async function fetchWithRetries(location: string, request: HttpRequest, options: DownloadOptions): Promise<Response> {
  const tries = options.tries ?? DEFAULT_TRIES;
  const maxDelay = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const wait = options.wait ?? sleep;
  const method = request.method ?? 'GET';
  const idempotent = method !== 'POST';
  for (let attempt = 1; ; attempt += 1) {
    let response: Response;
    try {
      response = await fetchOnce(location, request, options, idempotent);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
      if (!droppedConnection(error)) throw new InputError(location, undefined, `cannot fetch: ${cause}`);
      const outcome = idempotent ? 'sent twice' : `not resent: the server may have carried out the ${method}`;
      throw new InputError(location, undefined, `the connection closed before any answer (${cause}); ${outcome}`);
    }
    if (!isRetryable(response.status, idempotent)) return response;
    const answer = `HTTP ${response.status} ${response.statusText}`.trim();
    await response.body?.cancel();
    if (attempt >= tries) throw new InputError(location, undefined, `${answer} (after ${tries} tries)`);
    const asked = retryAfterMs(response.headers.get('retry-after'), Date.now());
    if (asked !== undefined && asked > maxDelay) {
      throw new InputError(location, undefined, `${answer}: the server asks to retry after ${Math.ceil(asked / 1_000)} s, longer than the ${maxDelay / 1_000} s secfix waits`);
    }
    await wait(asked ?? Math.min(maxDelay, (options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS) * 2 ** (attempt - 1)), options.signal);
  }
}

/**
 * Gets a source (a local path or an http(s) URL) if it changed since `previous`. URLs are
 * fetched with If-None-Match / If-Modified-Since (retrying 5xx and 429) and streamed to a
 * temporary file while hashed, so memory stays flat for big feeds; a body over the size cap is
 * refused, and a 200 answer with the same hash still counts as unchanged. Local files are the
 * user's own and have no cap.
 */
export async function acquireSource(
  location: string,
  previous: PreviousFetch | undefined,
  kind: DownloadKind,
  options: DownloadOptions = {},
): Promise<AcquiredSource | UnchangedSource> {
  if (!isUrl(location)) {
    const { checksum, bytes } = await sha256OfFile(location);
    if (previous?.checksum === checksum) return { status: 'unchanged', reason: 'same-checksum' };
    return { status: 'changed', path: location, checksum, etag: null, lastModified: null, bytes, dispose: () => Promise.resolve() };
  }

  const headers: Record<string, string> = { 'user-agent': 'secfix' };
  if (previous?.etag) headers['if-none-match'] = previous.etag;
  if (previous?.lastModified) headers['if-modified-since'] = previous.lastModified;
  const response = await fetchWithRetries(location, { headers }, options);
  if (response.status === 304) return { status: 'unchanged', reason: 'not-modified' };
  if (!response.ok || response.body === null) {
    throw new InputError(location, undefined, `HTTP ${response.status} ${response.statusText}`.trim());
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES[kind];
  const tooLarge = () => new InputError(location, undefined, `download larger than the ${describeBytes(maxBytes)} cap for ${kind} sources (--max-download-bytes)`);
  // A gzip Content-Encoding body only grows when undone, so its Content-Length already tells.
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
    await response.body.cancel();
    throw tooLarge();
  }

  const dir = await mkdtemp(join(tmpdir(), 'secfix-fetch-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, basename(new URL(location).pathname) || 'download');
  const hash = createHash('sha256');
  const counter = { bytes: 0 };
  try {
    await pipeline(Readable.fromWeb(response.body), hashingPassThrough(hash, counter, maxBytes, tooLarge), createWriteStream(path), {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    await dispose();
    if (options.signal?.aborted) throw options.signal.reason;
    if (error instanceof InputError) throw error;
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
