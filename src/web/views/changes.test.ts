import { describe, expect, it } from 'vitest';
import { STATE_NAMES } from '../../store/index.js';
import { backends } from '../../test-support/databases.js';
import { CONTEXT_PATH } from '../linked-data.js';
import { type HistoryRow, readHistory } from '../test-support/history.js';
import { TEST_BASE_URL, useWebFixture } from '../test-support/web-fixture.js';

const JSON_ACCEPT = { accept: 'application/json' };
const PAGE_SIZE = 100;

interface ChangesJson {
  page: number;
  pageSize: number;
  filters: { branch: string | null; state: string | null };
  previous: string | null;
  next: string | null;
  feed: string;
  changes: Record<string, unknown>[];
}

const asJson = (row: HistoryRow) => ({
  id: row.id,
  changedAt: row.changedAt,
  branch: row.branch,
  repo: row.repo,
  package: row.package,
  vulnerability: row.vulnerabilityId,
  oldState: row.oldState,
  newState: row.newState,
  cause: row.cause,
  severity: row.severity,
  cvssScore: row.cvssScore,
  maintainer: row.maintainer,
});

describe.each(backends)('%s recent changes page', (backend) => {
  const web = useWebFixture(backend);

  it('lists the newest changes as HTML: one h1, a table of 100 rows with links and badges, the feed as alternate', async () => {
    const history = await readHistory(web().store);
    const response = await web().get('/changes');
    expect(response.statusCode).toBe(200);
    const body = response.body;
    expect(body.match(/<h1>/g)).toHaveLength(1);
    expect(body).toContain('<h1>Recent changes</h1>');
    expect(body).toContain('<link rel="alternate" type="application/atom+xml" href="/feed.atom" title="All state changes (Atom)">');
    // /api/changes is the feed of every change, so the page's own URL is its JSON.
    expect(body).toContain('<link rel="alternate" type="application/json" href="/changes" title="JSON">');
    expect(body).not.toMatch(/<script|style=/);
    const rowIds = [...body.matchAll(/<tr id="change-(\d+)">/g)].map((match) => Number(match[1]));
    expect(rowIds).toEqual(history.slice(0, PAGE_SIZE).map((row) => row.id));
    const newest = history[0] as HistoryRow;
    const firstRow = body.slice(body.indexOf(`<tr id="change-${newest.id}">`), body.indexOf('</tr>', body.indexOf(`<tr id="change-${newest.id}">`)));
    expect(firstRow).toContain(`<time datetime="${newest.changedAt}">`);
    expect(firstRow).toContain(`<a href="/branch/${newest.branch}">${newest.branch}</a>/${newest.repo}`);
    expect(firstRow).toContain(`<th scope="row"><a href="/package/${encodeURIComponent(newest.package)}">${newest.package}</a></th>`);
    expect(firstRow).toContain(`<a href="/cve/${newest.vulnerabilityId}">${newest.vulnerabilityId}</a>`);
    expect(firstRow).toContain(newest.oldState === null ? '<span class="muted">none</span> →' : `state-${newest.oldState}`);
    expect(firstRow).toContain(newest.newState === null ? '<span class="muted">removed</span>' : `<span class="badge state-${newest.newState}">${newest.newState}</span>`);
    expect(firstRow).toContain(`<td>${newest.cause}</td>`);
    expect(body).toContain('<a href="/changes?page=2" rel="next">Older →</a>');
    expect(body).toContain('<label for="changes-branch">Branch');
    expect(body).toContain('<option value="3.16">3.16</option>');
  });

  it('answers JSON with pages of 100, links to the neighbouring pages, and 404 past the last page', async () => {
    const history = await readHistory(web().store);
    const first = await web().getJson<ChangesJson>('/changes');
    expect(first).toMatchObject({ page: 1, pageSize: PAGE_SIZE, filters: { branch: null, state: null }, previous: null, next: '/changes?page=2', feed: '/feed.atom' });
    expect(first.changes).toEqual(history.slice(0, PAGE_SIZE).map(asJson));
    // The demo's newest changes include rated vulnerabilities and maintained packages, so the joins are exercised.
    expect(first.changes.some((change) => change['severity'] !== null)).toBe(true);
    expect(first.changes.some((change) => change['maintainer'] !== null)).toBe(true);
    expect(await web().getJson('/changes')).toEqual(first);

    const second = await web().getJson<ChangesJson>('/changes?page=2');
    expect(second.previous).toBe('/changes');
    expect(second.changes.map((change) => change['id'])).toEqual(history.slice(PAGE_SIZE, 2 * PAGE_SIZE).map((row) => row.id));

    const lastPage = Math.ceil(history.length / PAGE_SIZE);
    const last = await web().getJson<ChangesJson>(`/changes?page=${lastPage}`);
    expect(last.next).toBeNull();
    expect(last.changes.map((change) => change['id'])).toEqual(history.slice((lastPage - 1) * PAGE_SIZE).map((row) => row.id));
    expect((await web().get(`/changes?page=${lastPage + 1}`, { accept: 'application/json' })).statusCode).toBe(404);
    expect((await web().get(`/changes?page=${lastPage + 1}`)).statusCode).toBe(404);
    expect((await web().get(`/changes?page=${lastPage + 1}`, { accept: 'application/ld+json' })).statusCode).toBe(404);
  });

  it('answers JSON-LD: a Collection of StateChange nodes with the feed entries\' ids', async () => {
    const history = await readHistory(web().store);
    const document = await web().getJson<Record<string, unknown>>('/changes?branch=3.16&page=2', 'application/ld+json');
    expect(document['@context']).toBe(`${TEST_BASE_URL}${CONTEXT_PATH}`);
    expect(document).toMatchObject({
      id: `${TEST_BASE_URL}/changes?branch=3.16&page=2`,
      type: 'Collection',
      page: 2,
      previous: `${TEST_BASE_URL}/changes?branch=3.16`,
      feed: `${TEST_BASE_URL}/branch/3.16/feed.atom`,
    });
    const expected = history.filter((row) => row.branch === '3.16');
    expect(document['next']).toBe(expected.length > 2 * PAGE_SIZE ? `${TEST_BASE_URL}/changes?branch=3.16&page=3` : undefined);
    const items = document['items'] as Record<string, unknown>[];
    const row = expected[PAGE_SIZE] as HistoryRow;
    expect(items[0]).toEqual({
      id: `${TEST_BASE_URL}/changes#change-${row.id}`,
      type: 'StateChange',
      name: `${row.package} ${row.branch}/${row.repo}: ${row.vulnerabilityId} ${row.oldState ?? 'none'} → ${row.newState ?? 'removed'}`,
      vulnerability: `${TEST_BASE_URL}/cve/${row.vulnerabilityId}`,
      package: `${TEST_BASE_URL}/package/${encodeURIComponent(row.package)}`,
      branch: `${TEST_BASE_URL}/branch/3.16`,
      repository: `${TEST_BASE_URL}/branch/3.16#repo-${row.repo}`,
      ...(row.oldState === null ? {} : { oldState: row.oldState }),
      ...(row.newState === null ? {} : { newState: row.newState }),
      changedAt: row.changedAt,
      cause: row.cause,
    });
    expect(items.map((item) => item['id'])).toEqual(expected.slice(PAGE_SIZE, 2 * PAGE_SIZE).map((change) => `${TEST_BASE_URL}/changes#change-${change.id}`));
  });

  it('filters by branch and by new state', async () => {
    const history = await readHistory(web().store);
    const byBranch = await web().getJson<ChangesJson>('/changes?branch=3.17');
    expect(byBranch.filters).toEqual({ branch: '3.17', state: null });
    expect(byBranch.changes.map((change) => change['id'])).toEqual(history.filter((row) => row.branch === '3.17').slice(0, PAGE_SIZE).map((row) => row.id));
    expect(byBranch.feed).toBe('/branch/3.17/feed.atom');

    const states = new Set(history.map((row) => row.newState));
    for (const state of STATE_NAMES.filter((name) => states.has(name))) {
      const page = await web().getJson<ChangesJson>(`/changes?state=${state}&branch=3.16`);
      const expected = history.filter((row) => row.newState === state && row.branch === '3.16');
      expect(page.changes.map((change) => change['id']), state).toEqual(expected.slice(0, PAGE_SIZE).map((row) => row.id));
      expect(page.next, state).toBe(expected.length > PAGE_SIZE ? `/changes?branch=3.16&state=${state}&page=2` : null);
    }
    const html = (await web().get('/changes?branch=3.16&state=vulnerable')).body;
    expect(html).toContain('<h1>Recent changes in 3.16 to vulnerable</h1>');
    expect(html).toContain('<option value="3.16" selected>3.16</option>');
    expect(html).toContain('<option value="vulnerable" selected>vulnerable</option>');
    expect(html).toContain('<link rel="alternate" type="application/atom+xml" href="/branch/3.16/feed.atom"');
    // A state nothing changed to lists nothing.
    const unused = STATE_NAMES.find((name) => !states.has(name));
    if (unused !== undefined) {
      expect((await web().getJson<ChangesJson>(`/changes?state=${unused}`)).changes).toEqual([]);
      expect((await web().get(`/changes?state=${unused}`)).body).toContain('No state change matches these filters.');
    }
  });

  it('answers bad parameters with 400 in the asked format', async () => {
    for (const query of ['state=bogus', 'branch=9.99', 'page=0', 'page=abc', 'page=10001', 'sort=time', 'branch=3.16&branch=3.17']) {
      // The page ignores a parameter it does not know (a shared link's ?utm_source=...), in JSON too.
      const status = query === 'sort=time' ? 200 : 400;
      const json = await web().get(`/changes?${query}`, JSON_ACCEPT);
      expect(json.statusCode, query).toBe(status);
      expect(json.headers['content-type'], query).toMatch(/^application\/json/);
      if (status === 400) expect(json.json<{ error: { status: number } }>().error.status, query).toBe(400);
      expect((await web().get(`/changes?${query}`)).statusCode, query).toBe(status);
    }
    expect((await web().get('/changes?branch=9.99', JSON_ACCEPT)).json<{ error: { message: string } }>().error.message).toMatch(/"branch" must be one of .*3\.16.*; got "9\.99"/);
  });

  it('reads the page in a fixed number of queries', async () => {
    const { queries } = web();
    const count = async (url: string, status = 200, headers?: Record<string, string>) => {
      const before = queries.count;
      expect((await web().get(url, headers)).statusCode, url).toBe(status);
      return queries.count - before;
    };
    // The data version, the branches (three queries), then the page of changes.
    expect(await count('/changes')).toBe(5);
    expect(await count('/changes?page=3', 200, JSON_ACCEPT)).toBe(5);
    expect(await count('/changes?branch=3.16&state=fixed')).toBe(5);
    // An unknown branch stops after the branches; the error page reads the data version again.
    expect(await count('/changes?branch=9.99', 400)).toBe(5);
    expect(await count('/changes?branch=9.99', 400, JSON_ACCEPT)).toBe(4);
  });
});
