import { InputError } from '../base/input-error.js';

/**
 * A small reader for tar archives, fed in chunks or held in memory: POSIX ustar, pax extended headers and
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

export interface TarHeader {
  /** Path inside the archive, after pax `path` / GNU long name / ustar prefix are applied. */
  readonly name: string;
  readonly type: TarEntryType;
  /** The raw typeflag character, for callers that care about vendor types. */
  readonly typeFlag: string;
  /** Permission bits (and set-id/sticky bits) from the header. */
  readonly mode: number;
  /** Length of the entry's data in bytes. */
  readonly size: number;
  /** Target of a symlink or hard link, undefined for other types. */
  readonly linkName: string | undefined;
  /** Byte offset of the entry's own header block, for error messages. */
  readonly headerOffset: number;
}

export interface TarEntry extends TarHeader {
  /** The entry's data: a view into the archive buffer, not a copy. */
  readonly content: Buffer;
}

/**
 * What a streaming read gives, in archive order: an entry's header, its data in pieces (views
 * into the chunks given to `write`, valid until the next `write`), then its end.
 */
export type TarEvent =
  | { readonly kind: 'entry'; readonly header: TarHeader }
  | { readonly kind: 'data'; readonly bytes: Buffer }
  | { readonly kind: 'entry-end' };

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

/**
 * Pax and GNU long-name headers are held whole until the entry they describe; real ones are a
 * few hundred bytes, so a larger one is refused rather than buffered.
 */
const MAX_EXTENDED_HEADER_BYTES = 1024 * 1024;

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

type ReaderState = 'header' | 'data' | 'extended' | 'padding' | 'done';

/**
 * An incremental tar reader: `write` a chunk, take events with `next` until it answers
 * undefined, write the next chunk; `end` says no more input comes. It holds one header block,
 * the chunk it was given and at most one extended header (MAX_EXTENDED_HEADER_BYTES), however
 * large the archive. Stops at the first all-zero block or at the end of the input: archives
 * whose end-of-archive blocks were cut (APKINDEX signature members) are accepted. Metadata
 * entries (pax `x`, GNU `L`/`K`) are applied to the next entry and not reported; pax global
 * headers (`g`) are skipped. Throws InputError, placed at a byte offset, on a bad checksum, a
 * bad number, or data running past the end.
 */
export class TarReader {
  private chunk: Buffer = Buffer.alloc(0);
  private position = 0;
  /** Archive offset of `chunk[position]`. */
  private offset = 0;
  private readonly headerBlock = Buffer.alloc(BLOCK);
  private headerFilled = 0;
  private state: ReaderState = 'header';
  /** Data bytes of the current entry (or padding bytes) still to come. */
  private remaining = 0;
  private padding = 0;
  private entryOffset = 0;
  private entrySize = 0;
  private extendedFlag = '';
  private extended: Buffer[] = [];
  private pending: PendingNames = {};
  private pendingFrom: number | undefined;
  private ended = false;

  constructor(private readonly source: string) {}

  /** Gives the next chunk; call it only once `next` has answered undefined. */
  write(chunk: Buffer): void {
    if (this.state === 'done') return;
    if (this.position < this.chunk.length) throw new Error('TarReader.write before the previous chunk was read');
    this.chunk = chunk;
    this.position = 0;
  }

  /** Says the input is complete; `next` then reports what is left and checks nothing was cut. */
  end(): void {
    this.ended = true;
  }

  /** True once the archive's end was reached; later input is ignored. */
  get finished(): boolean {
    return this.state === 'done';
  }

