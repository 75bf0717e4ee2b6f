import { badRequest } from './errors.js';

/** A query string as Fastify parses it: repeated keys become arrays. */
export type RawQuery = Record<string, string | string[] | undefined>;

const MAX_TEXT_LENGTH = 200;

/** Reads one parameter as text; repeated or over-long values are a 400. */
export function textParam(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (Array.isArray(value)) throw badRequest(`query parameter "${name}" is given more than once`);
  if (value.length > MAX_TEXT_LENGTH) throw badRequest(`query parameter "${name}" is longer than ${MAX_TEXT_LENGTH} characters`);
  return value;
}

/** Reads a parameter that must be one of `allowed`. */
export function choiceParam<T extends string>(query: RawQuery, name: string, allowed: readonly T[]): T | undefined {
  const value = textParam(query, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw badRequest(`query parameter "${name}" must be one of ${allowed.join(', ')}; got "${value}"`);
  }
  return value as T;
}

/** Reads a whole number within [min, max]. */
export function integerParam(query: RawQuery, name: string, min: number, max: number): number | undefined {
  const value = textParam(query, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw badRequest(`query parameter "${name}" must be a whole number from ${min} to ${max}; got "${value}"`);
  }
  return Number(value);
}

/** Reads a flag: `1`/`true`/`yes` or `0`/`false`/`no`. */
export function flagParam(query: RawQuery, name: string): boolean | undefined {
  const value = textParam(query, name);
  if (value === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw badRequest(`query parameter "${name}" must be 1 or 0; got "${value}"`);
}

/** Rejects parameters a route does not know, so a typo is a 400 rather than silently ignored. */
export function onlyParams(query: RawQuery, known: readonly string[]): void {
  const unknown = Object.keys(query).filter((key) => !known.includes(key));
  if (unknown.length > 0) throw badRequest(`unknown query parameter "${unknown[0]}"; this page takes ${known.length === 0 ? 'none' : known.join(', ')}`);
}
