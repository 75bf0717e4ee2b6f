import { InputError } from '../base/input-error.js';

/**
 * A small reader for tar archives held in memory: POSIX ustar, pax extended headers and
 * GNU long names (the formats written by abuild, GNU tar, Go and Python for image layers).
 * Layout facts from POSIX.1-2017 `pax` ("ustar Interchange Format", "pax Interchange Format")
 * and GNU tar's manual ("Basic Tar Format").
 */

export type TarEntryType =
  | 'file'
  | 'hardlink'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'directory'
  | 'fifo'
  | 'other';

export interface TarEntry {
  /** Path inside the archive, after pax `path` / GNU long name / ustar prefix are applied. */
  readonly name: string;
  readonly type: TarEntryType;
  /** The raw typeflag character, for callers that care about vendor types. */
  readonly typeFlag: string;
  /** Permission bits (and set-id/sticky bits) from the header. */
  readonly mode: number;
  /** Length of `content` in bytes. */
  readonly size: number;
  /** Target of a symlink or hard link, undefined for other types. */
  readonly linkName: string | undefined;
  /** The entry's data: a view into the archive buffer, not a copy. */
  readonly content: Buffer;
  /** Byte offset of the entry's own header block, for error messages. */
  readonly headerOffset: number;
}

const BLOCK = 512;

const TYPE_BY_FLAG: Readonly<Record<string, TarEntryType>> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
};

/** Types that never have data blocks, whatever their size field says (POSIX ustar rules). */
const HEADER_ONLY: ReadonlySet<TarEntryType> = new Set([
  'hardlink',
  'symlink',
  'character-device',
  'block-device',
  'directory',
  'fifo',
]);

interface PendingNames {
  path?: string;
  linkPath?: string;
  size?: number;
}

function roundUpToBlock(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function cString(bytes: Buffer, start: number, length: number): string {
  const field = bytes.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

/**
 * Reads a numeric header field: octal ASCII padded with spaces or NULs, or GNU base-256
 * (high bit of the first byte set) for values that do not fit in octal.
 */
function numericField(bytes: Buffer, start: number, length: number, source: string, what: string): number {
  const first = bytes[start] ?? 0;
  if ((first & 0x80) !== 0) {
    if ((first & 0x40) !== 0) throw new InputError(source, `byte ${start}`, `negative ${what} in tar header`);
    let value = first & 0x3f;
    for (let i = start + 1; i < start + length; i++) {
      value = value * 256 + (bytes[i] ?? 0);
      if (value > Number.MAX_SAFE_INTEGER) throw new InputError(source, `byte ${start}`, `${what} too large in tar header`);
    }
    return value;
  }
  const text = bytes.subarray(start, start + length).toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) {
    throw new InputError(source, `byte ${start}`, `${what} in tar header is not an octal number: ${JSON.stringify(text)}`);
  }
  return parseInt(text, 8);
}

/** Header checksum: byte sum with the checksum field counted as spaces. Old tars summed signed bytes. */
function checksumMatches(header: Buffer, stored: number): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 0x100 : byte;
  }
  return stored === unsigned || stored === signed;
}

function isZeroBlock(header: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (header[i] !== 0) return false;
  return true;
}

/** Parses pax records `"<len> <key>=<value>\n"`; `len` counts the whole record. */
function parsePaxRecords(data: Buffer, dataOffset: number, source: string, into: PendingNames): void {
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const lengthText = space === -1 ? '' : data.subarray(pos, space).toString('latin1');
    const length = /^[1-9][0-9]{0,15}$/.test(lengthText) ? Number(lengthText) : NaN;
    if (!(length > space - pos + 1 && pos + length <= data.length) || data[pos + length - 1] !== 0x0a) {
      throw new InputError(source, `byte ${dataOffset + pos}`, 'malformed pax extended header record');
    }
    const record = data.subarray(space + 1, pos + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals <= 0) throw new InputError(source, `byte ${dataOffset + pos}`, 'pax record without key=value');
    const key = record.slice(0, equals);
    const value = record.slice(equals + 1);
    if (key === 'path') into.path = value;
    else if (key === 'linkpath') into.linkPath = value;
    else if (key === 'size') {
      if (!/^[0-9]{1,16}$/.test(value) || Number(value) > Number.MAX_SAFE_INTEGER) {
        throw new InputError(source, `byte ${dataOffset + pos}`, `bad pax size ${JSON.stringify(value)}`);
      }
      into.size = Number(value);
    }
    pos += length;
  }
}

