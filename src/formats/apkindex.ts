import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { crc32, inflateRawSync } from 'node:zlib';
import { InputError } from '../base/input-error.js';
import { readTar } from './tar.js';
import type { TarEntry } from './tar.js';

/*
 * APKINDEX text (also the base of /lib/apk/db/installed) and the signed v2 `APKINDEX.tar.gz`.
 * Format facts: apk-tools `src/package.c`, `src/database.c`, `src/extract_v2.c`, abuild
 * `abuild-sign.in`, summarized in reference/formats.md §2.1–2.3; gzip framing from RFC 1952.
 */

/** One dependency as written: `[!]name[@tag][op version]`. The version is not evaluated here. */
export interface ApkDependency {
  readonly name: string;
  readonly tag?: string;
  /** Written with a leading `!`: the package must not be installed (or must not match). */
  readonly conflict: boolean;
  /** The operator characters as written (`=`, `>=`, `<~`, `><`, …), `''` when there is none. */
  readonly op: string;
  /** Text after the operator; present exactly when `op` is not empty (may then be `''`). */
  readonly version?: string;
}

export interface ApkPackage {
  readonly name: string;
  /**
   * `V:` as written, not validated. Undefined when the stanza has no `V:` line: some
   * hand-edited installed databases lack it, and a scanner should warn rather than drop it.
   */
  readonly version: string | undefined;
  /** Line where the package's stanza starts, for messages about it. */
  readonly line: number;
  readonly checksum?: string;
  readonly arch?: string;
  readonly size?: number;
  readonly installedSize?: number;
  readonly description?: string;
  readonly url?: string;
  readonly license?: string;
  /** Source package (APKBUILD) name; the package's own name when `o:` is absent. */
  readonly origin: string;
  readonly maintainer?: string;
  /** Build time in UNIX seconds. */
  readonly buildTime?: number;
  readonly commit?: string;
  readonly providerPriority?: number;
  readonly depends: ApkDependency[];
  readonly provides: ApkDependency[];
  readonly installIf: ApkDependency[];
}

/** A package without its dependency lists (checked as they are read, not kept): what a tracker stores of an index. */
export type ApkIndexEntry = Omit<ApkPackage, 'depends' | 'provides' | 'installIf'>;

/**
 * Receives the `X:value` lines of one stanza at a time and builds a record from them.
 * Feeding lines straight into a builder (rather than collecting line objects first) keeps
 * parsing a large index cheap.
 */
export interface ApkStanzaBuilder<T> {
  /** One `X:value` line of the current stanza; `line` is its 1-based line number. */
  field(key: string, value: string, line: number): void;
  /** The stanza that started at `firstLine` has ended: return its record and reset. */
  end(firstLine: number): T;
}

/**
 * Longest accepted line. Real `D:`/`p:` lines stay far below 64 KiB; the cap keeps memory
 * bounded when a file is garbage without newlines.
 */
