import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { loadMappingRules } from '../../sources/config.js';
import { foldAscii, withWriteLock } from '../../store/index.js';
import { refreshPageSummaries } from '../../tracker/summaries.js';
import { type Backend, type TestStore, backends } from '../../test-support/databases.js';
import { TEST_BASE_URL, type WebFixture, contextLoader, useWebFixture } from '../test-support/web-fixture.js';
import { maintainerKey } from '../urls.js';
import { SEARCH_LIMIT } from '../views/search.js';

interface SearchJson {
  readonly q: string | null;
  readonly exactMatch: { kind: string; id: string; url: string } | null;
  readonly page: number;
  readonly pageSize: number;
  readonly pageCount: number;
  readonly previous: string | null;
  readonly next: string | null;
  readonly vulnerabilities: readonly { id: string; url: string; description: string | null }[];
  readonly vulnerabilitiesTotal: number;
  readonly vulnerabilitiesMoreThanTotal: boolean;
  readonly packages: readonly { name: string; url: string }[];
  readonly packagesTotal: number;
  readonly maintainers: readonly { maintainer: string; key: string; url: string }[];
  readonly maintainersTotal: number;
}

const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
// Words as both full-text indexes split them: runs of letters and digits.
const lowerWords = (value: string) => (value.match(/[\p{L}\p{N}]+/gu) ?? []).map((word) => word.toLowerCase());

/** The vulnerability ids the search should list for `q`, computed from the stored rows: the exact id first, then newest id first. */
async function expectedVulnerabilities(store: TestStore, q: string): Promise<string[]> {
  const needle = foldAscii(q);
  const words = lowerWords(q);
  const [records, secfixes, rejections] = await Promise.all([
    store.db.selectFrom('vulnerability').select(['id', 'description']).execute(),
    store.db.selectFrom('secfix').select('vulnerability_id as id').execute(),
    store.db.selectFrom('rejection').select('vulnerability_id as id').execute(),
  ]);
  const described = (description: string | null) => {
    const held = new Set(lowerWords(description ?? ''));
    return words.length > 0 && words.every((word) => held.has(word));
  };
  const matching = new Set([
    ...records.filter((row) => foldAscii(row.id).startsWith(needle) || described(row.description)).map((row) => row.id),
    ...[...secfixes, ...rejections].filter((row) => foldAscii(row.id).startsWith(needle)).map((row) => row.id),
  ]);
  const rank = (id: string) => (foldAscii(id) === needle ? 0 : 1);
  return [...matching].sort((a, b) => rank(a) - rank(b) || text(b, a));
}

/** The package names the search should list for `q`: exact name, then equal but for case, then shortest first. */
async function expectedPackages(store: TestStore, q: string): Promise<string[]> {
  const needle = foldAscii(q);
  const [indexed, secfixed, binaries] = await Promise.all([
    store.db.selectFrom('source_package').select('name').execute(),
    store.db.selectFrom('secfix').select('package as name').execute(),
    store.db.selectFrom('binary_package').select('name').execute(),
  ]);
  const names = new Set([...indexed, ...secfixed, ...binaries].map((row) => row.name).filter((name) => foldAscii(name).includes(needle)));
  const rank = (name: string) => (name === q ? 0 : foldAscii(name) === needle ? 1 : 2);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.length - b.length || text(a, b));
}