/**
 * Iterates the entries of a tar archive held in `bytes`. Stops at the first all-zero block or
 * at the end of the buffer: archives whose end-of-archive blocks were cut (APKINDEX signature
 * members) are accepted. Metadata entries (pax `x`, GNU `L`/`K`) are applied to the next
 * entry and not yielded; pax global headers (`g`) are skipped. Throws InputError, placed at a
 * byte offset, on a bad checksum, a bad number, or data running past the end.
 */
export function* readTar(bytes: Buffer, source: string): Generator<TarEntry> {
  let offset = 0;
  let pending: PendingNames = {};
  let pendingFrom: number | undefined;
  while (offset < bytes.length) {
    if (bytes.length - offset < BLOCK) {
      throw new InputError(source, `byte ${offset}`, 'truncated tar header');
    }
    const header = bytes.subarray(offset, offset + BLOCK);
    if (isZeroBlock(header)) break;
    const storedChecksum = numericField(header, 148, 8, source, 'checksum');
    if (!checksumMatches(header, storedChecksum)) {
      throw new InputError(source, `byte ${offset}`, 'tar header checksum mismatch');
    }
    const typeFlag = String.fromCharCode(header[156] ?? 0);
    const headerSize = numericField(header, 124, 12, source, 'size');
    const isMeta = typeFlag === 'x' || typeFlag === 'g' || typeFlag === 'L' || typeFlag === 'K';
    const type = TYPE_BY_FLAG[typeFlag] ?? 'other';
    const declaredSize = !isMeta && pending.size !== undefined ? pending.size : headerSize;
    const size = !isMeta && HEADER_ONLY.has(type) ? 0 : declaredSize;
    const dataStart = offset + BLOCK;
    if (size > bytes.length - dataStart) {
      throw new InputError(source, `byte ${offset}`, `tar entry of ${size} bytes runs past the end of the archive`);
    }
    const content = bytes.subarray(dataStart, dataStart + size);
    const next = dataStart + roundUpToBlock(size);

    if (isMeta) {
      if (typeFlag !== 'g') pendingFrom ??= offset;
      if (typeFlag === 'x') parsePaxRecords(content, dataStart, source, pending);
      else if (typeFlag === 'L') pending.path = cString(content, 0, content.length);
      else if (typeFlag === 'K') pending.linkPath = cString(content, 0, content.length);
      offset = next;
      continue;
    }

    const magic = header.subarray(257, 263).toString('latin1');
    // Only POSIX ustar uses the prefix field; GNU tar ("ustar  ") stores other data there.
    const prefix = magic === 'ustar\0' ? cString(header, 345, 155) : '';
    const headerName = cString(header, 0, 100);
    const name = pending.path ?? (prefix === '' ? headerName : `${prefix}/${headerName}`);
    const isLink = type === 'symlink' || type === 'hardlink';
    yield {
      name,
      type,
      typeFlag,
      mode: numericField(header, 100, 8, source, 'mode') & 0o7777,
      size,
      linkName: isLink ? (pending.linkPath ?? cString(header, 157, 100)) : undefined,
      content,
      headerOffset: offset,
    };
    pending = {};
    pendingFrom = undefined;
    offset = next;
  }
  if (pendingFrom !== undefined) {
    throw new InputError(source, `byte ${pendingFrom}`, 'extended tar header is not followed by an entry');
  }
}
