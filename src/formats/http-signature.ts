import { type KeyObject, createHash, createHmac, sign, timingSafeEqual, verify } from 'node:crypto';
import { InputError } from '../base/input-error.js';

/*
 * HTTP Message Signatures (RFC 9421) for one request, and the `Content-Digest` (RFC 9530) of its
 * body: just what trackers need to sign and check a notification. The signature covers the method,
 * the target URI and the body's digest; its parameters carry `created`, a `nonce`, the `keyid`
 * (the sender's origin) and `alg`. Only the `sha-256` digest and the algorithms `hmac-sha256` and
 * `ed25519` are known.
 */

/** The components every signature must cover. */
const COVERED_COMPONENTS = ['@method', '@target-uri', 'content-digest'] as const;

/** A key to sign with (HMAC secret or Ed25519 private key) or to verify with (secret or public key). */
export type SignatureKey = { readonly alg: 'hmac-sha256'; readonly secret: Buffer } | { readonly alg: 'ed25519'; readonly key: KeyObject };

/** The request facts a signature covers. */
export interface SignedRequest {
  readonly method: string;
  /** The absolute URL the request is sent to. */
  readonly targetUri: string;
  readonly contentDigest: string;
}

/** The two headers that carry a signature. */
export interface SignatureHeaders {
  readonly 'content-digest': string;
  readonly 'signature-input': string;
  readonly signature: string;
}

/** A signature as the headers give it, before it is checked. */
export interface ParsedSignature {
  readonly label: string;
  readonly components: readonly string[];
  /** Seconds since 1970 (the `created` parameter). */
  readonly created: number;
  readonly nonce: string;
  readonly keyId: string;
  readonly alg: string;
  /** The serialized inner list with its parameters, exactly as the signature base repeats it. */
  readonly paramsText: string;
  readonly signature: Buffer;
}

const SOURCE = 'signature headers';

/** `sha-256=:BASE64:` of a body. */
function contentDigest(body: string | Buffer): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

/** Whether a `Content-Digest` header holds the body's sha-256 (other algorithms in it are ignored). */
export function contentDigestMatches(header: string, body: string | Buffer): boolean {
  const wanted = contentDigest(body);
  return header.split(',').some((member) => member.trim() === wanted);
}

function signatureBase(request: SignedRequest, components: readonly string[], paramsText: string): string {
  const values: Record<string, string> = { '@method': request.method.toUpperCase(), '@target-uri': request.targetUri, 'content-digest': request.contentDigest };
  const lines = components.map((name) => {
    const value = values[name];
    if (value === undefined) throw new InputError(SOURCE, 'Signature-Input', `component "${name}" is not one secfix can check`);
    return `"${name}": ${value}`;
  });
  return [...lines, `"@signature-params": ${paramsText}`].join('\n');
}

const quoted = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The headers that sign a request's body, method and target with `key`, named by `keyId`. */
export function signRequest(
  request: { readonly method: string; readonly targetUri: string; readonly body: string | Buffer },
  key: SignatureKey,
  keyId: string,
  created: number,
  nonce: string,
): SignatureHeaders {
  const digest = contentDigest(request.body);
  const paramsText = `(${COVERED_COMPONENTS.map((name) => quoted(name)).join(' ')});created=${created};nonce=${quoted(nonce)};keyid=${quoted(keyId)};alg=${quoted(key.alg)}`;
  const base = Buffer.from(signatureBase({ ...request, contentDigest: digest }, COVERED_COMPONENTS, paramsText));
  const signature = key.alg === 'hmac-sha256' ? createHmac('sha256', key.secret).update(base).digest() : sign(null, base, key.key);
  return { 'content-digest': digest, 'signature-input': `sig1=${paramsText}`, signature: `sig1=:${signature.toString('base64')}:` };
}

/** Reads an sf-string at `at` (RFC 8941); returns it and the index after its closing quote. */
function readString(text: string, at: number): [string, number] {
  let value = '';
  for (let index = at + 1; index < text.length; index += 1) {
    const char = text[index]!;
    if (char === '\\') {
      const next = text[index + 1];
      if (next !== '"' && next !== '\\') throw new InputError(SOURCE, 'Signature-Input', 'a bad escape in a string');
      value += next;
      index += 1;
    } else if (char === '"') return [value, index + 1];
    else value += char;
  }
  throw new InputError(SOURCE, 'Signature-Input', 'an unterminated string');
}

