import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseIssueMarkers } from '../formats/gitlab-issue.js';
import { GitLabClient } from '../sources/gitlab.js';
import { type FakeGitLab, startFakeGitLab, writeCalls } from '../sources/test-support/fake-gitlab.js';
import { type TestStore, backends, openTestStore } from '../test-support/databases.js';
import { notifyGitLab } from './notify.js';

type NotifyOptions = Parameters<typeof notifyGitLab>[2];
import { recordTriage, triageQueue } from './triage.js';

/*
 * `notify gitlab` against a fake of GitLab's issues API on loopback (a real HTTP server that keeps
 * issues in memory and records calls), on the demo data of both databases. The demo's 3.14 is
 * past its end of support, so each test store moves every branch's end of support out.
 */

const PROJECT = 'security/issues';
const TOKEN = 'glpat-test';
const HOUR_MS = 3_600_000;

/** The data's own latest state change: runs are timed from it, so no test reads the clock. */
async function latestStateChange(store: TestStore): Promise<Date> {
  const { at } = await store.db.selectFrom('state_history').select((eb) => eb.fn.max('changed_at').as('at')).executeTakeFirstOrThrow();
  return new Date(at);
}

async function supportedDemo(backend: (typeof backends)[number]): Promise<TestStore> {
  const store = await openTestStore(backend, { contents: 'demo' });
  await store.db.updateTable('branch').set({ end_of_support: '2099-01-01' }).execute();
  return store;
}

