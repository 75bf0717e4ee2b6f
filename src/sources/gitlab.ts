import { InputError } from '../base/input-error.js';
import { type DownloadOptions, fetchWithRetries } from './acquire.js';

/**
 * The few GitLab REST v4 calls `secfix notify gitlab` makes on one project's issues
 * (https://docs.gitlab.com/ee/api/issues.html, https://docs.gitlab.com/ee/api/notes.html),
 * authenticated with a `PRIVATE-TOKEN` header. 429 answers are retried as Retry-After says, 5xx
 * answers and connections dropped before any answer only for reads and PUTs (a failed POST may
 * have been carried out); any other failure throws a `GitLabError` naming the call.
 */

/** An issue as the calls return it (the fields secfix reads). */
export interface GitLabIssue {
  readonly iid: number;
  readonly title: string;
  readonly description: string | null;
  readonly state: 'opened' | 'closed';
  readonly web_url?: string;
}

export interface GitLabProject {
  /** The instance's URL, without `/api/v4`. */
  readonly url: string;
  /** A numeric id or a path (`alpine/aports`). */
  readonly project: string;
  readonly token: string;
}

/** A call GitLab refused or that could not be made: the method, the path and the answer. */
export class GitLabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitLabError';
  }
}

/** Issues per page of a listing: GitLab's most. */
const PER_PAGE = 100;

export class GitLabClient {
  private readonly base: string;

  constructor(
    private readonly target: GitLabProject,
    private readonly options: DownloadOptions = {},
  ) {
    // A path goes URL-encoded into one segment (`alpine%2Faports`), as GitLab asks.
    this.base = `${target.url.replace(/\/+$/, '')}/api/v4/projects/${encodeURIComponent(target.project)}`;
  }

  private async call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: Record<string, string>): Promise<{ value: T; response: Response }> {
    const location = `${this.base}${path}`;
    const headers: Record<string, string> = { 'private-token': this.target.token, accept: 'application/json', 'user-agent': 'secfix' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetchWithRetries(location, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }, this.options);
    } catch (error) {
      throw new GitLabError(`${method} ${path}: ${error instanceof InputError ? error.problem : (error as Error).message}`);
    }
    if (!response.ok) {
      const text = (await response.text()).slice(0, 200);
      throw new GitLabError(`${method} ${path}: HTTP ${response.status} ${response.statusText}${text === '' ? '' : `: ${text}`}`.trim());
    }
    return { value: (await response.json()) as T, response };
  }

  /**
   * Every issue, open or closed, whose title or description contains `search` (GitLab's own
   * matching, which the caller checks), following the pages GitLab announces in `X-Next-Page`.
   */
  async searchIssues(search: string): Promise<GitLabIssue[]> {
    const issues: GitLabIssue[] = [];
    for (let page = '1'; page !== ''; ) {
      const query = new URLSearchParams({ search, in: 'title,description', state: 'all', per_page: String(PER_PAGE), page, order_by: 'created_at', sort: 'asc' });
      const { value, response } = await this.call<GitLabIssue[]>('GET', `/issues?${query.toString()}`);
      issues.push(...value);
      page = response.headers.get('x-next-page') ?? '';
    }
    return issues;
  }

  async createIssue(fields: { title: string; description: string; labels: readonly string[] }): Promise<GitLabIssue> {
    const body = { title: fields.title, description: fields.description, ...(fields.labels.length === 0 ? {} : { labels: fields.labels.join(',') }) };
    return (await this.call<GitLabIssue>('POST', '/issues', body)).value;
  }

  /** Rewrites the description, and closes or reopens the issue when `stateEvent` says so. */
  async updateIssue(iid: number, fields: { description: string; stateEvent?: 'close' | 'reopen' }): Promise<GitLabIssue> {
    const body = { description: fields.description, ...(fields.stateEvent === undefined ? {} : { state_event: fields.stateEvent }) };
    return (await this.call<GitLabIssue>('PUT', `/issues/${iid}`, body)).value;
  }

  async addNote(iid: number, text: string): Promise<void> {
    await this.call<unknown>('POST', `/issues/${iid}/notes`, { body: text });
  }
}
