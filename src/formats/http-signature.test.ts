import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InputError } from '../base/input-error.js';
import { type SignatureKey, contentDigestMatches, parseSignature, signRequest, verifySignature } from './http-signature.js';

const request = { method: 'POST', targetUri: 'https://b.example/inbox', body: '{"type":"Announce"}' };
const hmac: SignatureKey = { alg: 'hmac-sha256', secret: randomBytes(32) };
const pair = generateKeyPairSync('ed25519');
const keys: [string, SignatureKey, SignatureKey][] = [
  ['hmac-sha256', hmac, hmac],
  ['ed25519', { alg: 'ed25519', key: pair.privateKey }, { alg: 'ed25519', key: pair.publicKey }],
];
/** The Content-Digest header signRequest sends with a body. */
const contentDigest = (body: string) => signRequest({ ...request, body }, hmac, 'https://a.example', 1_700_000_000, 'nonce-1')['content-digest'];

describe('Content-Digest', () => {
  it('is the base64 sha-256 of the body as an RFC 9530 byte sequence', () => {
    // The well-known sha-256 of no bytes.
    expect(contentDigest('')).toBe('sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:');
    expect(contentDigestMatches(`md5=:AAAA:, ${contentDigest('x')}`, 'x')).toBe(true);
    expect(contentDigestMatches(contentDigest('x'), 'y')).toBe(false);
  });
});

describe.each(keys)('HTTP message signature with %s', (_alg, signing, verifying) => {
  const headers = signRequest(request, signing, 'https://a.example', 1_700_000_000, 'nonce-1');
  const parsed = parseSignature(headers['signature-input'], headers.signature);
  const signed = { method: 'POST', targetUri: request.targetUri, contentDigest: headers['content-digest'] };

  it('covers the method, target URI and digest, with created, nonce, keyid and alg', () => {
    expect(parsed).toMatchObject({ label: 'sig1', components: ['@method', '@target-uri', 'content-digest'], created: 1_700_000_000, nonce: 'nonce-1', keyId: 'https://a.example', alg: signing.alg });
    expect(verifySignature(parsed, signed, verifying)).toBe(true);
  });

  it('fails for another method, target, body digest or key', () => {
    expect(verifySignature(parsed, { ...signed, method: 'PUT' }, verifying)).toBe(false);
    expect(verifySignature(parsed, { ...signed, targetUri: 'https://c.example/inbox' }, verifying)).toBe(false);
    expect(verifySignature(parsed, { ...signed, contentDigest: contentDigest('{}') }, verifying)).toBe(false);
    const other: SignatureKey = verifying.alg === 'hmac-sha256' ? { alg: 'hmac-sha256', secret: randomBytes(32) } : { alg: 'ed25519', key: generateKeyPairSync('ed25519').publicKey };
    expect(verifySignature(parsed, signed, other)).toBe(false);
  });

  it('fails when the parameters are changed (created is signed too)', () => {
    const input = headers['signature-input'].replace('created=1700000000', 'created=1700000999');
    expect(verifySignature(parseSignature(input, headers.signature), signed, verifying)).toBe(false);
  });
});

describe('parseSignature', () => {
  const headers = signRequest(request, hmac, 'https://a.example', 1_700_000_000, 'n');
  it.each([
    ['no label', '("@method")', 'sig1=:AA==:', 'expected LABEL=VALUE'],
    ['a component left out', 'sig1=("@method" "@target-uri");created=1;nonce="n";keyid="k";alg="hmac-sha256"', 'sig1=:AA==:', 'must cover "content-digest"'],
    ['no nonce', 'sig1=("@method" "@target-uri" "content-digest");created=1;keyid="k";alg="hmac-sha256"', 'sig1=:AA==:', 'nonce'],
    ['no created', 'sig1=("@method" "@target-uri" "content-digest");nonce="n";keyid="k";alg="hmac-sha256"', 'sig1=:AA==:', 'created'],
    ['another label in Signature', headers['signature-input'], headers.signature.replace('sig1', 'sig2'), 'expected sig1=:BASE64:'],
  ])('refuses %s', (_case, input, signature, message) => {
    expect(() => parseSignature(input, signature)).toThrow(InputError);
    expect(() => parseSignature(input, signature)).toThrow(message);
  });
});
