import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inputErrorFrom } from '../test-support/input-errors.js';
import {
  checkIndexAgainstChecksums,
  checkSignature,
  compareWithChecksums,
  formatChecksums,
  formatPublicationIndex,
  indexKeyName,
  parseChecksums,
  parsePublicationIndex,
  readSigningKey,
  sha256Hex,
  signChecksums,
} from './publication.js';

const pem = () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  return { privateKey, publicKey };
};
const ours = pem();
const theirs = pem();
const A = sha256Hex(Buffer.from('a'));
const B = sha256Hex(Buffer.from('b'));

describe('SHA256SUMS', () => {
  it('lists files sorted by path in sha256sum format and reads them back', () => {
    const text = formatChecksums([
      { path: 'osv/all.json', sha256: B },
      { path: 'index.json', sha256: A },
    ]);
    expect(text).toBe(`${A}  index.json\n${B}  osv/all.json\n`);
    expect(parseChecksums(text, 'SHA256SUMS')).toEqual(new Map([['index.json', A], ['osv/all.json', B]]));
  });

  it.each([
    [`${A} index.json\n`, 'SHA256SUMS: line 1: expected "<sha256 hex>  <path>"'],
    [`${A}  ../etc/passwd\n`, 'SHA256SUMS: line 1: "../etc/passwd" is not a relative path inside the folder'],
    [`${A}  /etc/passwd\n`, 'SHA256SUMS: line 1: "/etc/passwd" is not a relative path inside the folder'],
    [`${A}  a\n${B}  a\n`, 'SHA256SUMS: line 2: a is listed twice'],
  ])('refuses %j', (text, message) => {
    expect(inputErrorFrom(() => parseChecksums(text, 'SHA256SUMS')).message).toBe(message);
  });
});

describe('the signature', () => {
  const sums = Buffer.from(`${A}  index.json\n`);
  const signature = signChecksums(sums, readSigningKey(ours.privateKey, 'ours.rsa'));

  it('is deterministic and verifies with the trusted key, whatever key the index names', () => {
    expect(signChecksums(sums, readSigningKey(ours.privateKey, 'ours.rsa'))).toEqual(signature);
    const trusted = new Map([['theirs.rsa.pub', theirs.publicKey], ['ours.rsa.pub', ours.publicKey]]);
    expect(checkSignature(sums, signature, trusted, 'ours.rsa.pub', 'SHA256SUMS.sig')).toBe('ours.rsa.pub');
    expect(checkSignature(sums, signature, trusted, undefined, 'SHA256SUMS.sig')).toBe('ours.rsa.pub');
  });

  it('fails for other bytes, for an untrusted key and for a key that is not a private RSA key', () => {
    const trusted = new Map([['ours.rsa.pub', ours.publicKey]]);
    expect(inputErrorFrom(() => checkSignature(Buffer.from('x'), signature, trusted, 'ours.rsa.pub', 'SHA256SUMS.sig')).message).toBe(
      'SHA256SUMS.sig: signature does not verify with trusted key ours.rsa.pub (tampered, or signed by another key)',
    );
    expect(inputErrorFrom(() => checkSignature(sums, signature, new Map([['theirs.rsa.pub', theirs.publicKey]]), 'ours.rsa.pub', 'SHA256SUMS.sig')).message).toBe(
      'SHA256SUMS.sig: signed by an unknown key (the index names ours.rsa.pub): no trusted key verifies it',
    );
    expect(inputErrorFrom(() => readSigningKey(ours.publicKey, 'ours.rsa.pub')).message).toBe('ours.rsa.pub: not a PEM private key');
    const ed25519 = generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    expect(inputErrorFrom(() => readSigningKey(ed25519.privateKey, 'ed.key')).message).toBe('ed.key: expected an RSA key, found ed25519');
  });
});

describe('index.json', () => {
  const index = { dataVersion: 7, generated: '2024-05-01T10:00:00.000Z', key: 'ours.rsa.pub', files: [{ path: 'openvex.json', export: 'openvex', mediaType: 'application/json', size: 1, sha256: A }] };

  it('round-trips and agrees with the checksums that list it', () => {
    const text = Buffer.from(formatPublicationIndex(index));
    expect(parsePublicationIndex(text, 'index.json')).toEqual(index);
    expect(indexKeyName(text)).toBe('ours.rsa.pub');
    expect(indexKeyName(Buffer.from('null'))).toBeUndefined();
    expect(() => checkIndexAgainstChecksums(index, new Map([['openvex.json', A], ['index.json', B]]), 'index.json')).not.toThrow();
    expect(inputErrorFrom(() => checkIndexAgainstChecksums(index, new Map([['openvex.json', B]]), 'index.json')).message).toBe('index.json: describes openvex.json other than SHA256SUMS lists it');
  });

  it('refuses a path outside the folder', () => {
    const text = Buffer.from(formatPublicationIndex({ ...index, files: [{ ...index.files[0]!, path: 'a/../../b' }] }));
    expect(inputErrorFrom(() => parsePublicationIndex(text, 'index.json')).message).toBe('index.json: $.files[0].path: "a/../../b" is not a relative path inside the folder');
  });
});

describe('compareWithChecksums', () => {
  const sums = new Map([['a', A], ['b', B]]);
  it.each([
    [new Map([['a', A], ['b', B], ['SHA256SUMS.sig', A]]), undefined],
    [new Map([['a', B], ['b', B]]), `pub/a: SHA-256 ${B} does not match ${A} in SHA256SUMS (tampered or damaged)`],
    [new Map([['b', B]]), 'pub/a: missing: SHA256SUMS lists it'],
    [new Map([['a', A], ['b', B], ['c', A]]), 'pub/c: extra file not listed in SHA256SUMS'],
  ])('%#: names the first file that differs', (actual, message) => {
    if (message === undefined) expect(() => compareWithChecksums(sums, actual, 'pub')).not.toThrow();
    else expect(inputErrorFrom(() => compareWithChecksums(sums, actual, 'pub')).message).toBe(message);
  });
});
