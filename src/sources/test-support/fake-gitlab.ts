import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A GitLab REST v4 issues API in memory on loopback, for the notify tests and benchmark: the four
 * calls `secfix notify gitlab` makes (list/search issues, create, update, add a note), checked
 * for the `PRIVATE-TOKEN` header and the URL-encoded project, recording every call. Failures can
 * be queued: the next matching call gets that answer instead, or its connection is dropped.
 */

export interface FakeIssue {
  readonly iid: number;
  title: string;
  description: string;
  state: 'opened' | 'closed';
  labels: string[];
  readonly notes: string[];
}

export interface RecordedCall {
  readonly method: string;
  /** The path after the project, e.g. `/issues`, `/issues/3/notes`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>> | null;
}

export interface QueuedFailure {
  readonly method: string;
  /** Matches the path after the project. */
  readonly path: RegExp;
  /** An HTTP status, or `drop`: the connection is closed without an answer. */
  readonly status: number | 'drop';
  readonly headers?: Readonly<Record<string, string>>;
}

export interface FakeGitLab {
  /** The instance's URL (what the `gitlab.url` setting names). */
  readonly url: string;
  readonly issues: FakeIssue[];
  readonly calls: RecordedCall[];
  /** The next call matching gets this answer (once). */
  failNext(failure: QueuedFailure): void;
  close(): Promise<void>;
}

const WRITE_METHODS = new Set(['POST', 'PUT']);

/** Calls that change something. */
export function writeCalls(calls: readonly RecordedCall[]): RecordedCall[] {
  return calls.filter((call) => WRITE_METHODS.has(call.method));
}

async function readBody(request: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
}

function send(response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(value));
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

function view(issue: FakeIssue) {
  return { iid: issue.iid, title: issue.title, description: issue.description, state: issue.state, labels: issue.labels };
}

/** Starts the fake for project `project` (a numeric id or a path), accepting only `token`. */
export async function startFakeGitLab(project: string, token: string, seed: readonly Omit<FakeIssue, 'iid'>[] = []): Promise<FakeGitLab> {
  const issues: FakeIssue[] = seed.map((issue, index) => ({ ...issue, iid: index + 1 }));
  const calls: RecordedCall[] = [];
  const failures: QueuedFailure[] = [];
  const prefix = `/api/v4/projects/${encodeURIComponent(project)}`;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    const body = await readBody(request);
    if (request.headers['private-token'] !== token) return send(response, 401, { message: '401 Unauthorized' });
    // The raw path: a project path must arrive as one encoded segment.
    const rawPath = (request.url ?? '').split('?')[0]!;
    if (!rawPath.startsWith(`${prefix}/`)) return send(response, 404, { message: '404 Project Not Found' });
    const path = rawPath.slice(prefix.length);
    calls.push({ method, path, query: Object.fromEntries(url.searchParams), body });
    const failure = failures.findIndex((queued) => queued.method === method && queued.path.test(path));
    if (failure >= 0) {
      const [queued] = failures.splice(failure, 1);
      if (queued!.status === 'drop') return void request.socket.destroy();
      return send(response, queued!.status, { message: `injected ${queued!.status}` }, { ...queued!.headers });
    }
    if (method === 'GET' && path === '/issues') {
      const search = (url.searchParams.get('search') ?? '').toLowerCase();
      const fields = (url.searchParams.get('in') ?? 'title,description').split(',');
      const state = url.searchParams.get('state') ?? 'all';
      const perPage = Number(url.searchParams.get('per_page') ?? 20);
      const page = Number(url.searchParams.get('page') ?? 1);
      const matching = issues.filter(
        (issue) =>
          (state === 'all' || issue.state === state) &&
          (search === '' || (fields.includes('title') && issue.title.toLowerCase().includes(search)) || (fields.includes('description') && issue.description.toLowerCase().includes(search))),
      );
      const next = page * perPage < matching.length ? String(page + 1) : '';
      return send(response, 200, matching.slice((page - 1) * perPage, page * perPage).map(view), { 'x-next-page': next, 'x-total': String(matching.length) });
    }
    if (method === 'POST' && path === '/issues') {
      const labels = typeof body?.['labels'] === 'string' ? body['labels'].split(',') : [];
      const issue: FakeIssue = { iid: issues.length + 1, title: text(body?.['title']), description: text(body?.['description']), state: 'opened', labels, notes: [] };
      issues.push(issue);
      return send(response, 201, view(issue));
    }
    const match = /^\/issues\/(\d+)(\/notes)?$/.exec(path);
    const issue = match === null ? undefined : issues.find((candidate) => candidate.iid === Number(match[1]));
    if (issue === undefined) return send(response, 404, { message: '404 Not found' });
    if (method === 'POST' && match?.[2] === '/notes') {
      issue.notes.push(text(body?.['body']));
      return send(response, 201, { id: issue.notes.length, body: body?.['body'] });
    }
    if (method === 'PUT' && match?.[2] === undefined) {
      if (typeof body?.['description'] === 'string') issue.description = body['description'];
      if (body?.['state_event'] === 'close') issue.state = 'closed';
      if (body?.['state_event'] === 'reopen') issue.state = 'opened';
      return send(response, 200, view(issue));
    }
    return send(response, 405, { message: '405 Method Not Allowed' });
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    issues,
    calls,
    failNext: (failure) => failures.push(failure),
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
