/** Small helpers the JSON parsers share for checking parsed values field by field. */

export type JsonObject = Record<string, unknown>;
/** One step of a JSON path: a property name or an array index (see `jsonPath`). */
export type JsonPathStep = string | number;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a value is, for error messages: `null`, `an array`, `an object`, `a string`, ... */
export function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Reads only own properties, so a missing field never resolves to something on Object.prototype. */
export function ownField(object: JsonObject, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}