  /** The next event, or undefined when more input is needed (or the archive is finished). */
  next(): TarEvent | undefined {
    for (;;) {
      if (this.state === 'data' && this.remaining === 0) {
        this.state = 'padding';
        this.remaining = this.padding;
        return { kind: 'entry-end' };
      }
      if (this.state === 'extended' && this.remaining === 0) {
        this.applyExtended();
        this.state = 'padding';
        this.remaining = this.padding;
      }
      if (this.state === 'padding' && this.remaining === 0) this.state = 'header';
      if (this.state === 'done') return undefined;
      const available = this.chunk.length - this.position;
      if (available === 0) {
        if (!this.ended) return undefined;
        this.finishInput();
        return undefined;
      }
      if (this.state === 'header') {
        const event = this.readHeader(available);
        if (event !== undefined) return event;
        continue;
      }
      const taken = this.chunk.subarray(this.position, this.position + Math.min(available, this.remaining));
      this.position += taken.length;
      this.offset += taken.length;
      this.remaining -= taken.length;
      if (this.state === 'data') return { kind: 'data', bytes: taken };
      if (this.state === 'extended') this.extended.push(Buffer.from(taken));
    }
  }

  private finishInput(): void {
    if (this.state === 'header' && this.headerFilled > 0) {
      throw new InputError(this.source, `byte ${this.offset - this.headerFilled}`, 'truncated tar header');
    }
    if (this.state === 'data' || this.state === 'extended') {
      throw new InputError(this.source, `byte ${this.entryOffset}`, `tar entry of ${this.entrySize} bytes runs past the end of the archive`);
    }
    this.state = 'done';
    if (this.pendingFrom !== undefined) {
      throw new InputError(this.source, `byte ${this.pendingFrom}`, 'extended tar header is not followed by an entry');
    }
  }

  /** Fills the header block from the chunk; once whole, starts its entry. */
  private readHeader(available: number): TarEvent | undefined {
    let header: Buffer;
    if (this.headerFilled === 0 && available >= BLOCK) {
      header = this.chunk.subarray(this.position, this.position + BLOCK);
      this.position += BLOCK;
      this.offset += BLOCK;
    } else {
      const taken = Math.min(BLOCK - this.headerFilled, available);
      this.chunk.copy(this.headerBlock, this.headerFilled, this.position, this.position + taken);
      this.headerFilled += taken;
      this.position += taken;
      this.offset += taken;
      if (this.headerFilled < BLOCK) return undefined;
      this.headerFilled = 0;
      header = this.headerBlock;
    }
    return this.startEntry(header, this.offset - BLOCK);
  }

  private startEntry(header: Buffer, offset: number): TarEvent | undefined {
    const source = this.source;
    if (isZeroBlock(header)) {
      this.state = 'done';
      if (this.pendingFrom !== undefined) {
        throw new InputError(source, `byte ${this.pendingFrom}`, 'extended tar header is not followed by an entry');
      }
      return undefined;
    }
    const storedChecksum = numericField(header, 148, 8, source, 'checksum');
    if (!checksumMatches(header, storedChecksum)) {
      throw new InputError(source, `byte ${offset}`, 'tar header checksum mismatch');
    }
    const typeFlag = String.fromCharCode(header[156] ?? 0);
    const headerSize = numericField(header, 124, 12, source, 'size');
    const isMeta = typeFlag === 'x' || typeFlag === 'g' || typeFlag === 'L' || typeFlag === 'K';
    const type = TYPE_BY_FLAG[typeFlag] ?? 'other';
    const declaredSize = !isMeta && this.pending.size !== undefined ? this.pending.size : headerSize;
    const size = !isMeta && HEADER_ONLY.has(type) ? 0 : declaredSize;
    this.entryOffset = offset;
    this.entrySize = size;
    this.remaining = size;
    this.padding = roundUpToBlock(size) - size;

    if (isMeta) {
      if (size > MAX_EXTENDED_HEADER_BYTES) {
        throw new InputError(source, `byte ${offset}`, `extended tar header of ${size} bytes is larger than ${MAX_EXTENDED_HEADER_BYTES}`);
      }
      if (typeFlag !== 'g') this.pendingFrom ??= offset;
      this.extendedFlag = typeFlag;
      this.extended = [];
      this.state = 'extended';
      return undefined;
    }

    const magic = header.subarray(257, 263).toString('latin1');
    // Only POSIX ustar uses the prefix field; GNU tar ("ustar  ") stores other data there.
    const prefix = magic === 'ustar\0' ? cString(header, 345, 155) : '';
    const headerName = cString(header, 0, 100);
    const name = this.pending.path ?? (prefix === '' ? headerName : `${prefix}/${headerName}`);
    const isLink = type === 'symlink' || type === 'hardlink';
    const entry: TarHeader = {
      name,
      type,
      typeFlag,
      mode: numericField(header, 100, 8, source, 'mode') & 0o7777,
      size,
      linkName: isLink ? (this.pending.linkPath ?? cString(header, 157, 100)) : undefined,
      headerOffset: offset,
    };
    this.pending = {};
    this.pendingFrom = undefined;
    this.state = 'data';
    return { kind: 'entry', header: entry };
  }

