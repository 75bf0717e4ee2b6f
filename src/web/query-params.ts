import { badRequest } from './errors.js';

/** A query string as Fastify parses it: repeated keys become arrays. */
export type RawQuery = Record<string, string | string[] | undefined>;

const MAX_TEXT_LENGTH = 200;

/** C0 controls (NUL, newline, ...), DEL and C1 controls: never part of a name, an id or a search. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Rejects a request whose path or query parameters hold a control character, before any route
 * reads them: PostgreSQL refuses NUL in text, and SQLite would cut a search at it.
 */
export function rejectControlCharacters(params: unknown, query: unknown): void {
  for (const [where, values] of [['path', params], ['query', query]] as const) {
    if (typeof values !== 'object' || values === null) continue;
    for (const [name, value] of Object.entries(values)) {
      if ([value].flat().some((text) => typeof text === 'string' && CONTROL_CHARACTER.test(text))) {
        throw badRequest(`${where} parameter "${name}" has a control character`);
      }
    }
  }
}

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
