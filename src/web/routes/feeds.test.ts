import { describe, expect, it } from 'vitest';
import { type XmlElement, childText, childrenNamed, parseXml } from '../../formats/test-support/xml-tree.js';
import { getDataVersion } from '../../store/index.js';
import { backends } from '../../test-support/databases.js';
import { html } from '../html.js';
import { type HistoryRow, readHistory } from '../test-support/history.js';
import { type HostileChange, seedHostileChange } from '../test-support/hostile.js';
import { TEST_BASE_URL, useWebFixture } from '../test-support/web-fixture.js';
import { maintainerKey } from '../urls.js';
import { FEED_SIZE } from '../views/feed.js';

const ATOM = 'http://www.w3.org/2005/Atom';

const entryId = (row: HistoryRow) => `${TEST_BASE_URL}/changes#change-${row.id}`;
const expectedTitle = (row: HistoryRow) =>
  `${row.package} ${row.branch}/${row.repo}: ${row.vulnerabilityId} ${row.oldState ?? 'none'} → ${row.newState ?? 'removed'}`;

/** The parsed feed; fails the test when the document is not well-formed XML. */
function readFeed(body: string): { feed: XmlElement; entries: XmlElement[] } {
  const feed = parseXml(body);
  expect(feed.namespace).toBe(ATOM);
  expect(feed.name).toBe('feed');
  return { feed, entries: childrenNamed(feed, 'entry') };
}

const links = (element: XmlElement) => childrenNamed(element, 'link').map((link) => link.attributes);