describe.each(backends)('%s notify gitlab', (backend) => {
  let store: TestStore;
  let gitlab: FakeGitLab;
  let dataTime: Date;
  const waits: number[] = [];
  /** Two days after the data changed by default: every open pair is past the 24-hour grace period. */
  const options = (overrides: Partial<NotifyOptions['policy']> & { dryRun?: boolean; now?: Date } = {}): NotifyOptions => {
    const { dryRun = false, now = new Date(dataTime.getTime() + 48 * HOUR_MS), ...policy } = overrides;
    return { policy: { minSeverity: null, graceHours: 24, maxPerRun: 5, ...policy }, labels: ['security'], dryRun, now };
  };
  const client = () => new GitLabClient({ url: gitlab.url, project: PROJECT, token: TOKEN }, { wait: (ms) => (waits.push(ms), Promise.resolve()) });

  beforeEach(async () => {
    store = await supportedDemo(backend);
    dataTime = await latestStateChange(store);
    gitlab = await startFakeGitLab(PROJECT, TOKEN);
    waits.length = 0;
  });
  afterEach(async () => {
    await gitlab.close();
    await store.close();
  });

  it('opens one issue per open pair, up to maxPerRun, each with its marker, title and labels', async () => {
    const report = await notifyGitLab(store, client(), options());
    expect(report.failure).toBeNull();
    expect(report.actions.map((action) => action.action)).toEqual(['create', 'create', 'create', 'create', 'create']);
    expect(report.overLimit).toBe(report.openPairs - 5);
    expect(gitlab.issues).toHaveLength(5);
    for (const issue of gitlab.issues) {
      const markers = parseIssueMarkers(issue.description)!;
      expect(issue.title).toBe(`${markers.origin}: ${markers.vulnerabilityId}`);
      expect(issue.labels).toEqual(['security']);
      expect(markers.recordedOpen!.length).toBeGreaterThan(0);
    }
    expect(report.actions.map((action) => action.iid)).toEqual([1, 2, 3, 4, 5]);
  });

  it('waits out the grace period and leaves out what is below the least severity', async () => {
    const early = await notifyGitLab(store, client(), options({ now: new Date(dataTime.getTime() + HOUR_MS) }));
    expect(early.actions).toEqual([]);
    expect(early.waiting).toBe(early.openPairs);
    const severe = await notifyGitLab(store, client(), options({ minSeverity: 'critical', maxPerRun: 1000 }));
    expect(severe.belowSeverity).toBeGreaterThan(0);
    expect(severe.actions.length + severe.belowSeverity).toBe(severe.openPairs);
  });

  it('makes no write call on a dry run', async () => {
    const report = await notifyGitLab(store, client(), options({ dryRun: true }));
    expect(report.actions.every((action) => !action.done)).toBe(true);
    expect(report.actions).toHaveLength(5);
    expect(writeCalls(gitlab.calls)).toEqual([]);
  });

  it('creates nothing twice: a rerun, and a fresh database, find the issues by their markers', async () => {
    await notifyGitLab(store, client(), options({ maxPerRun: 1000 }));
    const created = gitlab.issues.length;
    const rerun = await notifyGitLab(store, client(), options({ maxPerRun: 1000 }));
    expect(rerun.actions).toEqual([]);
    expect(rerun.issuesFound).toBe(created);
    const fresh = await supportedDemo(backend);
    try {
      const again = await notifyGitLab(fresh, client(), options({ maxPerRun: 1000 }));
      expect(again.actions).toEqual([]);
      expect(gitlab.issues).toHaveLength(created);
    } finally {
      await fresh.close();
    }
  });

  it('adds a note when a branch is triaged, and closes the issue with a note when nothing is open', async () => {
    await notifyGitLab(store, client(), options({ maxPerRun: 1 }));
    const [issue] = gitlab.issues;
    const { origin, vulnerabilityId, recordedOpen } = parseIssueMarkers(issue!.description)!;
    const [first] = recordedOpen!;
    const firstBranch = first!.slice(0, first!.indexOf('/'));
    await recordTriage(store, { packages: [origin], vulnerabilities: [vulnerabilityId], status: 'not-affected', justification: 'component-not-present', note: 'not built', branches: [firstBranch] }, 'ann@example.org');
    const stillOpen = (await triageQueue(store, {}, dataTime.toISOString().slice(0, 10))).some((entry) => entry.package === origin && entry.vulnerabilityId === vulnerabilityId);
    const update = await notifyGitLab(store, client(), options({ maxPerRun: 0 }));
    expect(update.actions.filter((action) => action.iid === issue!.iid).map((action) => action.action)).toEqual([stillOpen ? 'update' : 'close']);
    expect(issue!.notes.at(-1)).toContain(`${first}: not-affected (component-not-present; triaged by ann\\@example.org: not built)`);

    await recordTriage(store, { packages: [origin], vulnerabilities: [vulnerabilityId], status: 'not-affected', justification: 'component-not-present', note: 'not built' }, 'ann@example.org');
    await notifyGitLab(store, client(), options({ maxPerRun: 0 }));
    expect(issue!.state).toBe('closed');
    expect(issue!.notes.at(-1)).toMatch(/^Closed by secfix: nothing is open/);
    expect(parseIssueMarkers(issue!.description)!.recordedOpen).toEqual([]);
    const quiet = await notifyGitLab(store, client(), options({ maxPerRun: 0 }));
    expect(quiet.actions).toEqual([]);
  });

  it('waits as Retry-After says on a 429, and retries nothing else the server may have done', async () => {
    gitlab.failNext({ method: 'GET', path: /^\/issues$/, status: 429, headers: { 'retry-after': '7' } });
    const report = await notifyGitLab(store, client(), options({ maxPerRun: 1 }));
    expect(waits).toEqual([7000]);
    expect(report.failure).toBeNull();
    expect(gitlab.issues).toHaveLength(1);
  });

  it('loses nothing when a create fails: the run stops, reports it, and the rerun converges', async () => {
    gitlab.failNext({ method: 'POST', path: /^\/issues$/, status: 500 });
    const failed = await notifyGitLab(store, client(), options({ maxPerRun: 3 }));
    expect(failed.failure).toMatch(/POST \/issues: HTTP 500/);
    expect(failed.actions.map((action) => action.done)).toEqual([false, false, false]);
    expect(gitlab.calls.filter((call) => call.method === 'POST')).toHaveLength(1);
    const rerun = await notifyGitLab(store, client(), options({ maxPerRun: 3 }));
    expect(rerun.failure).toBeNull();
    expect(gitlab.issues.map((issue) => issue.title)).toEqual(rerun.actions.map((action) => `${action.origin}: ${action.vulnerabilityId}`));
  });
});
