import { type JsonObjectReader, JsonReader } from '../formats/json-value.js';
import type { FixLine, OpenVulnerability, SecurityData } from './model.js';

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

function texts(list: JsonReader): string[] {
  return list.asArray().map((item) => item.asNonEmptyString());
}

/** An object keyed by origin, read into a Map. */
function byOrigin<T>(root: JsonObjectReader, name: string, item: (value: JsonReader) => T): Map<string, T> {
  return new Map(root.object(name).entries().map(([origin, value]) => [origin, item(value)]));
}

/**
 * Reads a tracker's answer back into SecurityData, checking every field: a wrong or missing one
 * throws InputError naming `source` (the URL asked) and the field's JSON path.
 */
export function securityDataFromJson(value: unknown, source: string): SecurityData {
  const root = JsonReader.of(value, source).asObject();
  const endOfSupport = root.optional('endOfSupport')?.asNonEmptyString();
  return {
    kind: 'tracker',
    branch: root.field('branch').asNonEmptyString(),
    sources: texts(root.field('sources')),
    repos: texts(root.field('repos')),
    fixes: byOrigin(root, 'fixes', (lines) =>
      lines.asArray().map((entry): FixLine => {
        const line = entry.asObject();
        return {
          version: line.field('version').asNonEmptyString(),
          id: line.field('id').asNonEmptyString(),
          repo: line.field('repo').asNonEmptyString(),
        };
      }),
    ),
    open: byOrigin(root, 'open', (list) =>
      list.asArray().map((entry): OpenVulnerability => {
        const open = entry.asObject();
        return { id: open.field('id').asNonEmptyString(), state: open.field('state').asNonEmptyString() };
      }),
    ),
    rejected: byOrigin(root, 'rejected', (ids) => new Set(texts(ids))),
    published: byOrigin(root, 'published', (version) => version.asNonEmptyString()),
    ...(endOfSupport === undefined ? {} : { endOfSupport }),
  };
}