describe.each(backends)('%s Atom feeds', (backend) => {
  const web = useWebFixture(backend);

  it('serves every state change, newest first, with titles, links, and summaries from the data', async () => {
    const history = await readHistory(web().store);
    expect(history.length).toBeGreaterThan(FEED_SIZE);
    const response = await web().get('/feed.atom');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    const { feed, entries } = readFeed(response.body);
    expect(childText(feed, 'id')).toBe(`${TEST_BASE_URL}/feed.atom`);
    expect(childText(feed, 'title')).toBe('State changes · Alpine Linux (sample data) security tracker');
    expect(childText(feed, 'updated')).toBe((history[0] as HistoryRow).changedAt);
    expect(links(feed)).toEqual([
      { rel: 'self', type: 'application/atom+xml', href: `${TEST_BASE_URL}/feed.atom` },
      { rel: 'alternate', type: 'text/html', href: `${TEST_BASE_URL}/changes` },
    ]);
    expect(childText(childrenNamed(feed, 'author')[0] as XmlElement, 'name')).toBe('Alpine Linux (sample data) security tracker');

    const expected = history.slice(0, FEED_SIZE);
    expect(entries.map((entry) => childText(entry, 'id'))).toEqual(expected.map(entryId));
    expect(entries.map((entry) => childText(entry, 'title'))).toEqual(expected.map(expectedTitle));
    expect(entries.map((entry) => childText(entry, 'updated'))).toEqual(expected.map((row) => row.changedAt));
    const first = entries[0] as XmlElement;
    const row = expected[0] as HistoryRow;
    expect(links(first)).toEqual([
      { rel: 'alternate', type: 'text/html', href: `${TEST_BASE_URL}/cve/${row.vulnerabilityId}` },
      { rel: 'related', type: 'text/html', href: `${TEST_BASE_URL}/package/${row.package}`, title: row.package },
    ]);
    expect(childrenNamed(first, 'category').map((category) => category.attributes['term'])).toEqual([row.newState ?? 'removed', row.branch]);
    expect(childrenNamed(first, 'summary')[0]?.attributes).toEqual({ type: 'text' });
    expect(childText(first, 'summary')).toContain(`${row.package} in ${row.branch}/${row.repo} `);

    // An entry whose vulnerability NVD rates: the summary gives the cause, the severity and the description's start.
    const index = expected.findIndex((candidate) => candidate.severity !== null);
    expect(index).toBeGreaterThanOrEqual(0);
    const rated = expected[index] as HistoryRow;
    const vulnerability = await web().store.db.selectFrom('vulnerability').select(['description', 'cvss_score']).where('id', '=', rated.vulnerabilityId).executeTakeFirstOrThrow();
    const summary = childText(entries[index] as XmlElement, 'summary');
    expect(summary).toContain(`Cause: ${rated.cause}.`);
    expect(summary).toContain(`Severity: ${rated.severity}`);
    if (vulnerability.cvss_score !== null) expect(summary).toContain(`(CVSS ${Number(vulnerability.cvss_score).toFixed(1)})`);
    expect(summary).toContain((vulnerability.description ?? '').slice(0, 100));
  });

  it('filters by branch, and answers 404 for an unknown branch', async () => {
    const history = await readHistory(web().store);
    const { feed, entries } = readFeed((await web().get('/branch/3.16/feed.atom')).body);
    const expected = history.filter((row) => row.branch === '3.16').slice(0, FEED_SIZE);
    expect(expected.length).toBeGreaterThan(0);
    expect(entries.map((entry) => childText(entry, 'id'))).toEqual(expected.map(entryId));
    expect(childText(feed, 'id')).toBe(`${TEST_BASE_URL}/branch/3.16/feed.atom`);
    expect(links(feed)[1]).toEqual({ rel: 'alternate', type: 'text/html', href: `${TEST_BASE_URL}/changes?branch=3.16` });
    const missing = await web().get('/branch/9.99/feed.atom', { accept: 'application/json' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { status: 404, message: 'branch 9.99 not found' } });
  });

  it('filters by package; a package without changes has an empty feed, an unknown one is 404', async () => {
    const history = await readHistory(web().store);
    const name = (history[0] as HistoryRow).package;
    const { entries } = readFeed((await web().get(`/package/${encodeURIComponent(name)}/feed.atom`)).body);
    const expected = history.filter((row) => row.package === name).slice(0, FEED_SIZE);
    expect(entries.map((entry) => childText(entry, 'id'))).toEqual(expected.map(entryId));

    const changed = new Set(history.map((row) => row.package));
    const indexed = await web().store.db.selectFrom('source_package').select('name').execute();
    const quiet = indexed.map((row) => row.name).find((candidate) => !changed.has(candidate));
    expect(quiet).toBeDefined();
    const empty = await web().get(`/package/${encodeURIComponent(quiet as string)}/feed.atom`);
    expect(empty.statusCode).toBe(200);
    const { feed, entries: none } = readFeed(empty.body);
    expect(none).toEqual([]);
    expect(childText(feed, 'updated')).toBe((await getDataVersion(web().store.db)).changedAt);

    expect((await web().get('/package/no-such-package-anywhere/feed.atom')).statusCode).toBe(404);
  });

  it('filters by maintainer key; a maintainer without changes has an empty feed, an unknown one is 404', async () => {
    const history = await readHistory(web().store);
    const changesByKey = new Map<string, HistoryRow[]>();
    for (const row of history) {
      if (row.maintainer === null) continue;
      const key = maintainerKey(row.maintainer);
      changesByKey.set(key, [...(changesByKey.get(key) ?? []), row]);
    }
    const [key, expected] = [...changesByKey].sort((a, b) => b[1].length - a[1].length)[0] as [string, HistoryRow[]];
    expect(key).toContain('@');
    const { feed, entries } = readFeed((await web().get(`/maintainer/${encodeURIComponent(key)}/feed.atom`)).body);
    expect(entries.map((entry) => childText(entry, 'id'))).toEqual(expected.slice(0, FEED_SIZE).map(entryId));
    expect(links(feed)[1]?.['href']).toBe(`${TEST_BASE_URL}/maintainer/${encodeURIComponent(key)}`);

    const maintainers = await web().store.db.selectFrom('source_package').select('maintainer').where('maintainer', 'is not', null).execute();
    const quiet = maintainers.map((row) => maintainerKey(row.maintainer as string)).find((candidate) => !changesByKey.has(candidate));
    expect(quiet).toBeDefined();
    const empty = await web().get(`/maintainer/${encodeURIComponent(quiet as string)}/feed.atom`);
    expect(empty.statusCode).toBe(200);
    expect(readFeed(empty.body).entries).toEqual([]);

    expect((await web().get('/maintainer/nobody%40example.invalid/feed.atom')).statusCode).toBe(404);
  });

  it('answers a matching If-None-Match with 304, and ignores query parameters a feed reader adds', async () => {
    const first = await web().get('/feed.atom');
    const etag = first.headers['etag'] as string;
    expect(etag).toMatch(/^W\/"\d+-atom"$/);
    const again = await web().get('/feed.atom', { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await web().get('/branch/3.16/feed.atom', { 'if-none-match': 'W/"0-atom"' })).statusCode).toBe(200);
    expect((await web().get('/feed.atom?utm_source=reader', { 'if-none-match': etag })).statusCode).toBe(304);
  });

  it('reads each feed in a fixed number of queries', async () => {
    const history = await readHistory(web().store);
    const { queries } = web();
    const count = async (url: string, status = 200) => {
      const before = queries.count;
      expect((await web().get(url)).statusCode).toBe(status);
      return queries.count - before;
    };
    // The data version, then the changes.
    expect(await count('/feed.atom')).toBe(2);
    // The data version, whether the subject exists, then its changes.
    expect(await count('/branch/3.16/feed.atom')).toBe(3);
    expect(await count(`/package/${encodeURIComponent((history[0] as HistoryRow).package)}/feed.atom`)).toBe(3);
    expect(await count('/maintainer/ncopa%40alpinelinux.org/feed.atom')).toBe(3);
    // The data version, whether the branch exists, and the error page's data version.
    expect(await count('/branch/9.99/feed.atom', 404)).toBe(3);
    // A conditional request needs only the data version.
    const etag = (await web().get('/feed.atom')).headers['etag'] as string;
    const before = queries.count;
    await web().get('/feed.atom', { 'if-none-match': etag });
    expect(queries.count - before).toBe(1);
  });
});

