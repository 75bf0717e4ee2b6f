import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import type { ApkPackage } from './apkindex.js';
import { parseApkIndexEntries, parseApkIndexText, readApkIndexArchive } from './apkindex.js';
import { parseInstalledDb, streamInstalledDb } from './installed.js';
import { InputError } from '../base/input-error.js';

/*
 * Expected values come from data/alpine-sample/README.md (package counts, versions, key names,
 * signature member sizes 667/666 from keys/README.md), fixtures/apk-tools/README.md and
 * fixtures/apk-tools/derived/signed-index/README.md (member 2 at byte 390), or are read from the
 * extracted files beside each archive.
 */

const KEY_16 = 'alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub';
const KEY_17 = 'alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub';

function sample(...segments: string[]): Buffer {
  return readFileSync(repoPath('data', 'alpine-sample', ...segments));
}

function alpineKey(name: string): string {
  return sample('keys', name).toString('utf8');
}

const V316 = {
  dir: 'v3.16-main-x86_64',
  key: KEY_16,
  count: 4929,
  arch: 'x86_64',
  signatureMemberLength: 667,
  versions: {
    openssl: '1.1.1s-r0',
    busybox: '1.35.0-r17',
    curl: '7.83.1-r4',
    zlib: '1.2.12-r3',
    expat: '2.5.0-r0',
    sqlite: '3.38.5-r0',
    musl: '1.2.3-r2',
  },
};
const V317 = {
  dir: 'v3.17-main-aarch64',
  key: KEY_17,
  count: 5004,
  arch: 'aarch64',
  signatureMemberLength: 666,
  versions: {
    openssl: '3.0.8-r4',
    busybox: '1.35.0-r29',
    curl: '8.1.1-r1',
    zlib: '1.2.13-r0',
    expat: '2.5.0-r0',
    sqlite: '3.40.1-r0',
    musl: '1.2.3-r5',
  },
};

const archive316 = sample('apkindex', V316.dir, 'APKINDEX.tar.gz');
const keys316 = new Map([[KEY_16, alpineKey(KEY_16)]]);

function expectInputError(action: () => unknown, problem: RegExp): InputError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problem).toMatch(problem);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

function chunked(bytes: Buffer, size: number): AsyncIterable<Buffer> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  return Readable.from(pieces);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** A tar stream written by tar-stream (an independent writer), optionally with its end blocks cut as abuild does. */
async function tarOf(entries: { name: string; content: Buffer }[], cutEnd: boolean): Promise<Buffer> {
  const packer = pack();
  for (const { name, content } of entries) packer.entry({ name, size: content.length }, content);
  packer.finalize();
  const bytes = Buffer.concat(await collect(Readable.from(packer) as AsyncIterable<Buffer>));
  return cutEnd ? bytes.subarray(0, bytes.length - 1024) : bytes;
}