const MAX_LINE_LENGTH = 1 << 20;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function preview(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/** `<`, `>`, `=`, `~`: the characters an apk dependency operator is made of. */
function isOperatorChar(code: number): boolean {
  return code === 0x3c || code === 0x3e || code === 0x3d || code === 0x7e;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

const AT_SIGN = 0x40;

/** Parses the dependency `text.slice(start, end)` (no whitespace inside). */
function dependencyAt(text: string, start: number, end: number, source: string, line: number): ApkDependency {
  const conflict = text.charCodeAt(start) === 0x21;
  let pos = conflict ? start + 1 : start;
  const nameStart = pos;
  while (pos < end && !isOperatorChar(text.charCodeAt(pos)) && text.charCodeAt(pos) !== AT_SIGN) pos++;
  if (pos === nameStart) {
    throw new InputError(source, `line ${line}`, `dependency without a name: ${preview(text.slice(start, end))}`);
  }
  const dependency: Mutable<ApkDependency> = { name: text.slice(nameStart, pos), conflict, op: '' };
  if (pos < end && text.charCodeAt(pos) === AT_SIGN) {
    const tagStart = ++pos;
    while (pos < end && !isOperatorChar(text.charCodeAt(pos))) pos++;
    if (pos === tagStart) {
      throw new InputError(source, `line ${line}`, `empty repository tag in dependency ${preview(text.slice(start, end))}`);
    }
    dependency.tag = text.slice(tagStart, pos);
  }
  const opStart = pos;
  while (pos < end && isOperatorChar(text.charCodeAt(pos))) pos++;
  if (pos > opStart) {
    dependency.op = text.slice(opStart, pos);
    dependency.version = text.slice(pos, end);
  }
  return dependency;
}

/**
 * Appends the whitespace-separated dependencies in `text` to `into`, starting line numbers
 * at `line` and counting newlines (world files put one per line). Appends in a loop rather
 * than with spread because a list can be long.
 */
export function parseApkDependencyList(text: string, source: string, line: number, into: ApkDependency[]): void {
  let lineNumber = line;
  let pos = 0;
  while (pos < text.length) {
    const code = text.charCodeAt(pos);
    if (isSpace(code)) {
      if (code === 0x0a) lineNumber++;
      pos++;
      continue;
    }
    const start = pos;
    while (pos < text.length && !isSpace(text.charCodeAt(pos))) pos++;
    into.push(dependencyAt(text, start, pos, source, lineNumber));
  }
}

/**
 * Exactly the lists `parseApkDependencyList` accepts: every whitespace-separated dependency has a
 * name (after the `!` of a conflict) and, after an `@`, a tag. One native match where the parser would build an object per
 * dependency; linear, as no two parts of a dependency can match the same characters.
 */
const VALID_DEPENDENCY_LIST = /^[ \t\n\r]*(?:(?:![^<>=~@ \t\n\r]+|[^!<>=~@ \t\n\r][^<>=~@ \t\n\r]*)(?:@[^<>=~ \t\n\r]+)?(?:[<>=~][^ \t\n\r]*)?(?:[ \t\n\r]+|$))*$/;

/** Throws what `parseApkDependencyList` would for a bad list, without building one. */
function checkApkDependencyList(text: string, source: string, line: number): void {
  // The parser names the bad dependency and its line.
  if (!VALID_DEPENDENCY_LIST.test(text)) parseApkDependencyList(text, source, line, []);
}

/** Longest decimal accepted: beyond this a value is no longer an exact JavaScript number. */
const MAX_DIGITS = 15;

function decimal(key: string, value: string, source: string, line: number): number {
  let valid = value.length > 0 && value.length <= MAX_DIGITS;
  for (let i = 0; valid && i < value.length; i++) {
    const code = value.charCodeAt(i);
    valid = code >= 0x30 && code <= 0x39;
  }
  if (!valid) throw new InputError(source, `line ${line}`, `${key}: expects a decimal number, got ${preview(value)}`);
  return Number(value);
}

function lineTooLong(source: string, lineNumber: number): InputError {
  return new InputError(source, `line ${lineNumber}`, `line too long (over ${MAX_LINE_LENGTH} bytes)`);
}

/** Cuts text into lines and stanzas for a builder; fed piece by piece so it serves strings and streams. */
class StanzaReader<T> {
  /** Number of the next line to be fed. */
  lineNumber = 1;
  private firstLine = 0;

  constructor(
    private readonly source: string,
    private readonly builder: ApkStanzaBuilder<T>,
  ) {}

  /**
   * Feeds complete lines: every line in `text` ends with a newline, except possibly the last
   * one at the end of the input. Records of the stanzas that end go to `out`.
   */
  feed(text: string, out: T[]): void {
    let pos = 0;
    while (pos < text.length) {
      const newline = text.indexOf('\n', pos);
      const end = newline === -1 ? text.length : newline;
      if (end - pos > MAX_LINE_LENGTH) throw lineTooLong(this.source, this.lineNumber);
      this.line(text, pos, end, out);
      pos = end + 1;
      this.lineNumber++;
    }
  }

  /** Ends the input; returns the record of a stanza left open by a missing final blank line. */
  finish(): T | undefined {
    if (this.firstLine === 0) return undefined;
    const record = this.builder.end(this.firstLine);
    this.firstLine = 0;
    return record;
  }

  /** Handles the line `text.slice(start, end)`; slicing only the value keeps allocation low. */
  private line(text: string, start: number, end: number, out: T[]): void {
    // apk ends a package on any line shorter than "X:".
    if (end - start < 2) {
      const record = this.finish();
      if (record !== undefined) out.push(record);
      return;
    }
    if (text.charCodeAt(start + 1) !== 0x3a) {
      const shown = preview(text.slice(start, Math.min(end, start + 41)));
      throw new InputError(this.source, `line ${this.lineNumber}`, `expected "X:value", got ${shown}`);
    }
    if (this.firstLine === 0) this.firstLine = this.lineNumber;
    this.builder.field(text.charAt(start), text.slice(start + 2, end), this.lineNumber);
  }
}

/** Reads APKINDEX-format text held in memory, one record per stanza. */
export function parseApkStanzas<T>(text: string, source: string, builder: ApkStanzaBuilder<T>): T[] {
  const reader = new StanzaReader(source, builder);
  const records: T[] = [];
  reader.feed(text, records);
  const last = reader.finish();
  if (last !== undefined) records.push(last);
  return records;
}

/**
 * Reads streamed APKINDEX-format bytes, one record per stanza, holding at most one chunk and
 * the records it completes. Each chunk is cut after its last newline byte, which never occurs
 * inside a UTF-8 sequence, so no character is split; the tail waits for the next chunk.
 */
export async function* readApkStanzasFromChunks<T>(
  chunks: AsyncIterable<Buffer>,
  source: string,
  builder: ApkStanzaBuilder<T>,
): AsyncGenerator<T> {
  const reader = new StanzaReader(source, builder);
  let partial: Buffer[] = [];
  let partialLength = 0;
  for await (const chunk of chunks) {
    const lastNewline = chunk.lastIndexOf(0x0a);
    if (lastNewline === -1) {
      partialLength += chunk.length;
      if (partialLength > MAX_LINE_LENGTH) throw lineTooLong(source, reader.lineNumber);
      partial.push(chunk);
      continue;
    }
    const head = chunk.subarray(0, lastNewline + 1);
    const lines = partial.length === 0 ? head : Buffer.concat([...partial, head]);
    const tail = chunk.subarray(lastNewline + 1);
    partial = tail.length === 0 ? [] : [tail];
    partialLength = tail.length;
    const completed: T[] = [];
    reader.feed(lines.toString('utf8'), completed);
    yield* completed;
  }
  const completed: T[] = [];
  if (partialLength > 0) reader.feed(Buffer.concat(partial).toString('utf8'), completed);
  const last = reader.finish();
  if (last !== undefined) completed.push(last);
  yield* completed;
}

/**
 * Builds ApkPackage records: scalar fields keep their last value, list fields append, unknown
 * fields (including the installed-db-only ones) are ignored. apk 3 marks a package with an
 * unknown upper-case field uninstallable; a tracker still needs to see that package, so it is
 * kept like any other.
 */
export class ApkPackageBuilder implements ApkStanzaBuilder<ApkPackage> {
  private pkg = ApkPackageBuilder.empty();
  private origin: string | undefined;

  /** Without `keepDependencies`, dependency lists are checked but left empty (records then serve as ApkIndexEntry). */
  constructor(
    private readonly source: string,
    private readonly keepDependencies = true,
  ) {}

  /** Every optional field is present (possibly undefined) so all records share one shape. */
  private static empty(): Mutable<ApkPackage> {
    return {
      name: '',
      version: undefined,
      line: 0,
      checksum: undefined,
      arch: undefined,
      size: undefined,
      installedSize: undefined,
      description: undefined,
      url: undefined,
      license: undefined,
      origin: '',
      maintainer: undefined,
      buildTime: undefined,
      commit: undefined,
      providerPriority: undefined,
      depends: [],
      provides: [],
      installIf: [],
    };
  }

  field(key: string, value: string, line: number): void {
    const pkg = this.pkg;
    switch (key) {
      case 'C': pkg.checksum = value; break;
      case 'P': pkg.name = value; break;
      case 'V': pkg.version = value; break;
      case 'A': pkg.arch = value; break;
      case 'S': pkg.size = decimal(key, value, this.source, line); break;
      case 'I': pkg.installedSize = decimal(key, value, this.source, line); break;
      case 'T': pkg.description = value; break;
      case 'U': pkg.url = value; break;
      case 'L': pkg.license = value; break;
      case 'o': this.origin = value; break;
      case 'm': pkg.maintainer = value; break;
      case 't': pkg.buildTime = decimal(key, value, this.source, line); break;
      case 'c': pkg.commit = value; break;
      case 'k': pkg.providerPriority = decimal(key, value, this.source, line); break;
      case 'D': this.dependencies(value, line, pkg.depends); break;
      case 'p': this.dependencies(value, line, pkg.provides); break;
      case 'i': this.dependencies(value, line, pkg.installIf); break;
      default: break;
    }
  }

  private dependencies(value: string, line: number, into: ApkDependency[]): void {
    if (this.keepDependencies) parseApkDependencyList(value, this.source, line, into);
    else checkApkDependencyList(value, this.source, line);
  }

  end(firstLine: number): ApkPackage {
    const pkg = this.pkg;
    const origin = this.origin;
    this.pkg = ApkPackageBuilder.empty();
    this.origin = undefined;
    if (pkg.name === '') throw new InputError(this.source, `line ${firstLine}`, 'package stanza has no name (P:)');
    pkg.line = firstLine;
    pkg.origin = origin === undefined || origin === '' ? pkg.name : origin;
    return pkg;
  }
}

/** Parses a whole APKINDEX text (or any file in that format) held in memory. */
export function parseApkIndexText(text: string, source: string): ApkPackage[] {
  return parseApkStanzas(text, source, new ApkPackageBuilder(source));
}

/** Parses a whole APKINDEX text as `parseApkIndexText` does, accepting and refusing the same, without keeping dependency lists. */
export function parseApkIndexEntries(text: string, source: string): ApkIndexEntry[] {
  return parseApkStanzas(text, source, new ApkPackageBuilder(source, false));
}

// ---- the signed archive ------------------------------------------------------------------

type SignatureDigest = 'sha1' | 'sha256' | 'sha512';

export type ApkIndexTrust =
  | { readonly status: 'verified'; readonly keyName: string; readonly algorithm: SignatureDigest }
  | { readonly status: 'unsigned' }
  | { readonly status: 'unknown-key'; readonly keyNames: readonly string[] }
  | { readonly status: 'bad-signature'; readonly keyNames: readonly string[] };

interface ApkIndexArchive<T> {
  /** `DESCRIPTION` member, e.g. `v3.16.3-13-g4d933a1fa3`; undefined when absent. */
  readonly description: string | undefined;
  readonly packages: T[];
  readonly trust: ApkIndexTrust;
}

interface ReadApkIndexOptions {
  /** Trusted public keys: key file name (as in `/etc/apk/keys/`) → PEM text. */
  readonly trustedKeys: ReadonlyMap<string, string>;
  /** Return the packages even when the signature is missing, unknown or bad. */
  readonly allowUntrusted?: boolean;
  /** Refuse archives that gunzip to more than this (defends against gzip bombs). Default 256 MiB. */
  readonly maxUncompressedBytes?: number;
}

const DEFAULT_MAX_UNCOMPRESSED = 256 << 20;

/** abuild signature names `.SIGN.<ALG>.<key>`; apk ignores DSA and unknown algorithms. */
const DIGEST_BY_ALGORITHM: Readonly<Record<string, SignatureDigest>> = {
  RSA: 'sha1',
  RSA256: 'sha256',
  RSA512: 'sha512',
};

/** apk skips signature entries larger than this. */
const MAX_SIGNATURE_BYTES = 64 * 1024;

interface GzipMember {
  /** Offset of the member's first header byte in the file. */
  readonly start: number;
  readonly data: Buffer;
}

const FLAG_HCRC = 0x02;
const FLAG_EXTRA = 0x04;
const FLAG_NAME = 0x08;
const FLAG_COMMENT = 0x10;
const FLAG_RESERVED = 0xe0;

/** Length of the RFC 1952 member header starting at `start`. */
function gzipHeaderLength(bytes: Buffer, start: number, source: string): number {
  const truncated = () => new InputError(source, `byte ${start}`, 'truncated gzip header');
  if (bytes.length - start < 10) throw truncated();
  if (bytes[start] !== 0x1f || bytes[start + 1] !== 0x8b) {
    throw new InputError(source, `byte ${start}`, 'not a gzip member (bad magic number)');
  }
  if (bytes[start + 2] !== 8) throw new InputError(source, `byte ${start + 2}`, 'unsupported gzip compression method');
  const flags = bytes[start + 3] ?? 0;
  if ((flags & FLAG_RESERVED) !== 0) throw new InputError(source, `byte ${start + 3}`, 'reserved gzip flags set');
  let pos = start + 10;
  if ((flags & FLAG_EXTRA) !== 0) {
    if (bytes.length - pos < 2) throw truncated();
    pos += 2 + bytes.readUInt16LE(pos);
  }
  for (const flag of [FLAG_NAME, FLAG_COMMENT]) {
    if ((flags & flag) === 0 || pos > bytes.length) continue;
    const terminator = bytes.indexOf(0, pos);
    if (terminator === -1) throw truncated();
    pos = terminator + 1;
  }
  if ((flags & FLAG_HCRC) !== 0) pos += 2;
  if (pos > bytes.length) throw truncated();
  return pos - start;
}

interface InflateInfo {
  readonly buffer: Buffer;
  readonly engine: { readonly bytesWritten: number };
}

/**
 * Splits concatenated gzip members, inflating each one. `inflateRawSync` with `info` stops at
 * the end of the first deflate stream and reports how many compressed bytes it consumed,
 * which locates the next member exactly (needed: the signature covers raw member bytes).
 */
function gzipMembers(bytes: Buffer, source: string, maxUncompressed: number): GzipMember[] {
  const members: GzipMember[] = [];
  let total = 0;
  let start = 0;
  while (start < bytes.length) {
    const dataStart = start + gzipHeaderLength(bytes, start, source);
    let inflated: InflateInfo;
    try {
      const options = { info: true, maxOutputLength: Math.max(1, maxUncompressed - total) };
      inflated = inflateRawSync(bytes.subarray(dataStart), options) as unknown as InflateInfo;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const problem =
        code === 'ERR_BUFFER_TOO_LARGE' ? `uncompressed size exceeds ${maxUncompressed} bytes`
        : code === 'Z_BUF_ERROR' ? 'truncated gzip data'
        : `corrupt gzip data (${(error as Error).message})`;
      throw new InputError(source, `byte ${dataStart}`, problem);
    }
    const trailer = dataStart + inflated.engine.bytesWritten;
    if (bytes.length - trailer < 8) throw new InputError(source, `byte ${trailer}`, 'truncated gzip trailer');
    const data = inflated.buffer;
    if (bytes.readUInt32LE(trailer) !== crc32(data) || bytes.readUInt32LE(trailer + 4) !== data.length % 2 ** 32) {
      throw new InputError(source, `byte ${trailer}`, 'gzip member checksum or length mismatch');
    }
    total += data.length;
    members.push({ start, data });
    start = trailer + 8;
  }
  if (members.length === 0) throw new InputError(source, undefined, 'empty file');
  return members;
}

interface SignatureEntry {
  readonly keyName: string;
  readonly digest: SignatureDigest;
  readonly signature: Buffer;
}

function signatureOf(entry: TarEntry): SignatureEntry | undefined {
  const rest = entry.name.slice('.SIGN.'.length);
  const dot = rest.indexOf('.');
  const digest = dot === -1 ? undefined : DIGEST_BY_ALGORITHM[rest.slice(0, dot)];
  const keyName = rest.slice(dot + 1);
  if (digest === undefined || keyName === '' || entry.content.length > MAX_SIGNATURE_BYTES) return undefined;
  return { keyName, digest, signature: entry.content };
}

function publicKey(keyName: string, pem: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch {
    throw new InputError(keyName, undefined, 'trusted key is not a PEM public key');
  }
}

function judgeSignatures(
  signatures: readonly SignatureEntry[],
  signedBytes: Buffer,
  trustedKeys: ReadonlyMap<string, string>,
): ApkIndexTrust {
  if (signatures.length === 0) return { status: 'unsigned' };
  const failed: string[] = [];
  for (const { keyName, digest, signature } of signatures) {
    const pem = trustedKeys.get(keyName);
    if (pem === undefined) continue;
    const key = publicKey(keyName, pem);
    let valid: boolean;
    try {
      valid = verify(digest, signedBytes, key, signature);
    } catch {
      // OpenSSL rejects some malformed signatures (e.g. wrong length) by throwing.
      valid = false;
    }
    if (valid) return { status: 'verified', keyName, algorithm: digest };
    failed.push(keyName);
  }
  if (failed.length > 0) return { status: 'bad-signature', keyNames: failed };
  return { status: 'unknown-key', keyNames: signatures.map((entry) => entry.keyName) };
}

function refusal(trust: ApkIndexTrust): string | undefined {
  switch (trust.status) {
    case 'verified': return undefined;
    case 'unsigned': return 'index is not signed';
    case 'unknown-key': return `index is signed by an untrusted key (${trust.keyNames.join(', ')})`;
    case 'bad-signature': return `index signature does not verify with trusted key ${trust.keyNames.join(', ')}`;
  }
}

/**
 * Reads a v2 `APKINDEX.tar.gz`: checks its signature against `trustedKeys`, then parses the
 * `DESCRIPTION` and `APKINDEX` members, the index with `parse` (by default `parseApkIndexText`;
 * `parseApkIndexEntries` skips the dependency lists). An unsigned, unknown-key or badly signed
 * index is refused with InputError unless `allowUntrusted` is set; `trust` says what was found.
 */
export function readApkIndexArchive(bytes: Buffer, source: string, options: ReadApkIndexOptions): ApkIndexArchive<ApkPackage>;
export function readApkIndexArchive<T>(bytes: Buffer, source: string, options: ReadApkIndexOptions, parse: (text: string, source: string) => T[]): ApkIndexArchive<T>;
export function readApkIndexArchive(
  bytes: Buffer,
  source: string,
  options: ReadApkIndexOptions,
  parse: (text: string, source: string) => unknown[] = parseApkIndexText,
): ApkIndexArchive<unknown> {
  const members = gzipMembers(bytes, source, options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED);
  const tarSource = `${source} (gunzipped)`;
  const tarBytes = Buffer.concat(members.map((member) => member.data));

  const signatures: SignatureEntry[] = [];
  let indexStart: number | undefined;
  let description: string | undefined;
  let apkindex: TarEntry | undefined;
  for (const entry of readTar(tarBytes, tarSource)) {
    if (indexStart === undefined && entry.name.startsWith('.SIGN.')) {
      const signature = signatureOf(entry);
      if (signature !== undefined) signatures.push(signature);
      continue;
    }
    indexStart ??= entry.headerOffset;
    // An index holds no dot files; `.PKGINFO` would make it a package (apk rejects it too).
    if (entry.name.startsWith('.')) {
      throw new InputError(tarSource, `byte ${entry.headerOffset}`, `unexpected member ${preview(entry.name)} in an index`);
    }
    if (entry.name === 'DESCRIPTION') description = entry.content.toString('utf8').trimEnd();
    else if (entry.name === 'APKINDEX') apkindex = entry;
  }
  if (apkindex === undefined || indexStart === undefined) {
    throw new InputError(source, undefined, 'archive has no APKINDEX member');
  }

  let trust: ApkIndexTrust = { status: 'unsigned' };
  if (signatures.length > 0) {
    // The signature covers the raw bytes from the gzip member where the index part begins.
    let uncompressedOffset = 0;
    let signedFrom: number | undefined;
    for (const member of members) {
      if (uncompressedOffset === indexStart) signedFrom = member.start;
      uncompressedOffset += member.data.length;
    }
    if (signedFrom === undefined) {
      throw new InputError(tarSource, `byte ${indexStart}`, 'index data does not start a new gzip member after the signature');
    }
    trust = judgeSignatures(signatures, bytes.subarray(signedFrom), options.trustedKeys);
  }
  const refused = refusal(trust);
  if (refused !== undefined && options.allowUntrusted !== true) throw new InputError(source, undefined, refused);

  const packages = parse(apkindex.content.toString('utf8'), `${source}:APKINDEX`);
  return { description, packages, trust };
}