/** The first member of a dictionary header: its label and the rest of the member's text. */
function firstMember(header: string, name: string): [string, string] {
  const match = /^\s*([a-z*][a-z0-9_.*-]*)=(.*)$/s.exec(header);
  if (match === null) throw new InputError(SOURCE, name, 'expected LABEL=VALUE');
  return [match[1]!, match[2]!];
}

/** Parses `Signature-Input` (its first member) and the `Signature` of the same label. */
export function parseSignature(signatureInput: string, signatureHeader: string): ParsedSignature {
  const [label, rest] = firstMember(signatureInput, 'Signature-Input');
  if (!rest.startsWith('(')) throw new InputError(SOURCE, 'Signature-Input', 'expected an inner list of covered components');
  const components: string[] = [];
  let at = 1;
  while (at < rest.length && rest[at] !== ')') {
    if (rest[at] === ' ') at += 1;
    else if (rest[at] === '"') {
      const [component, next] = readString(rest, at);
      components.push(component);
      at = next;
    } else throw new InputError(SOURCE, 'Signature-Input', 'components must be quoted strings');
  }
  if (rest[at] !== ')') throw new InputError(SOURCE, 'Signature-Input', 'an unterminated inner list');
  at += 1;
  const params = new Map<string, string | number>();
  while (at < rest.length && rest[at] === ';') {
    const name = /^[a-z*][a-z0-9_.*-]*/.exec(rest.slice(at + 1))?.[0];
    if (name === undefined || rest[at + 1 + name.length] !== '=') throw new InputError(SOURCE, 'Signature-Input', 'a malformed parameter');
    at += name.length + 2;
    if (rest[at] === '"') {
      const [value, next] = readString(rest, at);
      params.set(name, value);
      at = next;
    } else {
      const digits = /^\d{1,15}/.exec(rest.slice(at))?.[0];
      if (digits === undefined) throw new InputError(SOURCE, 'Signature-Input', `parameter ${name} is neither a string nor an integer`);
      params.set(name, Number(digits));
      at += digits.length;
    }
  }
  const paramsText = rest.slice(0, at);
  const [signatureLabel, encoded] = firstMember(signatureHeader, 'Signature');
  const bytes = /^:([A-Za-z0-9+/]*={0,2}):/.exec(encoded)?.[1];
  if (signatureLabel !== label || bytes === undefined) throw new InputError(SOURCE, 'Signature', `expected ${label}=:BASE64:`);
  const [created, nonce, keyId, alg] = [params.get('created'), params.get('nonce'), params.get('keyid'), params.get('alg')];
  if (typeof created !== 'number') throw new InputError(SOURCE, 'Signature-Input', 'the created parameter (an integer) is missing');
  if (typeof nonce !== 'string' || nonce === '') throw new InputError(SOURCE, 'Signature-Input', 'the nonce parameter is missing');
  if (typeof keyId !== 'string') throw new InputError(SOURCE, 'Signature-Input', 'the keyid parameter is missing');
  if (typeof alg !== 'string') throw new InputError(SOURCE, 'Signature-Input', 'the alg parameter is missing');
  for (const name of COVERED_COMPONENTS) {
    if (!components.includes(name)) throw new InputError(SOURCE, 'Signature-Input', `the signature must cover "${name}"`);
  }
  return { label, components, created, nonce, keyId, alg, paramsText, signature: Buffer.from(bytes, 'base64') };
}

/** Whether `parsed` is a valid signature of `request` by `key` (the algorithm must be the key's). */
export function verifySignature(parsed: ParsedSignature, request: SignedRequest, key: SignatureKey): boolean {
  if (parsed.alg !== key.alg) return false;
  const base = Buffer.from(signatureBase(request, parsed.components, parsed.paramsText));
  if (key.alg === 'ed25519') return verify(null, base, key.key, parsed.signature);
  const expected = createHmac('sha256', key.secret).update(base).digest();
  return expected.length === parsed.signature.length && timingSafeEqual(expected, parsed.signature);
}