/** Checks page `page` of the search for `q` against the stored rows, and returns it. */
async function expectResults(web: WebFixture, q: string, page = 1): Promise<SearchJson> {
  const [vulnerabilities, packages] = await Promise.all([expectedVulnerabilities(web.store, q), expectedPackages(web.store, q)]);
  const shown = <T>(list: readonly T[]) => list.slice((page - 1) * SEARCH_LIMIT, page * SEARCH_LIMIT);
  const body = await web.getJson<SearchJson>(`/search?q=${encodeURIComponent(q)}${page === 1 ? '' : `&page=${page}`}`);
  expect(body.q).toBe(q.trim());
  expect(body.page).toBe(page);
  expect(body.vulnerabilities.map((hit) => hit.id), q).toEqual(shown(vulnerabilities));
  expect(body.vulnerabilitiesTotal, q).toBe(vulnerabilities.length);
  expect(body.packages.map((hit) => hit.name), q).toEqual(shown(packages));
  expect(body.packagesTotal, q).toBe(packages.length);
  expect(body.pageCount).toBeGreaterThanOrEqual(Math.ceil(Math.max(vulnerabilities.length, packages.length) / SEARCH_LIMIT));
  return body;
}

/** A maintainer of a published demo package, and the e-mail address their page is named by. */
async function someMaintainer(store: TestStore): Promise<{ text: string; key: string }> {
  const row = await store.db.selectFrom('source_package').select('maintainer').where('maintainer', 'like', '%<%@%>').orderBy('maintainer').executeTakeFirstOrThrow();
  return { text: row.maintainer!, key: maintainerKey(row.maintainer!) };
}

/** A write that changes nothing but the data version, as every import and update bumps it. */
const newDataVersion = (store: TestStore) => withWriteLock(store, () => Promise.resolve());