const CONTROL = '\u0007';
/** A change of a package, vulnerability and cause whose every text is an attack; the newest change. */
const HOSTILE: HostileChange = {
  vulnerabilityId: 'CVE-2099-6666',
  text: `<script>alert(1)</script> ]]> & "double" 'single' bell${CONTROL}`,
  package: `evil<script>alert(2)</script>&"'${CONTROL}`,
  maintainer: `Mallory "><script>alert(3)</script> <mallory@example.org>`,
  referenceUrls: [],
  changedAt: '2099-01-01T00:00:00.000Z',
};

describe.each(backends)('%s Atom feeds and the changes page with hostile data', (backend) => {
  const web = useWebFixture(backend, { contents: 'demo', seed: (store) => seedHostileChange(store, HOSTILE) });
  const withoutControl = (text: string) => text.replaceAll(CONTROL, '');

  it('escapes hostile package names, descriptions and causes, drops control characters, and stays well-formed', async () => {
    // The package's own feed URL holds a control character, which no URL may (400).
    for (const url of ['/feed.atom', '/maintainer/mallory%40example.org/feed.atom', '/branch/3.16/feed.atom']) {
      const response = await web().get(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).not.toContain('<script');
      expect(response.body, url).not.toContain(CONTROL);
      expect(response.body, url).toContain('&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; &amp; &quot;double&quot; &apos;single&apos;');
      const { entries } = readFeed(response.body);
      const entry = entries[0] as XmlElement;
      expect(childText(entry, 'title'), url).toBe(withoutControl(`${HOSTILE.package} 3.16/main: ${HOSTILE.vulnerabilityId} none → vulnerable`));
      expect(childText(entry, 'updated'), url).toBe(HOSTILE.changedAt);
      const summary = childText(entry, 'summary');
      expect(summary, url).toContain(withoutControl(`${HOSTILE.package} in 3.16/main got its first state for ${HOSTILE.vulnerabilityId}: vulnerable.\nCause: ${HOSTILE.text}.`));
      expect(summary, url).toContain(withoutControl(HOSTILE.text));
      expect(links(entry)[1]?.['href'], url).toBe(`${TEST_BASE_URL}/package/${encodeURIComponent(HOSTILE.package)}`);
    }
  });

  it('renders the hostile change inert on the changes page, in HTML, JSON and JSON-LD', async () => {
    const page = await web().get('/changes');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/<script>alert/);
    expect(page.body).toContain('evil&lt;script&gt;alert(2)&lt;/script&gt;&amp;&quot;&#39;');
    expect(page.body).toContain('<td>&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; &amp; &quot;double&quot; &#39;single&#39; bell');
    expect(page.body).toContain(`<a href="${String(html`${`/package/${encodeURIComponent(HOSTILE.package)}`}`)}">`);

    const json = await web().getJson<{ changes: { package: string; cause: string; maintainer: string }[] }>('/changes');
    expect(json.changes[0]).toMatchObject({ package: HOSTILE.package, cause: HOSTILE.text, maintainer: HOSTILE.maintainer });
    // JSON-LD carries the text exactly, as data.
    const items = (await web().getJson<{ items: Record<string, unknown>[] }>('/changes', 'application/ld+json')).items;
    expect(items[0]).toMatchObject({ package: `${TEST_BASE_URL}/package/${encodeURIComponent(HOSTILE.package)}`, cause: HOSTILE.text });
  });
});