  private applyExtended(): void {
    const content = Buffer.concat(this.extended);
    this.extended = [];
    const dataStart = this.entryOffset + BLOCK;
    if (this.extendedFlag === 'x') parsePaxRecords(content, dataStart, this.source, this.pending);
    else if (this.extendedFlag === 'L') this.pending.path = cString(content, 0, content.length);
    else if (this.extendedFlag === 'K') this.pending.linkPath = cString(content, 0, content.length);
  }
}

/**
 * Iterates the entries of a tar archive held in `bytes`, each with its data as a view into
 * `bytes`; the rules and errors are TarReader's.
 */
export function* readTar(bytes: Buffer, source: string): Generator<TarEntry> {
  const reader = new TarReader(source);
  reader.write(bytes);
  reader.end();
  let header: TarHeader | undefined;
  let pieces: Buffer[] = [];
  for (let event = reader.next(); event !== undefined; event = reader.next()) {
    if (event.kind === 'entry') {
      header = event.header;
      pieces = [];
    } else if (event.kind === 'data') pieces.push(event.bytes);
    else if (header !== undefined) yield { ...header, content: pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces) };
  }
}

/** One member to write: a regular file with its bytes, or a directory. */
export interface TarMember {
  /** Path inside the archive, at most 100 bytes (a folder's path ends in `/`). */
  readonly name: string;
  /** The file's bytes; absent for a directory. */
  readonly content?: Buffer;
}

function writeField(header: Buffer, start: number, length: number, text: string): void {
  header.write(text, start, length, 'latin1');
}

/** An octal field: `length - 1` digits and a NUL, as GNU tar writes them. */
function writeOctal(header: Buffer, start: number, length: number, value: number): void {
  writeField(header, start, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

/**
 * Writes a POSIX ustar archive of regular files and directories, in the order given, owned by
 * root with modification time 0, so the same members always give the same bytes. Names over
 * the ustar field's 100 bytes are refused: the archives written here (image layers, an image's
 * manifest) name short paths.
 */
export function writeTar(members: readonly TarMember[]): Buffer {
  const blocks: Buffer[] = [];
  for (const member of members) {
    const name = Buffer.from(member.name, 'utf8');
    if (name.length === 0 || name.length > 100) throw new RangeError(`tar member name of ${name.length} bytes: ${member.name.slice(0, 40)}`);
    const content = member.content ?? Buffer.alloc(0);
    const header = Buffer.alloc(BLOCK);
    name.copy(header, 0);
    writeOctal(header, 100, 8, member.content === undefined ? 0o755 : 0o644);
    writeOctal(header, 108, 8, 0);
    writeOctal(header, 116, 8, 0);
    writeOctal(header, 124, 12, content.length);
    writeOctal(header, 136, 12, 0);
    writeField(header, 156, 1, member.content === undefined ? '5' : '0');
    writeField(header, 257, 8, 'ustar\u000000');
    writeField(header, 148, 8, '        ');
    let sum = 0;
    for (const byte of header) sum += byte;
    writeField(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(header, content, Buffer.alloc(roundUpToBlock(content.length) - content.length));
  }
  // Two zero blocks end the archive.
  blocks.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(blocks);
}
