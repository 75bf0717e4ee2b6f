import { InputError } from '../base/input-error.js';
import { type JsonObjectReader, JsonReader } from '../formats/json-value.js';
import type { FixLine, OpenVulnerability, SecurityData } from '../engine/scan-model.js';

/*
 * A running secfix tracker's JSON API as `scan --server` uses it, both sides of the wire: what
 * `POST /api/branch/:branch/security-data` asks for and answers (the web route writes it with
 * securityDataToJson), the client's checks of the answer, and the request itself. Maps become
 * objects keyed by origin, sets become arrays; `kind` is implied (only the tracker serves this).
 */

/** The Fastify route the tracker serves it at. */
export const SECURITY_DATA_ROUTE = '/api/branch/:branch/security-data';

/** The path a client posts to for `branch`. */
const securityDataPath = (branch: string): string => SECURITY_DATA_ROUTE.replace(':branch', encodeURIComponent(branch));

/** Most origins one request may name: above the origins of any branch, so one request serves a scan. */
export const MAX_REQUEST_PACKAGES = 20_000;
/** Longest origin name a request may give; apk names are far shorter. */
export const MAX_PACKAGE_NAME_LENGTH = 200;

/** The request body: the origins installed. */
interface SecurityDataRequest {
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
  readonly notAffected: Readonly<Record<string, readonly string[]>>;
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
    notAffected: record(data.notAffected, (ids) => [...ids].sort()),
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
    notAffected: byOrigin(root, 'notAffected', (ids) => new Set(texts(ids))),
    published: byOrigin(root, 'published', (version) => version.asNonEmptyString()),
    ...(endOfSupport === undefined ? {} : { endOfSupport }),
  };
}

// The client: every failure is an InputError naming the URL asked, so the CLI prints one line and exits 2.

export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Checks a tracker address (`http://localhost:8080`, `https://security.example.org/tracker/`)
 * and returns it without trailing slashes. Throws Error with the reason; callers word it.
 */
export function trackerBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${JSON.stringify(text)} is not a URL; expected the tracker's address, e.g. http://localhost:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${JSON.stringify(text)}: expected an http:// or https:// address`);
  // Credentials would be printed in every message naming the URL, and fetch refuses them anyway.
  if (url.username !== '' || url.password !== '') throw new Error('the address must not contain a user name or password');
  if (url.search !== '' || url.hash !== '') throw new Error(`${JSON.stringify(text)}: expected the tracker's address without a query or fragment`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Words why fetch failed: undici puts the system error (ECONNREFUSED…) in `cause`. */
export function fetchFailure(error: unknown, url: string, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  let cause = (error as { cause?: unknown }).cause;
  // Connecting to every address of a name fails as one AggregateError without a message.
  if (cause instanceof AggregateError && cause.errors[0] instanceof Error) cause = cause.errors[0];
  const reason = cause instanceof Error ? cause.message : (error as Error).message;
  // The fetch standard blocks ports of other protocols (1, 9, 25…) before connecting.
  return reason === 'bad port' ? `fetch refuses port ${new URL(url).port}, which belongs to another protocol` : reason;
}

/** The `{error: {message}}` the tracker answers errors with, when the body is that. */
function errorMessage(body: unknown): string | undefined {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' && message !== '' ? message : undefined;
}

/**
 * POSTs `{"packages": origins}` to the tracker at `baseUrl` (see trackerBaseUrl) and returns the
 * parsed JSON answer, unchecked. 404 means the tracker has no such branch.
 */
export async function fetchSecurityData(
  baseUrl: string,
  branch: string,
  origins: readonly string[],
  options: { timeoutMs?: number } = {},
): Promise<{ url: string; body: unknown }> {
  const url = `${baseUrl}${securityDataPath(branch)}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  const request: SecurityDataRequest = { packages: origins };
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'secfix' },
      body: JSON.stringify(request),
      signal,
    });
    text = await response.text();
  } catch (error) {
    throw new InputError(url, undefined, `cannot reach the tracker: ${fetchFailure(error, url, timeoutMs)}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const told = errorMessage(body) ?? response.statusText;
    const status = `HTTP ${response.status}${told === '' ? '' : `: ${told}`}`;
    if (response.status !== 404) throw new InputError(url, undefined, status);
    // A tracker answers an unknown branch in its own error shape; any other 404 is the address.
    const problem =
      errorMessage(body) === undefined ? `the URL answered 404 (${status}); it may not be a secfix tracker's address` : `the tracker has no branch ${branch} (${status})`;
    throw new InputError(url, undefined, problem);
  }
  if (body === undefined) throw new InputError(url, undefined, `the answer is not JSON (${response.headers.get('content-type') ?? 'no content type'})`);
  return { url, body };
}
