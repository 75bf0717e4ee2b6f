import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

/** Bodies smaller than this are sent as they are: compressing them saves nothing worth the CPU. */
const MIN_COMPRESS_BYTES = 1024;

export type ContentEncoding = 'br' | 'gzip' | 'identity';

/** One rendered response, kept with the data version it was rendered from, and its compressed forms once asked for. */
export interface CachedBody {
  readonly dataVersion: number;
  readonly contentType: string;
  readonly body: Buffer;
  gzip?: Buffer;
  br?: Buffer;
}

/** Picks br, else gzip, else nothing, from an Accept-Encoding header (q=0 excludes). */
export function chooseEncoding(acceptEncoding: string | undefined, size: number): ContentEncoding {
  if (acceptEncoding === undefined || size < MIN_COMPRESS_BYTES) return 'identity';
  const accepted = new Set(
    acceptEncoding
      .split(',')
      .map((part) => part.trim().toLowerCase())
      .filter((part) => !/;\s*q=0(\.0*)?$/.test(part))
      .map((part) => part.split(';')[0]?.trim()),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return 'identity';
}

/** The body in the chosen encoding, compressing once and keeping the result on the entry. */
export function encodedBody(entry: CachedBody, encoding: ContentEncoding): Buffer {
  if (encoding === 'br') {
    entry.br ??= brotliCompressSync(entry.body, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: entry.body.length },
    });
    return entry.br;
  }
  if (encoding === 'gzip') {
    entry.gzip ??= gzipSync(entry.body, { level: 6 });
    return entry.gzip;
  }
  return entry.body;
}

const entrySize = (entry: CachedBody) => entry.body.length + (entry.gzip?.length ?? 0) + (entry.br?.length ?? 0);

/**
 * Rendered responses by URL and format, least recently used dropped first. Pages change only
 * when an import or update commits, which bumps the data version, so an entry is valid exactly
 * while its data version is current.
 */
export class ResponseCache {
  readonly #entries = new Map<string, CachedBody>();
  #bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get(key: string, dataVersion: number): CachedBody | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.dataVersion !== dataVersion) {
      this.#bytes -= entrySize(entry);
      return undefined;
    }
    this.#entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: CachedBody): void {
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#bytes -= entrySize(previous);
      this.#entries.delete(key);
    }
    this.#entries.set(key, entry);
    this.#bytes += entrySize(entry);
    this.#evict();
  }

  /** Accounts for compressed forms added to an entry after it was stored. */
  grew(bytes: number): void {
    this.#bytes += bytes;
    this.#evict();
  }

  #evict(): void {
    while (this.#entries.size > this.maxEntries || (this.#bytes > this.maxBytes && this.#entries.size > 1)) {
      const [oldestKey, oldest] = this.#entries.entries().next().value!;
      this.#entries.delete(oldestKey);
      this.#bytes -= entrySize(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
