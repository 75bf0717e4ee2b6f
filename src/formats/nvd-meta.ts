import { InputError } from '../base/input-error.js';
import { normalizeTimestamp } from './timestamp.js';

/** An NVD data feed's `.meta` file: what to compare before downloading the feed again. */
interface NvdFeedMeta {
  /** `lastModifiedDate` in UTC, `YYYY-MM-DDTHH:MM:SS.sssZ` (the file writes a local offset). */
  readonly lastModified: string;
  /** Size in bytes of the uncompressed JSON. */
  readonly size: number;
  readonly zipSize: number;
  readonly gzSize: number;
  /** SHA-256 of the uncompressed JSON, lower-case hex like node's `digest('hex')` (the file writes upper case). */
  readonly sha256: string;
}

const SIZE_KEYS = ['size', 'zipSize', 'gzSize'] as const;

/**
 * Parses a feed `.meta` file: `key:value` lines, CRLF-separated (LF accepted too), the value
 * running to the line end since `lastModifiedDate` holds colons. Unknown keys are ignored so
 * that an added field does not stop updates.
 */
export function parseNvdMeta(text: string | Buffer, source: string): NvdFeedMeta {
  const lines = (typeof text === 'string' ? text : text.toString('utf8')).split(/\r?\n/);
  const values = new Map<string, { value: string; line: number }>();
  lines.forEach((line, index) => {
    if (line === '') return;
    const place = `line ${index + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new InputError(source, place, 'expected "key:value"');
    const key = line.slice(0, colon);
    if (values.has(key)) throw new InputError(source, place, `"${key}" given twice`);
    values.set(key, { value: line.slice(colon + 1), line: index + 1 });
  });
  const field = (key: string): { value: string; line: number } => {
    const found = values.get(key);
    if (found === undefined) throw new InputError(source, undefined, `no "${key}" line`);
    return found;
  };
  const lastModifiedDate = field('lastModifiedDate');
  const lastModified = normalizeTimestamp(lastModifiedDate.value);
  if (lastModified === undefined) throw new InputError(source, `line ${lastModifiedDate.line}`, 'lastModifiedDate is not a valid date-time');
  const [size, zipSize, gzSize] = SIZE_KEYS.map((key) => {
    const { value, line } = field(key);
    const count = /^\d{1,15}$/.test(value) ? Number(value) : undefined;
    if (count === undefined) throw new InputError(source, `line ${line}`, `${key} is not a byte count`);
    return count;
  }) as [number, number, number];
  const sha256 = field('sha256');
  if (!/^[0-9A-Fa-f]{64}$/.test(sha256.value)) throw new InputError(source, `line ${sha256.line}`, 'sha256 is not 64 hex digits');
  return { lastModified, size, zipSize, gzSize, sha256: sha256.value.toLowerCase() };
}
