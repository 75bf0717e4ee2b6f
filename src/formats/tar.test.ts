import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import { InputError } from '../base/input-error.js';
import { type TarEvent, TarReader, readTar } from './tar.js';

/*
 * Archives here are written by hand, field by field, following the ustar layout in POSIX.1-2017
 * `pax` (name 0..100, mode 100, size 124, checksum 148, typeflag 156, linkname 157, magic 257,
 * prefix 345) so the reader is checked against the specification, not against itself.
 */

interface HeaderFields {
  name: string;
  size?: number;
  type?: string;
  mode?: number;
  linkName?: string;
  prefix?: string;
  /** `ustar\0` + `00` (POSIX) or `ustar  \0` (GNU). */
  gnu?: boolean;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(fields: HeaderFields): Buffer {
  const block = Buffer.alloc(512);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(octal(fields.mode ?? 0o644, 8), 100, 'latin1');
  block.write(octal(0, 8), 108, 'latin1');
  block.write(octal(0, 8), 116, 'latin1');
  block.write(octal(fields.size ?? 0, 12), 124, 'latin1');
  block.write(octal(0, 12), 136, 'latin1');
  block.write(fields.type ?? '0', 156, 'latin1');
  block.write(fields.linkName ?? '', 157, 100, 'utf8');
  block.write(fields.gnu === true ? 'ustar  \0' : 'ustar\u000000', 257, 'latin1');
  block.write(fields.prefix ?? '', 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

function padded(content: Buffer): Buffer {
  return Buffer.concat([content, Buffer.alloc((512 - (content.length % 512)) % 512)]);
}

function fileEntry(name: string, content: string, extra: Partial<HeaderFields> = {}): Buffer {
  const data = Buffer.from(content);
  return Buffer.concat([header({ name, size: data.length, ...extra }), padded(data)]);
}

/** A pax record; its leading length counts the whole record in UTF-8 bytes, itself included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (Buffer.byteLength(`${length}${body}`) !== length) length++;
  return `${length}${body}`;
}

const END = Buffer.alloc(1024);

/** A GNU long name, a pax path and size, and a symlink: every kind of extended header. */
function extendedArchive(): Buffer {
  const longName = Buffer.from(`${'n'.repeat(200)}\0`);
  const pax = Buffer.from(paxRecord('path', 'p'.repeat(120)) + paxRecord('size', '4'));
  return Buffer.concat([
    header({ name: 'L', type: 'L', size: longName.length, gnu: true }),
    padded(longName),
    fileEntry('file', 'content of the file'),
    header({ name: 'x', type: 'x', size: pax.length }),
    padded(pax),
    header({ name: 'f2', size: 0 }),
    padded(Buffer.from('abcd')),
    header({ name: 'link', type: '2', linkName: 'file' }),
    END,
  ]);
}

function expectInputError(action: () => unknown, place: string, problem: RegExp): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).place).toBe(place);
    expect((error as InputError).problem).toMatch(problem);
    return;
  }
  throw new Error('expected an InputError');
}

