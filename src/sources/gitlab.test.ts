import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitLabClient, GitLabError } from './gitlab.js';
import { type FakeGitLab, startFakeGitLab } from './test-support/fake-gitlab.js';

/*
 * A connection closed before any answer, as when fetch reuses a kept-alive connection the server
 * has just closed (a CI run failed with ECONNRESET): the fake drops the first matching request's
 * socket after reading it, without answering.
 */

const PROJECT = 'security/issues';
const TOKEN = 'glpat-test';

describe('GitLabClient on a dropped connection', () => {
  let gitlab: FakeGitLab;
  let client: GitLabClient;

  beforeEach(async () => {
    gitlab = await startFakeGitLab(PROJECT, TOKEN, [{ title: 'aports: CVE-2024-0001', description: 'open', state: 'opened', labels: [], notes: [] }]);
    client = new GitLabClient({ url: gitlab.url, project: PROJECT, token: TOKEN });
  });
  afterEach(() => gitlab.close());

  it('sends a GET once more and takes its answer', async () => {
    gitlab.failNext({ method: 'GET', path: /^\/issues$/, status: 'drop' });
    expect((await client.searchIssues('CVE-2024-0001')).map((issue) => issue.iid)).toEqual([1]);
    expect(gitlab.calls.map((call) => call.method)).toEqual(['GET', 'GET']);
  });

  it('sends a PUT once more, and it is carried out once', async () => {
    gitlab.failNext({ method: 'PUT', path: /^\/issues\/1$/, status: 'drop' });
    expect(await client.updateIssue(1, { description: 'fixed', stateEvent: 'close' })).toMatchObject({ iid: 1, state: 'closed', description: 'fixed' });
    expect(gitlab.calls.map((call) => call.method)).toEqual(['PUT', 'PUT']);
  });

  it('does not send a POST again, and says why', async () => {
    gitlab.failNext({ method: 'POST', path: /^\/issues$/, status: 'drop' });
    const failure = await client.createIssue({ title: 'aports: CVE-2024-0002', description: 'open', labels: [] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GitLabError);
    expect((failure as GitLabError).message).toBe('POST /issues: the connection closed before any answer (other side closed); not resent: the server may have carried out the POST');
    expect(gitlab.calls.map((call) => call.method)).toEqual(['POST']);
    expect(gitlab.issues).toHaveLength(1);
  });

  it('gives up when the resent request is dropped too', async () => {
    gitlab.failNext({ method: 'GET', path: /^\/issues$/, status: 'drop' });
    gitlab.failNext({ method: 'GET', path: /^\/issues$/, status: 'drop' });
    await expect(client.searchIssues('CVE')).rejects.toThrow('GET /issues?search=CVE&in=title%2Cdescription&state=all&per_page=100&page=1&order_by=created_at&sort=asc: the connection closed before any answer (other side closed); sent twice');
    expect(gitlab.calls).toHaveLength(2);
  });
});