describe('readApkIndexArchive on real Alpine indexes', () => {
  for (const index of [V316, V317]) {
    it(`verifies ${index.dir} with ${index.key} and matches the extracted APKINDEX`, () => {
      const bytes = sample('apkindex', index.dir, 'APKINDEX.tar.gz');
      const result = readApkIndexArchive(bytes, 'APKINDEX.tar.gz', {
        trustedKeys: new Map([[index.key, alpineKey(index.key)]]),
      });
      expect(result.trust).toEqual({ status: 'verified', keyName: index.key, algorithm: 'sha1' });
      expect(result.description).toBe(sample('apkindex', index.dir, 'DESCRIPTION').toString('utf8').trim());
      const text = sample('apkindex', index.dir, 'APKINDEX').toString('utf8');
      expect(result.packages).toHaveLength(index.count);
      expect(text.match(/^P:/gm)).toHaveLength(index.count);
      expect(result.packages).toEqual(parseApkIndexText(text, 'APKINDEX'));
      expect(new Set(result.packages.map((pkg) => pkg.arch))).toEqual(new Set([index.arch]));
      for (const [name, version] of Object.entries(index.versions)) {
        expect(result.packages.find((pkg) => pkg.name === name)?.version).toBe(version);
      }
    });
  }

  it('decodes the curl stanza of v3.16 field by field', () => {
    const text = sample('apkindex', V316.dir, 'APKINDEX').toString('utf8');
    const rawStanza = text.split('\n\n').find((stanza) => stanza.includes('\nP:curl\n'));
    const raw = new Map(rawStanza?.split('\n').map((line) => [line.slice(0, 1), line.slice(2)]));
    const curl = readApkIndexArchive(archive316, 'x', { trustedKeys: keys316 }).packages.find((pkg) => pkg.name === 'curl');
    expect(curl).toMatchObject({
      checksum: raw.get('C'),
      version: '7.83.1-r4',
      arch: 'x86_64',
      size: Number(raw.get('S')),
      installedSize: Number(raw.get('I')),
      description: raw.get('T'),
      url: raw.get('U'),
      license: raw.get('L'),
      origin: 'curl',
      maintainer: raw.get('m'),
      buildTime: Number(raw.get('t')),
      commit: raw.get('c'),
    });
    expect(curl?.depends.map((dep) => dep.name).join(' ')).toBe(raw.get('D'));
    expect(curl?.provides).toEqual([{ name: 'cmd:curl', conflict: false, op: '=', version: '7.83.1-r4' }]);
  });

  it('parses and verifies the 4929-entry index well under 100 ms of CPU time', () => {
    readApkIndexArchive(archive316, 'warm-up', { trustedKeys: keys316 });
    const times: number[] = [];
    for (let run = 0; run < 5; run++) {
      const start = process.cpuUsage();
      readApkIndexArchive(archive316, 'x', { trustedKeys: keys316 });
      const used = process.cpuUsage(start);
      times.push((used.user + used.system) / 1000);
    }
    expect(Math.min(...times)).toBeLessThan(100);
  });
});

