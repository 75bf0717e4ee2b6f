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

/** The qualities an Accept-Encoding header gives, by coding (lower case); `*` stands for every coding not named. */
function encodingQualities(header: string): Map<string, number> {
  const qualities = new Map<string, number>();
  for (const part of header.split(',')) {
    const [coding = '', ...parameters] = part.split(';').map((text) => text.trim().toLowerCase());
    if (coding === '') continue;
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    qualities.set(coding, Number.isFinite(quality) ? quality : 0);
  }
  return qualities;
}

/**
 * Picks the coding an Accept-Encoding header prefers among br, gzip and identity, as RFC 9110
 * §12.5.3 reads it: a named coding has its own quality, one not named has that of `*` (or is
 * not acceptable without `*`, except identity, which is, last); q=0 means "not acceptable". The
 * highest quality wins, br before gzip before identity on a tie; when none is acceptable, the
 * body goes as it is.
 */
export function chooseEncoding(acceptEncoding: string | undefined, size: number): ContentEncoding {
  if (acceptEncoding === undefined || size < MIN_COMPRESS_BYTES) return 'identity';
  const qualities = encodingQualities(acceptEncoding);
  const any = qualities.get('*');
  // Identity unnamed is acceptable, but below any coding the client named.
  const quality = (coding: ContentEncoding) => qualities.get(coding) ?? any ?? (coding === 'identity' ? Number.MIN_VALUE : 0);
  let best: ContentEncoding = 'identity';
  let bestQuality = 0;
  for (const coding of ['br', 'gzip', 'identity'] as const) {
    if (quality(coding) > bestQuality) {
      best = coding;
      bestQuality = quality(coding);
    }
  }
  return best;
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

/**
 * Another format of a resource whose data one request loaded: rendered from that data when
 * first asked for, so a miss renders only the format it was asked for.
 */
export interface LazyBody {
  readonly dataVersion: number;
  readonly contentType: string;
  readonly render: () => string;
}

type Entry = CachedBody | LazyBody;

const isLazy = (entry: Entry): entry is LazyBody => 'render' in entry;

/** Bytes an entry holds; a lazy one holds only its data, shared with the entry that loaded it. */
const entrySize = (entry: Entry) => (isLazy(entry) ? 0 : entry.body.length + (entry.gzip?.length ?? 0) + (entry.br?.length ?? 0));

/**
 * Rendered responses by URL and format, least recently used dropped first. Pages change only
 * when an import or update commits, which bumps the data version, so an entry is valid exactly
 * while its data version is current.
 */
export class ResponseCache {
  readonly #entries = new Map<string, Entry>();
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
    if (!isLazy(entry)) {
      this.#entries.set(key, entry);
      return entry;
    }
    let body: Buffer;
    try {
      body = Buffer.from(entry.render());
    } catch {
      // One that fails (a redirect, say) is rendered by the request itself, which answers the failure.
      return undefined;
    }
    const rendered: CachedBody = { dataVersion: entry.dataVersion, contentType: entry.contentType, body };
    this.set(key, rendered);
    return rendered;
  }

  set(key: string, entry: Entry): void {
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