describe('readTar', () => {
  it('reads files, directories, symlinks and hard links with their modes and targets', () => {
    const archive = Buffer.concat([
      header({ name: 'etc/', type: '5', mode: 0o755 }),
      fileEntry('etc/motd', 'Welcome\n', { mode: 0o600 }),
      header({ name: 'bin/sh', type: '2', linkName: '/bin/busybox', mode: 0o777 }),
      header({ name: 'etc/motd.bak', type: '1', linkName: 'etc/motd' }),
      END,
    ]);
    const entries = [...readTar(archive, 'test.tar')];
    expect(entries.map((e) => [e.name, e.type, e.mode, e.linkName, e.content.toString()])).toEqual([
      ['etc/', 'directory', 0o755, undefined, ''],
      ['etc/motd', 'file', 0o600, undefined, 'Welcome\n'],
      ['bin/sh', 'symlink', 0o777, '/bin/busybox', ''],
      ['etc/motd.bak', 'hardlink', 0o644, 'etc/motd', ''],
    ]);
    expect(entries.map((e) => e.headerOffset)).toEqual([0, 512, 1536, 2048]);
  });

  it('joins the POSIX ustar prefix but ignores that field in GNU headers', () => {
    const archive = Buffer.concat([
      fileEntry('file.txt', 'a', { prefix: 'usr/share/doc' }),
      fileEntry('other.txt', 'b', { prefix: 'not-a-prefix', gnu: true }),
    ]);
    expect([...readTar(archive, 't')].map((e) => e.name)).toEqual(['usr/share/doc/file.txt', 'other.txt']);
  });

  it('applies pax path, linkpath and size to the next entry only', () => {
    const longPath = `${'deep/'.repeat(40)}file`;
    const records = Buffer.from(paxRecord('path', longPath) + paxRecord('linkpath', 'ünïcode-target') + paxRecord('mtime', '1.5'));
    const sized = Buffer.from(paxRecord('size', '3'));
    const archive = Buffer.concat([
      header({ name: 'PaxHeader', type: 'x', size: records.length }),
      padded(records),
      header({ name: 'short', type: '2' }),
      header({ name: 'PaxHeader', type: 'x', size: sized.length }),
      padded(sized),
      // The header's own size (0) is overridden by the pax record, as for files over 8 GiB.
      header({ name: 'sized', size: 0 }),
      padded(Buffer.from('xyz')),
      fileEntry('plain', 'p'),
    ]);
    const entries = [...readTar(archive, 't')];
    expect(entries.map((e) => [e.name, e.linkName, e.content.toString()])).toEqual([
      [longPath, 'ünïcode-target', ''],
      ['sized', undefined, 'xyz'],
      ['plain', undefined, 'p'],
    ]);
  });

  it('applies GNU long names (L) and long link names (K)', () => {
    const longName = `${'x'.repeat(150)}/name`;
    const longLink = `${'y'.repeat(120)}/target`;
    const archive = Buffer.concat([
      header({ name: '././@LongLink', type: 'L', size: longName.length + 1, gnu: true }),
      padded(Buffer.from(`${longName}\0`)),
      header({ name: '././@LongLink', type: 'K', size: longLink.length + 1, gnu: true }),
      padded(Buffer.from(`${longLink}\0`)),
      header({ name: 'truncated-name', type: '2', linkName: 'truncated-link', gnu: true }),
    ]);
    const [entry] = [...readTar(archive, 't')];
    expect(entry?.name).toBe(longName);
    expect(entry?.linkName).toBe(longLink);
  });

  it('skips pax global headers and reads data past an entry with an unknown typeflag', () => {
    const global = Buffer.from(paxRecord('comment', 'git commit id'));
    const archive = Buffer.concat([
      header({ name: 'pax_global_header', type: 'g', size: global.length }),
      padded(global),
      fileEntry('vendor-type', 'data!', { type: 'V' }),
      fileEntry('after', 'ok'),
    ]);
    const entries = [...readTar(archive, 't')];
    expect(entries.map((e) => [e.name, e.type, e.typeFlag, e.content.toString()])).toEqual([
      ['vendor-type', 'other', 'V', 'data!'],
      ['after', 'file', '0', 'ok'],
    ]);
  });

  it('gives header-only types no data even when their size field is set', () => {
    const archive = Buffer.concat([header({ name: 'dir/', type: '5', size: 1024 }), fileEntry('next', 'n')]);
    expect([...readTar(archive, 't')].map((e) => [e.name, e.size])).toEqual([
      ['dir/', 0],
      ['next', 1],
    ]);
  });

  it('reads a GNU base-256 size field', () => {
    const block = header({ name: 'big', size: 0 });
    block.fill(0, 124, 136);
    block[124] = 0x80;
    block[135] = 5;
    block.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of block) sum += byte;
    block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const [entry] = [...readTar(Buffer.concat([block, padded(Buffer.from('12345'))]), 't')];
    expect(entry?.content.toString()).toBe('12345');
  });

  it('stops at the first zero block and accepts archives without end blocks', () => {
    const cut = fileEntry('.SIGN.RSA.key.rsa.pub', 'sig');
    expect([...readTar(cut, 't')].map((e) => e.name)).toEqual(['.SIGN.RSA.key.rsa.pub']);
    const afterEnd = Buffer.concat([fileEntry('a', '1'), END, fileEntry('ignored', '2')]);
    expect([...readTar(afterEnd, 't')].map((e) => e.name)).toEqual(['a']);
    expect([...readTar(Buffer.alloc(0), 't')]).toEqual([]);
  });

  it('reads the real APKINDEX.tar.gz stream: signature, DESCRIPTION and APKINDEX members', () => {
    // data/alpine-sample/README.md: the archive's members were extracted unchanged beside it.
    const dir = repoPath('data', 'alpine-sample', 'apkindex', 'v3.16-main-x86_64');
    const entries = [...readTar(gunzipSync(readFileSync(`${dir}/APKINDEX.tar.gz`)), 'APKINDEX.tar.gz')];
    expect(entries.map((e) => e.name)).toEqual([
      '.SIGN.RSA.alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub',
      'DESCRIPTION',
      'APKINDEX',
    ]);
    expect(entries[1]?.content.equals(readFileSync(`${dir}/DESCRIPTION`))).toBe(true);
    expect(entries[2]?.content.equals(readFileSync(`${dir}/APKINDEX`))).toBe(true);
  });

  describe('bad input', () => {
    it('rejects a header whose checksum does not match, at that header', () => {
      const archive = Buffer.concat([fileEntry('a', 'x'), fileEntry('b', 'y')]);
      archive[1024 + 3] = 0x41;
      expectInputError(() => [...readTar(archive, 't')], 'byte 1024', /checksum/);
    });

    it('rejects data running past the end and a partial header', () => {
      const archive = fileEntry('a', 'x'.repeat(700));
      expectInputError(() => [...readTar(archive.subarray(0, 1000), 't')], 'byte 0', /past the end/);
      expectInputError(() => [...readTar(Buffer.concat([fileEntry('a', 'x'), Buffer.alloc(100, 1)]), 't')], 'byte 1024', /truncated/);
    });

    it('rejects a size field that is not octal', () => {
      const block = header({ name: 'a' });
      block.write('12x', 124, 'latin1');
      block.fill(0x20, 148, 156);
      let sum = 0;
      for (const byte of block) sum += byte;
      block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
      expectInputError(() => [...readTar(block, 't')], 'byte 124', /octal/);
    });

    it('rejects a malformed pax record and an extended header with no entry after it', () => {
      const bad = Buffer.from('99 path=x\n');
      const archive = Buffer.concat([header({ name: 'p', type: 'x', size: bad.length }), padded(bad)]);
      expectInputError(() => [...readTar(archive, 't')], 'byte 512', /pax/);
      const good = Buffer.from(paxRecord('path', 'x'));
      const dangling = Buffer.concat([header({ name: 'p', type: 'x', size: good.length }), padded(good)]);
      expectInputError(() => [...readTar(dangling, 't')], 'byte 0', /not followed/);
    });

    it('either reads or throws InputError for flipped, truncated and spliced archives', () => {
      const valid = extendedArchive();
      const mutated = fc.oneof(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
          const copy = Buffer.from(valid);
          for (const [at, value] of flips) copy[at] = value;
          return copy;
        }),
        fc.nat(valid.length).map((cut) => valid.subarray(0, cut)),
        fc.tuple(fc.nat(valid.length), fc.nat(valid.length)).map(([a, b]) => Buffer.concat([valid.subarray(0, a), valid.subarray(b)])),
        fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
      );
      fc.assert(
        fc.property(mutated, (bytes) => {
          try {
            for (const entry of readTar(bytes, 't')) expect(entry.content.length).toBe(entry.size);
          } catch (error) {
            expect(error).toBeInstanceOf(InputError);
          }
        }),
        { numRuns: 400 },
      );
    });
  });

  describe('streaming (TarReader)', () => {
    /** Feeds `chunks` one by one, collecting entries as [name, data] with the data joined. */
    function readInChunks(chunks: Iterable<Buffer>): [string, string][] {
      const reader = new TarReader('t');
      const entries: [string, string][] = [];
      let data: Buffer[] = [];
      const drain = () => {
        for (let event = reader.next(); event !== undefined; event = reader.next()) {
          if (event.kind === 'entry') entries.push([event.header.name, '']);
          else if (event.kind === 'data') data.push(Buffer.from(event.bytes));
          else {
            const last = entries.at(-1);
            if (last !== undefined) last[1] = Buffer.concat(data).toString();
            data = [];
          }
        }
      };
      for (const chunk of chunks) {
        reader.write(chunk);
        drain();
      }
      reader.end();
      drain();
      return entries;
    }

    it('reads the same entries whatever the chunk boundaries, pax and long names included', () => {
      const archive = extendedArchive();
      const whole = [...readTar(archive, 't')].map((entry): [string, string] => [entry.name, entry.content.toString()]);
      // The long name names the file after it; the pax path and size apply to the entry after it.
      expect(whole).toEqual([
        ['n'.repeat(200), 'content of the file'],
        ['p'.repeat(120), 'abcd'],
        ['link', ''],
      ]);
      fc.assert(
        fc.property(fc.array(fc.nat(archive.length), { maxLength: 12 }), (cuts) => {
          const points = [0, ...[...cuts].sort((a, b) => a - b), archive.length];
          const chunks = points.slice(1).map((end, index) => archive.subarray(points[index], end));
          expect(readInChunks(chunks)).toEqual(whole);
        }),
        { numRuns: 200 },
      );
    });

    it('holds no more than the chunk it is given while a 256 MiB entry streams through', () => {
      const size = 256 * 1024 * 1024;
      const chunk = Buffer.alloc(64 * 1024);
      const reader = new TarReader('big.tar');
      const events: TarEvent['kind'][] = [];
      let largestPiece = 0;
      let dataBytes = 0;
      const drain = () => {
        for (let event = reader.next(); event !== undefined; event = reader.next()) {
          if (event.kind === 'data') {
            largestPiece = Math.max(largestPiece, event.bytes.length);
            dataBytes += event.bytes.length;
            // A view into the chunk written, never a copy gathered from several chunks.
            expect(event.bytes.buffer).toBe(chunk.buffer);
          } else events.push(event.kind);
        }
      };
      reader.write(header({ name: 'zeros', size }));
      drain();
      for (let sent = 0; sent < size; sent += chunk.length) {
        reader.write(chunk);
        drain();
      }
      reader.write(END);
      drain();
      reader.end();
      drain();
      expect(events).toEqual(['entry', 'entry-end']);
      expect(dataBytes).toBe(size);
      expect(largestPiece).toBe(chunk.length);
      expect(reader.finished).toBe(true);
    });

    it('refuses an extended header too large to hold, at its header', () => {
      const reader = new TarReader('t');
      reader.write(header({ name: 'x', type: 'x', size: 2 * 1024 * 1024 }));
      expectInputError(() => reader.next(), 'byte 0', /extended tar header of 2097152 bytes is larger than/);
    });
  });
});