describe('readApkIndexArchive trust decisions', () => {
  const untrusted = { allowUntrusted: true };

  it('verifies the synthetic abuild-style index with its own key', () => {
    const dir = repoPath('fixtures', 'apk-tools', 'derived', 'signed-index');
    const keyName = 'test@example.org-1234.rsa.pub';
    const result = readApkIndexArchive(readFileSync(`${dir}/APKINDEX.tar.gz`), 'signed-index', {
      trustedKeys: new Map([[keyName, readFileSync(`${dir}/${keyName}`, 'utf8')]]),
    });
    expect(result.trust).toEqual({ status: 'verified', keyName, algorithm: 'sha1' });
    expect(result.description).toBe('v3.99.0-test');
    expect(result.packages.map((pkg) => [pkg.name, pkg.version, pkg.size, pkg.installedSize])).toEqual([['a', '1', 1, 1]]);
  });

  it('refuses a bad signature (a byte flipped after the signature member) unless allowed', () => {
    const flipped = Buffer.from(archive316);
    // Byte 4 of member 2's gzip header is its MTIME: inflating still works, the signed bytes differ.
    const mtimeByte = V316.signatureMemberLength + 4;
    flipped.writeUInt8(flipped.readUInt8(mtimeByte) ^ 0x01, mtimeByte);
    expectInputError(() => readApkIndexArchive(flipped, 'x', { trustedKeys: keys316 }), /does not verify/);
    const allowed = readApkIndexArchive(flipped, 'x', { trustedKeys: keys316, ...untrusted });
    expect(allowed.trust).toEqual({ status: 'bad-signature', keyNames: [KEY_16] });
    expect(allowed.packages).toHaveLength(V316.count);
  });

  it('refuses an index without its signature member unless allowed', () => {
    const unsigned = archive316.subarray(V316.signatureMemberLength);
    expectInputError(() => readApkIndexArchive(unsigned, 'x', { trustedKeys: keys316 }), /not signed/);
    const allowed = readApkIndexArchive(unsigned, 'x', { trustedKeys: keys316, ...untrusted });
    expect(allowed.trust).toEqual({ status: 'unsigned' });
    expect(allowed.packages).toHaveLength(V316.count);
  });

  it('refuses an unknown key (empty key map) unless allowed', () => {
    expectInputError(() => readApkIndexArchive(archive316, 'x', { trustedKeys: new Map() }), /untrusted key/);
    const allowed = readApkIndexArchive(archive316, 'x', { trustedKeys: new Map(), ...untrusted });
    expect(allowed.trust).toEqual({ status: 'unknown-key', keyNames: [KEY_16] });
  });

  it('refuses the other Alpine key stored under the expected name', () => {
    const wrong = new Map([[KEY_16, alpineKey(KEY_17)]]);
    expectInputError(() => readApkIndexArchive(archive316, 'x', { trustedKeys: wrong }), /does not verify/);
  });

  it('rejects a trusted key that is not a PEM public key, naming the key', () => {
    const error = expectInputError(
      () => readApkIndexArchive(archive316, 'x', { trustedKeys: new Map([[KEY_16, 'not a key']]) }),
      /PEM/,
    );
    expect(error.source).toBe(KEY_16);
  });

  it('checks RSA256 and RSA512 signatures and accepts one good signature among several', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const indexMember = archive316.subarray(V316.signatureMemberLength);
    const signatureMember = async (names: [string, Buffer][]) =>
      gzipSync(await tarOf(names.map(([name, content]) => ({ name, content })), true));
    for (const [algorithm, digest] of [['RSA256', 'sha256'], ['RSA512', 'sha512']] as const) {
      const signature = sign(digest, indexMember, privateKey);
      const member = await signatureMember([
        [`.SIGN.DSA.old.rsa.pub`, Buffer.from('ignored algorithm')],
        [`.SIGN.RSA.other.rsa.pub`, Buffer.alloc(128, 7)],
        [`.SIGN.${algorithm}.mine.rsa.pub`, signature],
      ]);
      const result = readApkIndexArchive(Buffer.concat([member, indexMember]), 'x', {
        trustedKeys: new Map([['mine.rsa.pub', pem], ['other.rsa.pub', alpineKey(KEY_17)]]),
      });
      expect(result.trust).toEqual({ status: 'verified', keyName: 'mine.rsa.pub', algorithm: digest });
      expect(result.packages).toHaveLength(V316.count);
    }
  });

  it('reads gzip members with FNAME, FCOMMENT, FEXTRA and FHCRC header fields', async () => {
    const tar = await tarOf(
      [
        { name: 'DESCRIPTION', content: Buffer.from('flags test\n') },
        { name: 'APKINDEX', content: Buffer.from('P:x\nV:1\n\n') },
      ],
      false,
    );
    const plain = gzipSync(tar);
    const extra = Buffer.from([4, 0, 0x41, 0x42, 1, 2]);
    const header = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3]),
      extra,
      Buffer.from('APKINDEX.tar\0a comment\0'),
      Buffer.from([0, 0]),
    ]);
    const withFields = Buffer.concat([header, plain.subarray(10)]);
    const result = readApkIndexArchive(withFields, 'x', { trustedKeys: new Map(), ...untrusted });
    expect(result.description).toBe('flags test');
    expect(result.packages.map((pkg) => pkg.name)).toEqual(['x']);
  });
});

