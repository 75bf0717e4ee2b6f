import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../base/input-error.js';
import { classifySecfixId, decodeUtf8, parseSecfixEntry, versionKeyProblem } from './secfix-id.js';

describe('parseSecfixEntry', () => {
  it('keeps the first token as the id and the rest as a note', () => {
    // Real entries: glib v3.14 main.json line 898; openssl's regression note from reference/formats.md 2.6.
    expect(parseSecfixEntry('CVE-2021-27219 GHSL-2021-045', 's', 'p')).toEqual({ id: 'CVE-2021-27219', kind: 'cve', note: 'GHSL-2021-045' });
    expect(parseSecfixEntry('CVE-2017-2616 (+ regression fix)', 's', 'p')).toEqual({
      id: 'CVE-2017-2616',
      kind: 'cve',
      note: '(+ regression fix)',
    });
    expect(parseSecfixEntry('  CVE-2021-42373\t', 's', 'p')).toEqual({ id: 'CVE-2021-42373', kind: 'cve' });
  });

  it('throws InputError at the given place for an empty entry', () => {
    for (const text of ['', '   ', '\t\n']) {
      const error = captureError(() => parseSecfixEntry(text, 'main.json', '$.packages[0]'));
      expect(error).toBeInstanceOf(InputError);
      expect(error).toMatchObject({ source: 'main.json', place: '$.packages[0]' });
    }
  });
});

describe('classifySecfixId', () => {
  it('classifies the schemes seen in the sample secdb', () => {
    // ALPINE-13661 (busybox), GHSA-572g-rvwr-6c7f (squid), GNUTLS-SA-2020-03-31 (gnutls note): sample README + data.
    expect(classifySecfixId('CVE-2022-28391')).toBe('cve');
    expect(classifySecfixId('CVE-2021-1234567')).toBe('cve');
    expect(classifySecfixId('ALPINE-13661')).toBe('alpine');
    expect(classifySecfixId('GHSA-572g-rvwr-6c7f')).toBe('ghsa');
    expect(classifySecfixId('GNUTLS-SA-2020-03-31')).toBe('other');
  });

  it('puts the junk forms listed in prior-art 9.2 under other', () => {
    for (const junk of ['CVE_2019-2426', 'CVE-2021-35940.patch', 'CVE', 'CVE-46838', 'CVE-????-?????', 'cve-2021-1234', 'XSA-427']) {
      expect(classifySecfixId(junk)).toBe('other');
    }
  });
});

describe('versionKeyProblem', () => {
  it('accepts 0 and pkgver-rN keys from the sample data', () => {
    // Keys from v3.14 main.json: bind 9.10.4_p5-r0, openssl 1.1.1a-r0, busybox 1.33.1-r7.
    for (const key of ['0', '9.10.4_p5-r0', '1.1.1a-r0', '1.33.1-r7', '1.10-r0']) expect(versionKeyProblem(key)).toBeUndefined();
  });

  it('flags keys without -rN or with extra dashes (prior-art 9.1)', () => {
    for (const key of ['7.53.0', '2.24.1', '4.10-1-r1', '', 'r1', '-r0']) expect(versionKeyProblem(key)).toMatch(/does not look like pkgver-rN/);
  });
});

describe('decodeUtf8', () => {
  it('drops a byte order mark', () => {
    expect(decodeUtf8(Buffer.from('\uFEFF{"a":1}', 'utf8'), 's')).toBe('{"a":1}');
    expect(decodeUtf8('\uFEFFx', 's')).toBe('x');
  });

  it('reports the offset of the first invalid byte', () => {
    const bytes = Buffer.concat([Buffer.from('abc é ', 'utf8'), Buffer.from([0xc3, 0x28]), Buffer.from('tail')]);
    const error = captureError(() => decodeUtf8(bytes, 'x.json'));
    // "abc é " is 7 bytes (é is two), so the broken sequence starts at offset 7.
    expect(error).toMatchObject({ source: 'x.json', place: 'byte 7' });
  });

  it('accepts exactly the well-formed byte strings, else points at a byte where the valid prefix ends', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        const bytes = Buffer.from(raw);
        if (isUtf8(bytes)) {
          expect(decodeUtf8(bytes, 's')).toBe(bytes.toString('utf8').replace(/^\uFEFF/, ''));
          return;
        }
        const error = captureError(() => decodeUtf8(bytes, 's'));
        expect(error).toBeInstanceOf(InputError);
        const offset = Number((error as InputError).place?.replace('byte ', ''));
        expect(isUtf8(bytes.subarray(0, offset))).toBe(true);
        // A UTF-8 sequence is at most four bytes, so the broken one shows within four bytes of the offset.
        expect(isUtf8(bytes.subarray(offset, offset + 4))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

function captureError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('parseSecfixEntry on forms seen in real secfixes (prior-art report, section 9.1)', () => {
  it('keeps the CVE as the id when an alias is written before it', () => {
    expect(parseSecfixEntry('XSA-252 CVE-2018-7540', 'x', 'line 1')).toEqual({ id: 'CVE-2018-7540', kind: 'cve', note: 'XSA-252' });
    expect(parseSecfixEntry('CVE-2022-42332 XSA-427', 'x', 'line 1')).toEqual({ id: 'CVE-2022-42332', kind: 'cve', note: 'XSA-427' });
  });

  it('repairs CVE_ and .patch spellings', () => {
    expect(parseSecfixEntry('CVE_2019-2426', 'x', 'line 1')).toEqual({ id: 'CVE-2019-2426', kind: 'cve' });
    expect(parseSecfixEntry('CVE-2021-35940.patch', 'x', 'line 1')).toEqual({ id: 'CVE-2021-35940', kind: 'cve' });
  });

  it('does not take ids out of a parenthesized remark', () => {
    expect(parseSecfixEntry('ZBX-11023 (see CVE-2016-9999)', 'x', 'line 1')).toEqual({ id: 'ZBX-11023', kind: 'other', note: '(see CVE-2016-9999)' });
  });

  it('leaves unrepairable junk as written, for check to report', () => {
    expect(parseSecfixEntry('CVE-????-????? TS-2024-005', 'x', 'line 1')).toEqual({ id: 'CVE-????-?????', kind: 'other', note: 'TS-2024-005' });
  });
});