describe.each(backends)('%s search', (backend: Backend) => {
  const web = useWebFixture(backend);

  it('shows the form with help when nothing is asked', async () => {
    const page = await web().get('/search');
    expect(page.statusCode).toBe(200);
    expect(page.body.match(/<h1>/g)).toHaveLength(1);
    expect(page.body).toContain('<label for="search-q">Search for');
    expect(page.body).toContain('<h2>What you can search</h2>');
    expect((await web().get('/search?q=%20%20')).body).toContain('<h2>What you can search</h2>');
    expect(await web().getJson('/search')).toEqual({
      q: null,
      exactMatch: null,
      page: 1,
      pageSize: SEARCH_LIMIT,
      pageCount: 1,
      previous: null,
      next: null,
      vulnerabilities: [],
      vulnerabilitiesTotal: 0,
      vulnerabilitiesMoreThanTotal: false,
      packages: [],
      packagesTotal: 0,
      maintainers: [],
      maintainersTotal: 0,
    });
  });

  it('sends a browser straight to the page of an exact vulnerability id or package name, whatever its case', async () => {
    const [vulnerability] = await expectedVulnerabilities(web().store, 'cve-2023-42366');
    expect(vulnerability).toBe('CVE-2023-42366');
    for (const [q, location] of [
      ['cve-2023-42366', '/cve/CVE-2023-42366'],
      [' CVE-2023-42366 ', '/cve/CVE-2023-42366'],
      ['GHSA-572G-RVWR-6C7F', '/cve/GHSA-572g-rvwr-6c7f'],
      ['busybox', '/package/busybox'],
      ['BusyBox', '/package/busybox'],
    ]) {
      const response = await web().get(`/search?q=${encodeURIComponent(q ?? '')}`);
      expect(response.statusCode, q).toBe(303);
      expect(response.headers['location'], q).toBe(location);
      expect(response.headers['cache-control'], q).toBe('no-store');
    }
  });

  it('answers JSON and JSON-LD clients with the results and the exact match named', async () => {
    const body = await expectResults(web(), 'cve-2023-42366');
    expect(body.exactMatch).toEqual({ kind: 'vulnerability', id: 'CVE-2023-42366', url: '/cve/CVE-2023-42366' });
    expect((await web().get('/api/search?q=busybox')).statusCode).toBe(200);
    const busybox = await expectResults(web(), 'busybox');
    expect(busybox.exactMatch).toEqual({ kind: 'package', id: 'busybox', url: '/package/busybox' });
    const document = await web().getJson('/search?q=busybox', 'application/ld+json');
    expect(document).toMatchObject({ id: `${TEST_BASE_URL}/search?q=busybox`, type: 'Collection', query: 'busybox', exactMatch: `${TEST_BASE_URL}/package/busybox` });
    const items = document['items'] as { id: string; type: string }[];
    expect(items.map((item) => item.id)).toEqual([
      ...busybox.vulnerabilities.map((hit) => `${TEST_BASE_URL}${hit.url}`),
      ...busybox.packages.map((hit) => `${TEST_BASE_URL}${hit.url}`),
    ]);
    expect(new Set(items.map((item) => item.type))).toEqual(new Set(['Vulnerability', 'Package']));
    expect(document['totalItems']).toBe(busybox.vulnerabilitiesTotal + busybox.packagesTotal + busybox.maintainersTotal);
    await expect(jsonld.expand(document, { documentLoader: contextLoader(web()), safe: true })).resolves.toHaveLength(1);
  });

  it('finds descriptions holding every word in any order, ignoring case', async () => {
    const forward = await expectResults(web(), 'Use After Free');
    expect(forward.vulnerabilities.length).toBeGreaterThan(1);
    expect(forward.exactMatch).toBeNull();
    const backward = await expectResults(web(), 'free USE after');
    expect(backward.vulnerabilities.map((hit) => hit.id)).toEqual(forward.vulnerabilities.map((hit) => hit.id));
    const page = await web().get('/search?q=free%20USE%20after');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<th scope="row"><a href="/cve/${backward.vulnerabilities[0]?.id}">${backward.vulnerabilities[0]?.id}</a></th>`);
    expect(page.body).toContain('value="free USE after"');
  });

  it('pages past the first 50 hits of every list', async () => {
    const first = await expectResults(web(), 'cve-2022');
    expect(first.vulnerabilitiesTotal).toBeGreaterThan(SEARCH_LIMIT);
    expect(first.vulnerabilities).toHaveLength(SEARCH_LIMIT);
    expect(first.previous).toBeNull();
    expect(first.next).toBe('/search?q=cve-2022&page=2');
    const second = await expectResults(web(), 'cve-2022', 2);
    expect(second.previous).toBe('/search?q=cve-2022');
    expect(second.vulnerabilities[0]?.id).not.toBe(first.vulnerabilities[0]?.id);
    const last = await expectResults(web(), 'cve-2022', first.pageCount);
    expect(last.next).toBeNull();
    const page = await web().get('/search?q=cve-2022&page=2');
    expect(page.body).toContain(`Hits ${SEARCH_LIMIT + 1}–`);
    expect(page.body).toContain('<a href="/search?q=cve-2022" rel="prev">');
    expect((await web().get(`/search?q=cve-2022&page=${first.pageCount + 1}`)).statusCode).toBe(404);
    expect((await web().get('/search?q=cve-2022&page=0')).statusCode).toBe(400);
    const packages = await expectResults(web(), 'py3');
    expect(packages.packagesTotal).toBeGreaterThan(SEARCH_LIMIT);
    await expectResults(web(), 'py3', 2);
  });

  it('counts 1,000 vulnerability hits and says there are more, paging past them while pages are full', async () => {
    const ids = Array.from({ length: 1_060 }, (_, index) => `CVE-2031-${String(index + 1).padStart(5, '0')}`);
    const { db } = web().store;
    for (let start = 0; start < ids.length; start += 200) {
      const rows = ids.slice(start, start + 200).map((id) => ({ id, source: 'nvd', description: `A frequent flaw, number ${id}.`, cwes: '[]', aliases: '[]', configurations: '[]', reference_list: '[]', content_hash: id }));
      await db.insertInto('vulnerability').values(rows).execute();
    }
    await newDataVersion(web().store);
    const newestFirst = [...ids].reverse();
    const first = await web().getJson<SearchJson>('/search?q=frequent');
    expect(first).toMatchObject({ vulnerabilitiesTotal: 1_000, vulnerabilitiesMoreThanTotal: true, pageCount: 20, next: '/search?q=frequent&page=2' });
    expect(first.vulnerabilities.map((hit) => hit.id)).toEqual(newestFirst.slice(0, SEARCH_LIMIT));
    expect((await web().get('/search?q=frequent&page=2')).body).toContain(`Hits ${SEARCH_LIMIT + 1}–${2 * SEARCH_LIMIT} of more than 1000.`);
    const twentieth = await web().getJson<SearchJson>('/search?q=frequent&page=20');
    expect(twentieth).toMatchObject({ pageCount: 21, next: '/search?q=frequent&page=21' });
    const last = await web().getJson<SearchJson>('/search?q=frequent&page=22');
    expect(last.vulnerabilities.map((hit) => hit.id)).toEqual(newestFirst.slice(21 * SEARCH_LIMIT));
    expect(last).toMatchObject({ vulnerabilitiesTotal: 1_000, vulnerabilitiesMoreThanTotal: true, pageCount: 22, next: null });
    expect((await web().get('/search?q=frequent&page=23')).statusCode).toBe(404);
  });

  it('links no next page past the counted hits when a page ends on the last hit', async () => {
    const ids = Array.from({ length: 21 * SEARCH_LIMIT }, (_, index) => `CVE-2032-${String(index + 1).padStart(5, '0')}`);
    const { db } = web().store;
    for (let start = 0; start < ids.length; start += 200) {
      const rows = ids.slice(start, start + 200).map((id) => ({ id, source: 'nvd', description: `A recurring flaw, number ${id}.`, cwes: '[]', aliases: '[]', configurations: '[]', reference_list: '[]', content_hash: id }));
      await db.insertInto('vulnerability').values(rows).execute();
    }
    await newDataVersion(web().store);
    const twentieth = await web().getJson<SearchJson>('/search?q=recurring&page=20');
    expect(twentieth).toMatchObject({ pageCount: 21, next: '/search?q=recurring&page=21' });
    const last = await web().getJson<SearchJson>('/search?q=recurring&page=21');
    expect(last.vulnerabilities).toHaveLength(SEARCH_LIMIT);
    expect(last).toMatchObject({ pageCount: 21, next: null });
    expect((await web().get('/search?q=recurring&page=22')).statusCode).toBe(404);
  });

  it('finds maintainers by part of their name or e-mail address, linking to their page', async () => {
    const maintainer = await someMaintainer(web().store);
    const name = maintainer.text.slice(0, maintainer.text.indexOf('<')).trim();
    for (const q of [name.toUpperCase(), maintainer.key.slice(0, maintainer.key.indexOf('@') + 1)]) {
      const body = await web().getJson<SearchJson>(`/search?q=${encodeURIComponent(q)}`);
      expect(body.maintainers, q).toContainEqual({ maintainer: maintainer.text, key: maintainer.key, url: `/maintainer/${encodeURIComponent(maintainer.key)}` });
      expect(body.maintainers.every((hit) => foldAscii(hit.maintainer).includes(foldAscii(q))), q).toBe(true);
      const page = await web().get(`/search?q=${encodeURIComponent(q)}`);
      expect(page.body, q).toContain('<h2>Maintainers</h2>');
    }
    const exact = await web().get(`/search?q=${encodeURIComponent(maintainer.key.toUpperCase())}`);
    expect(exact.statusCode).toBe(303);
    expect(exact.headers['location']).toBe(`/maintainer/${encodeURIComponent(maintainer.key)}`);
  });

  it('finds binary package names, and an exact one leads to its origin', async () => {
    const { store } = web();
    const origins = new Set((await store.db.selectFrom('source_package').select('name').execute()).map((row) => row.name));
    const binary = (await store.db.selectFrom('binary_package').select('name').orderBy('name').execute()).map((row) => row.name).find((name) => !origins.has(name));
    expect(binary).toBeDefined();
    const body = await expectResults(web(), binary as string);
    expect(body.packages[0]?.name).toBe(binary);
    const search = await web().get(`/search?q=${encodeURIComponent(binary as string)}`);
    expect(search.statusCode).toBe(303);
    const page = await web().get(search.headers['location'] as string);
    expect([200, 303]).toContain(page.statusCode);
  });

  it('says so when nothing matches', async () => {
    const nothing = await expectResults(web(), 'no such text anywhere');
    expect(nothing.vulnerabilities).toEqual([]);
    expect(nothing.packages).toEqual([]);
    expect(nothing.maintainers).toEqual([]);
    const page = await web().get('/search?q=no%20such%20text%20anywhere');
    expect(page.body).toContain('No vulnerability id starts with this text and no description holds all its words.');
    expect(page.body).toContain('No package name contains this text.');
    expect(page.body).toContain('No maintainer name or e-mail address contains this text.');
  });

  it('takes quotes, operators and wildcards of either database as plain text', async () => {
    const hostile = ['"', '"heap', "'", "o'reilly", '-', '-heap', 'heap -overflow', 'heap OR overflow', 'OR', 'AND NOT', 'NEAR(heap overflow)', '*', 'heap*', '%', '_', '\\', '(', ')', ':', 'col:heap', '^', '!', '&', '|', '<->', '@@', "'; drop table vulnerability; --", '\u00e9t\u00e9'];
    for (const q of hostile) {
      for (const accept of ['text/html', 'application/json', 'application/ld+json']) {
        const response = await web().get(`/search?q=${encodeURIComponent(q)}`, { accept });
        expect([200, 303], `${q} ${accept}`).toContain(response.statusCode);
      }
      await expectResults(web(), q);
    }
    const minus = await expectResults(web(), 'overflow -heap');
    expect(minus.vulnerabilities.map((hit) => hit.id)).toEqual((await expectResults(web(), 'heap overflow')).vulnerabilities.map((hit) => hit.id));
  });

  it('answers 400 for over-long or repeated text, control characters and unknown parameters', async () => {
    for (const accept of ['text/html', 'application/json', 'application/ld+json']) {
      expect((await web().get(`/search?q=${'a'.repeat(201)}`, { accept })).statusCode, accept).toBe(400);
      expect((await web().get('/search?q=a&q=b', { accept })).statusCode, accept).toBe(400);
      expect((await web().get('/search?q=a%00b', { accept })).statusCode, accept).toBe(400);
      expect((await web().get('/search?q=a&page=x', { accept })).statusCode, accept).toBe(400);
      expect((await web().get('/api/search?text=a', { accept })).statusCode, accept).toBe(400);
    }
    expect((await web().getJson<SearchJson>(`/search?q=${'a'.repeat(200)}`)).vulnerabilities).toEqual([]);
  });

  it('searches in one query besides the data version and the names update stored (after the counts that choose how), and none without text', async () => {
    await newDataVersion(web().store);
    await refreshPageSummaries(web().store, await loadMappingRules());
    // A text with words is counted first, to choose between walking the ids and sorting the hits.
    const counting = 1;
    const urls = ['/search?q=openssl', '/search?q=cve-2023-42366', '/search?q=after%20use', '/search?q=%25', '/search?q=cve-2022&page=2'];
    const counts: number[] = [];
    const expected: number[] = [];
    for (const url of urls) {
      for (const accept of ['text/html', 'application/json', 'application/ld+json']) {
        const before = web().queries.count;
        await web().get(url, { accept });
        counts.push(web().queries.count - before);
        expected.push(2 + (url === '/search?q=%25' ? 0 : counting));
      }
    }
    // The stored names are read once per data version, then kept.
    expected[0]! += 1;
    expect(counts).toEqual(expected);
    await newDataVersion(web().store);
    const before = web().queries.count;
    await web().get('/search?q=openssl', { accept: 'application/json' });
    // None stored at this version: the names are read from their tables.
    expect(web().queries.count - before).toBe(7 + counting);
    const empty = web().queries.count;
    await web().get('/search');
    expect(web().queries.count - empty).toBe(1);
  });
});