describe('readApkIndexArchive bad input', () => {
  const untrusted = { trustedKeys: keys316, allowUntrusted: true };

  it('rejects the real file cut at several offsets', () => {
    const memberEnd = V316.signatureMemberLength;
    for (const cut of [0, 5, 9, 11, 300, memberEnd - 8, memberEnd - 1, memberEnd + 5, memberEnd + 40, 100_000, archive316.length - 4]) {
      expectInputError(() => readApkIndexArchive(archive316.subarray(0, cut), 'x', untrusted), /truncated|empty|gzip/);
    }
    // Cut exactly after the signature member: a signature with nothing to sign.
    expectInputError(() => readApkIndexArchive(archive316.subarray(0, memberEnd), 'x', untrusted), /no APKINDEX/);
  });

  it('rejects trailing bytes that are not another gzip member', () => {
    expectInputError(() => readApkIndexArchive(Buffer.concat([archive316, Buffer.from('junk')]), 'x', untrusted), /gzip/);
  });

  it('rejects a corrupted tar header inside the index member, even when untrusted input is allowed', () => {
    const indexTar = gunzipSync(archive316.subarray(V316.signatureMemberLength));
    // Member 2's tar: DESCRIPTION header at 0, its data block at 512, APKINDEX header at 1024.
    indexTar.writeUInt8(indexTar.readUInt8(1024 + 3) ^ 0x20, 1024 + 3);
    const corrupted = Buffer.concat([archive316.subarray(0, V316.signatureMemberLength), gzipSync(indexTar)]);
    const error = expectInputError(() => readApkIndexArchive(corrupted, 'x', untrusted), /checksum/);
    // The signature entry (header + one data block) comes first in the gunzipped stream.
    expect(error.place).toBe(`byte ${1024 + 1024}`);
  });

  it('rejects an archive whose index part has a dot file or lacks APKINDEX', async () => {
    const withDotFile = gzipSync(await tarOf([{ name: '.PKGINFO', content: Buffer.from('pkgname = x\n') }], false));
    expectInputError(() => readApkIndexArchive(withDotFile, 'x', untrusted), /unexpected member/);
    const withoutIndex = gzipSync(await tarOf([{ name: 'DESCRIPTION', content: Buffer.from('d') }], false));
    expectInputError(() => readApkIndexArchive(withoutIndex, 'x', untrusted), /no APKINDEX/);
  });

  it('refuses to inflate beyond the size limit', () => {
    expectInputError(
      () => readApkIndexArchive(archive316, 'x', { ...untrusted, maxUncompressedBytes: 100_000 }),
      /exceeds 100000 bytes/,
    );
  });

  it('either reads or throws InputError for randomly flipped, cut and spliced archives', () => {
    const synthetic = readFileSync(repoPath('fixtures', 'apk-tools', 'derived', 'signed-index', 'APKINDEX.tar.gz'));
    const mutate = (valid: Buffer) =>
      fc.oneof(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
          const copy = Buffer.from(valid);
          for (const [at, value] of flips) copy[at] = value;
          return copy;
        }),
        fc.nat(valid.length).map((cut) => valid.subarray(0, cut)),
        fc.tuple(fc.nat(valid.length), fc.nat(valid.length)).map(([a, b]) => Buffer.concat([valid.subarray(0, a), valid.subarray(b)])),
      );
    const check = (bytes: Buffer) => {
      try {
        readApkIndexArchive(bytes, 'x', { trustedKeys: new Map(), allowUntrusted: true });
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
      }
    };
    fc.assert(fc.property(mutate(synthetic), check), { numRuns: 300 });
    fc.assert(fc.property(mutate(archive316), check), { numRuns: 15 });
  });
});

