import { InputError } from '../base/input-error.js';
import { jsonPath } from '../formats/json-path.js';
import type { FixLine, OpenVulnerability, SecurityData } from '../engine/scan-model.js';
import { type JsonObject, type JsonPathStep, describeJsonValue, isJsonObject, ownField } from '../formats/json-value.js';

/*
 * The tracker's security data on the wire: what `POST /api/branch/:branch/security-data`
 * asks for and answers, and the client's checks of the answer. Maps become objects keyed by
 * origin, sets become arrays; `kind` is implied (only the tracker serves this).
 */

/** The Fastify route the tracker serves it at. */
export const SECURITY_DATA_ROUTE = '/api/branch/:branch/security-data';

/** The path a client posts to for `branch`. */
export const securityDataPath = (branch: string): string => SECURITY_DATA_ROUTE.replace(':branch', encodeURIComponent(branch));

/** Most origins one request may name: above the origins of any branch, so one request serves a scan. */
export const MAX_REQUEST_PACKAGES = 20_000;
/** Longest origin name a request may give; apk names are far shorter. */
export const MAX_PACKAGE_NAME_LENGTH = 200;

/** The request body: the origins installed. */
export interface SecurityDataRequest {
  readonly packages: readonly string[];
}

export interface SecurityDataJson {
  readonly branch: string;
  readonly repos: readonly string[];
  readonly endOfSupport?: string;
  readonly sources: readonly string[];
  readonly fixes: Readonly<Record<string, readonly FixLine[]>>;
  readonly open: Readonly<Record<string, readonly OpenVulnerability[]>>;
  readonly rejected: Readonly<Record<string, readonly string[]>>;
  readonly published: Readonly<Record<string, string>>;
}

/** `Object.fromEntries` defines own properties, so an origin named `__proto__` stays data. */
function record<V, W>(map: ReadonlyMap<string, V> | undefined, convert: (value: V) => W): Record<string, W> {
  return Object.fromEntries([...(map ?? new Map<string, V>())].map(([key, value]) => [key, convert(value)]));
}

export function securityDataToJson(data: SecurityData): SecurityDataJson {
  return {
    branch: data.branch,
    repos: data.repos,
    ...(data.endOfSupport === undefined ? {} : { endOfSupport: data.endOfSupport }),
    sources: data.sources,
    fixes: record(data.fixes, (lines) => lines.map(({ version, id, repo }) => ({ version, id, repo }))),
    open: record(data.open, (list) => list.map(({ id, state }) => ({ id, state }))),
    rejected: record(data.rejected, (ids) => [...ids]),
    published: record(data.published, (version) => version),
  };
}

/** Checks a tracker's answer field by field; every problem names `source` and the JSON path. */
class AnswerReader {
  constructor(readonly source: string) {}

  fail(steps: readonly JsonPathStep[], problem: string): InputError {
    return new InputError(this.source, jsonPath(steps), problem);
  }

  string(value: unknown, steps: readonly JsonPathStep[]): string {
    if (value === undefined) throw this.fail(steps, `missing "${String(steps.at(-1))}"`);
    if (value === '') throw this.fail(steps, 'expected a non-empty string, found an empty one');
    if (typeof value !== 'string') throw this.fail(steps, `expected a non-empty string, found ${describeJsonValue(value)}`);
    return value;
  }

  object(value: unknown, steps: readonly JsonPathStep[]): JsonObject {
    if (!isJsonObject(value)) throw this.fail(steps, value === undefined ? `missing "${String(steps.at(-1))}"` : `expected an object, found ${describeJsonValue(value)}`);
    return value;
  }

  array<T>(value: unknown, steps: readonly JsonPathStep[], item: (value: unknown, steps: readonly JsonPathStep[]) => T): T[] {
    if (!Array.isArray(value)) throw this.fail(steps, value === undefined ? `missing "${String(steps.at(-1))}"` : `expected an array, found ${describeJsonValue(value)}`);
    return value.map((entry: unknown, index) => item(entry, [...steps, index]));
  }

  /** An object keyed by origin, read into a Map. */
  byOrigin<T>(root: JsonObject, name: string, item: (value: unknown, steps: readonly JsonPathStep[]) => T): Map<string, T> {
    const object = this.object(ownField(root, name), [name]);
    return new Map(Object.entries(object).map(([origin, value]) => [origin, item(value, [name, origin])]));
  }
}

/**
 * Reads a tracker's answer back into SecurityData, checking every field: a wrong or missing one
 * throws InputError naming `source` (the URL asked) and the field's JSON path.
 */
export function securityDataFromJson(value: unknown, source: string): SecurityData {
  const reader = new AnswerReader(source);
  const root = reader.object(value, []);
  const strings = (item: unknown, steps: readonly JsonPathStep[]) => reader.array(item, steps, (entry, at) => reader.string(entry, at));
  const endOfSupport = ownField(root, 'endOfSupport');
  return {
    kind: 'tracker',
    branch: reader.string(ownField(root, 'branch'), ['branch']),
    sources: strings(ownField(root, 'sources'), ['sources']),
    repos: strings(ownField(root, 'repos'), ['repos']),
    fixes: reader.byOrigin(root, 'fixes', (lines, steps) =>
      reader.array(lines, steps, (line, at): FixLine => {
        const object = reader.object(line, at);
        return {
          version: reader.string(ownField(object, 'version'), [...at, 'version']),
          id: reader.string(ownField(object, 'id'), [...at, 'id']),
          repo: reader.string(ownField(object, 'repo'), [...at, 'repo']),
        };
      }),
    ),
    open: reader.byOrigin(root, 'open', (list, steps) =>
      reader.array(list, steps, (entry, at): OpenVulnerability => {
        const object = reader.object(entry, at);
        return { id: reader.string(ownField(object, 'id'), [...at, 'id']), state: reader.string(ownField(object, 'state'), [...at, 'state']) };
      }),
    ),
    rejected: reader.byOrigin(root, 'rejected', (ids, steps) => new Set(strings(ids, steps))),
    published: reader.byOrigin(root, 'published', (version, steps) => reader.string(version, steps)),
    ...(endOfSupport === undefined ? {} : { endOfSupport: reader.string(endOfSupport, ['endOfSupport']) }),
  };
}
