import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new unguessable secret (256 bits, base64url): session ids, API tokens, sign-in state. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The SHA-256 (hex) of a secret: what the store keeps and looks secrets up by. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares two secrets in time independent of where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