describe('APKINDEX text', () => {
  function solverRepo(name: string): ApkPackage[] {
    const text = readFileSync(repoPath('fixtures', 'apk-tools', 'master', 'solver', name), 'utf8');
    return parseApkIndexText(text, name);
  }

  it('parses the apk-tools solver repositories: repeated p:, k:, i:, conflicts, fields before P:', () => {
    expect(solverRepo('basic.repo')).toHaveLength(6);
    expect(solverRepo('fuzzy.repo').map((pkg) => pkg.version)).toEqual(['2.2', '2.10']);
    const provides = solverRepo('provides.repo');
    expect(provides).toHaveLength(25);
    const byName = (name: string) => provides.find((pkg) => pkg.name === name);
    expect(byName('selfconflicting')?.provides).toEqual([
      { name: 'selfprovided', conflict: false, op: '=', version: '2' },
      { name: 'selfprovided', conflict: false, op: '=', version: '3' },
    ]);
    expect(byName('mailreadsolo')?.depends).toEqual([{ name: 'mail-reader', conflict: true, op: '' }]);
    expect(byName('mailreadplus')?.providerPriority).toBe(2);
    expect(byName('sane-backend-hpaio')?.installIf).toEqual([{ name: 'sane-backends', conflict: false, op: '' }]);
    expect(byName('pipewire-pulse')?.provides.map((dep) => `${dep.name}${dep.op}${dep.version}`)).toEqual([
      'pulseaudio=1',
      'pulseaudio-alsa=1',
    ]);
    // In provides.repo the `c:` and `C:` lines of pulseaudio come before its `P:` line.
    expect(byName('pulseaudio')).toMatchObject({
      checksum: 'Q1inqy40xXhjHaXXXG+qIshN+TIvA=',
      commit: 'a79b3f751d72fd4bdb6729139660d0b4f5b87a33',
      providerPriority: 10,
      origin: 'pulseaudio',
    });
  });

  // The stanza reader is shared; the installed database is the format it streams.
  it('streams the same packages as the string parser, whatever the chunk size', async () => {
    // trivy-apk.installed has "Timo Teräs": every 1..7-byte chunking splits the two-byte "ä" somewhere.
    const small = sample('apkindex', 'installed', 'trivy-apk.installed');
    const expected = parseInstalledDb(small.toString('utf8'), 'trivy');
    expect(expected.find((pkg) => pkg.name === 'musl')?.maintainer).toBe('Timo Teräs <timo.teras@iki.fi>');
    for (let size = 1; size <= 7; size++) {
      expect(await collect(streamInstalledDb(chunked(small, size), 'trivy'))).toEqual(expected);
    }
  });

  it('ends a stanza on a short line, keeps the last value of a scalar field, ignores unknown fields', () => {
    const packages = parseApkIndexText('P:a\nV:1\nV:2\nx:future\nZ:upper\n-\nP:b\nD:a\n', 't');
    expect(packages.map((pkg) => [pkg.name, pkg.version, pkg.line])).toEqual([
      ['a', '2', 1],
      ['b', undefined, 7],
    ]);
  });

  it('parses the dependency forms of apk-world(5)', () => {
    const deps = ['busybox', 'busybox@edge', '!unwanted', 'busybox=1.6.1', 'busybox~1.6', 'busybox><Q1abc=', 'a@tag>=2', 'so:libc.musl-x86_64.so.1'];
    const [pkg] = parseApkIndexText(`P:a\nD:${deps.join(' ')}\n`, 'index');
    expect(pkg?.depends).toEqual([
      { name: 'busybox', conflict: false, op: '' },
      { name: 'busybox', tag: 'edge', conflict: false, op: '' },
      { name: 'unwanted', conflict: true, op: '' },
      { name: 'busybox', conflict: false, op: '=', version: '1.6.1' },
      { name: 'busybox', conflict: false, op: '~', version: '1.6' },
      { name: 'busybox', conflict: false, op: '><', version: 'Q1abc=' },
      { name: 'a', tag: 'tag', conflict: false, op: '>=', version: '2' },
      { name: 'so:libc.musl-x86_64.so.1', conflict: false, op: '' },
    ]);
  });

  describe('bad input', () => {
    const place = (text: string) => expectInputError(() => parseApkIndexText(text, 't'), /./).place;

    it('rejects a line whose second character is not ":"', () => {
      expect(place('P:a\nV:1\nthis is not a field\n')).toBe('line 3');
    });

    it('rejects a stanza with fields but no P: name, at its first line', () => {
      expect(place('P:a\n\nC:Q1abc\nV:1\nA:x86_64\n')).toBe('line 3');
    });

    it('rejects a malformed number and a dependency without a name', () => {
      expect(place('P:a\nS:12k\n')).toBe('line 2');
      expect(place('P:a\nD:ok =1.0\n')).toBe('line 2');
      expect(place('P:a\nD:x@\n')).toBe('line 2');
    });

    it('rejects a 10 MB line from a string, and from a stream after reading little more than the line limit', async () => {
      const chunkSize = 1 << 16;
      const huge = Buffer.from(`P:a\nT:${'x'.repeat(10 * 1024 * 1024)}\n`);
      expect(place(huge.toString('utf8'))).toBe('line 2');
      // Chunks made only when asked for, so their count is what the reader read.
      let pulled = 0;
      const lazyChunks: AsyncIterable<Buffer> = {
        [Symbol.asyncIterator]: () => ({
          next: () => {
            const at = pulled * chunkSize;
            if (at >= huge.length) return Promise.resolve({ done: true, value: undefined });
            pulled += 1;
            return Promise.resolve({ done: false, value: huge.subarray(at, at + chunkSize) });
          },
        }),
      };
      const error = await collect(streamInstalledDb(lazyChunks, 't')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).place).toBe('line 2');
      // The work is bounded, which needs no clock: the stream gives up within a chunk of passing
      // the limit its message names, never holding (or reading) the rest of the line.
      const limit = Number(/over (\d+) bytes/.exec((error as InputError).problem)?.[1]);
      expect(pulled).toBeLessThanOrEqual(Math.ceil(limit / chunkSize) + 2);
      expect(pulled).toBeLessThan(Math.ceil(huge.length / chunkSize) / 4);
    });

    it('streams random input exactly as the string parser reads it, whatever the chunk size', async () => {
      const line = fc.constantFrom('P:pkg', 'V:1.0-r0', 'T:Teräs ✓', 'D:a !b', 'S:1x', '', 'x', 'P:', 'ab');
      const outcome = async (run: () => Promise<unknown>) => {
        try {
          return await run();
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          return (error as InputError).place;
        }
      };
      await fc.assert(
        fc.asyncProperty(fc.array(line, { maxLength: 20 }), fc.integer({ min: 1, max: 16 }), async (lines, size) => {
          const text = lines.join('\n');
          const fromString = await outcome(() => Promise.resolve(parseInstalledDb(text, 't')));
          const fromStream = await outcome(() => collect(streamInstalledDb(chunked(Buffer.from(text), size), 't')));
          expect(fromStream).toEqual(fromString);
        }),
        { numRuns: 200 },
      );
    });

    it('reads entries as it reads packages, refusing the same dependency lists at the same place', () => {
      const dependency = fc.constantFrom('a', '!a', '!!a', '!', '@t', 'a@', 'a@t', 'a@t@u', 'a@=1', 'a>=1', '=1', '!=', 'a>=1@x', 'so:x=1', 'a~', 'a=<>~');
      const separator = fc.constantFrom(' ', '  ', '\t', '\r', '\n');
      const list = fc.array(fc.tuple(dependency, separator), { maxLength: 6 }).map((parts) => parts.flat().join(''));
      const line = fc.oneof(fc.constantFrom('P:pkg', 'V:1.0-r0', 'S:12', 'S:1x', ''), list.map((text) => `D:${text}`), list.map((text) => `p:${text}`), list.map((text) => `i:${text}`));
      const outcome = (parse: () => readonly object[]) => {
        try {
          return parse().map((pkg) => ({ ...pkg, depends: undefined, provides: undefined, installIf: undefined }));
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          return [(error as InputError).place, (error as InputError).problem];
        }
      };
      fc.assert(
        fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
          const text = lines.join('\n');
          expect(outcome(() => parseApkIndexEntries(text, 't'))).toEqual(outcome(() => parseApkIndexText(text, 't')));
        }),
        { numRuns: 500 },
      );
      expect(parseApkIndexEntries('P:a\nD:so:libc.musl-x86_64.so.1 !b c@edge>=1\n', 't')).toHaveLength(1);
      expect(expectInputError(() => parseApkIndexEntries('P:a\nV:1\nD:ok =1.0\n', 't'), /without a name/).place).toBe('line 3');
      expect(expectInputError(() => parseApkIndexEntries('P:a\np:x@\n', 't'), /empty repository tag/).place).toBe('line 2');
    });

    it('either parses or throws InputError for random field lines', () => {
      const line = fc.oneof(
        fc.constantFrom('P:pkg', 'V:1.0-r0', 'D:a !b c>=1 d@t~2', 'S:12', 'k:x', 'p:so:x=1', 'i:', '', 'P:', 'D:=', 'x'),
        fc.string({ maxLength: 20 }),
      );
      fc.assert(
        fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
          try {
            for (const pkg of parseApkIndexText(lines.join('\n'), 't')) expect(pkg.name).not.toBe('');
          } catch (error) {
            expect(error).toBeInstanceOf(InputError);
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});
