import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { foldAscii } from '../../store/index.js';
import { type Backend, type TestStore, backends } from '../../test-support/databases.js';
import { TEST_BASE_URL, type WebFixture, contextLoader, useWebFixture } from '../test-support/web-fixture.js';
import { SEARCH_LIMIT } from '../views/search.js';

interface SearchJson {
  readonly q: string | null;
  readonly exactMatch: { kind: string; id: string; url: string } | null;
  readonly vulnerabilities: readonly { id: string; url: string; description: string | null }[];
  readonly vulnerabilitiesCapped: boolean;
  readonly packages: readonly { name: string; url: string }[];
  readonly packagesCapped: boolean;
}

const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The vulnerability ids the search should list for `q`, computed from the stored rows: the exact id first, then newest id first. */
async function expectedVulnerabilities(store: TestStore, q: string): Promise<string[]> {
  const needle = foldAscii(q);
  const [records, secfixes, rejections] = await Promise.all([
    store.db.selectFrom('vulnerability').select(['id', 'description']).execute(),
    store.db.selectFrom('secfix').select('vulnerability_id as id').execute(),
    store.db.selectFrom('rejection').select('vulnerability_id as id').execute(),
  ]);
  const matching = new Set([
    ...records.filter((row) => foldAscii(row.id).startsWith(needle) || foldAscii(row.description ?? '').includes(needle)).map((row) => row.id),
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

async function expectResults(web: WebFixture, q: string): Promise<SearchJson> {
  const [vulnerabilities, packages] = await Promise.all([expectedVulnerabilities(web.store, q), expectedPackages(web.store, q)]);
  const body = await web.getJson<SearchJson>(`/search?q=${encodeURIComponent(q)}`);
  expect(body.q).toBe(q.trim());
  expect(body.vulnerabilities.map((hit) => hit.id), q).toEqual(vulnerabilities.slice(0, SEARCH_LIMIT));
  expect(body.vulnerabilitiesCapped, q).toBe(vulnerabilities.length > SEARCH_LIMIT);
  expect(body.packages.map((hit) => hit.name), q).toEqual(packages.slice(0, SEARCH_LIMIT));
  expect(body.packagesCapped, q).toBe(packages.length > SEARCH_LIMIT);
  return body;
}

describe.each(backends)('%s search', (backend: Backend) => {
  const web = useWebFixture(backend);

  it('shows the form with help when nothing is asked', async () => {
    const page = await web().get('/search');
    expect(page.statusCode).toBe(200);
    expect(page.body.match(/<h1>/g)).toHaveLength(1);
    expect(page.body).toContain('<label for="search-q">Search for');
    expect(page.body).toContain('<h2>What you can search</h2>');
    expect((await web().get('/search?q=%20%20')).body).toContain('<h2>What you can search</h2>');
    expect(await web().getJson('/search')).toEqual({ q: null, exactMatch: null, limit: SEARCH_LIMIT, vulnerabilities: [], vulnerabilitiesCapped: false, packages: [], packagesCapped: false });
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
    expect(document['totalItems']).toBe(items.length);
    await expect(jsonld.expand(document, { documentLoader: contextLoader(web()), safe: true })).resolves.toHaveLength(1);
  });

  it('finds descriptions by free text ignoring case, and ids by their start, capping long lists', async () => {
    const freeText = await expectResults(web(), 'Use-After-Free');
    expect(freeText.vulnerabilities.length).toBeGreaterThan(1);
    expect(freeText.exactMatch).toBeNull();
    const prefix = await expectResults(web(), 'cve-2022');
    expect(prefix.vulnerabilitiesCapped).toBe(true);
    expect(prefix.vulnerabilities).toHaveLength(SEARCH_LIMIT);
    const packages = await expectResults(web(), 'py3');
    expect(packages.packagesCapped).toBe(true);
    const page = await web().get('/search?q=Use-After-Free');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<th scope="row"><a href="/cve/${freeText.vulnerabilities[0]?.id}">${freeText.vulnerabilities[0]?.id}</a></th>`);
    expect(page.body).toContain(`${freeText.vulnerabilities.length} hits.`);
    expect(page.body).toContain('value="Use-After-Free"');
    expect((await web().get('/search?q=cve-2022')).body).toContain(`The first ${SEARCH_LIMIT} hits; more match`);
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

  it('takes % and _ literally', async () => {
    const percent = await expectResults(web(), '%');
    expect(percent.vulnerabilities.length).toBeGreaterThan(0);
    expect(percent.vulnerabilities.every((hit) => hit.description?.includes('%'))).toBe(true);
    const underscore = await expectResults(web(), '_');
    expect(underscore.packages.every((hit) => hit.name.includes('_'))).toBe(true);
    expect(underscore.packages.length).toBeGreaterThan(0);
    const nothing = await expectResults(web(), 'no such text anywhere');
    expect(nothing.vulnerabilities).toEqual([]);
    expect((await web().get('/search?q=no%20such%20text%20anywhere')).body).toContain('No package name contains this text.');
  });

  it('answers 400 for over-long or repeated text and unknown parameters', async () => {
    for (const accept of ['text/html', 'application/json', 'application/ld+json']) {
      expect((await web().get(`/search?q=${'a'.repeat(201)}`, { accept })).statusCode, accept).toBe(400);
      expect((await web().get('/search?q=a&q=b', { accept })).statusCode, accept).toBe(400);
      expect((await web().get('/api/search?text=a', { accept })).statusCode, accept).toBe(400);
    }
    expect((await web().getJson<SearchJson>(`/search?q=${'a'.repeat(200)}`)).vulnerabilities).toEqual([]);
  });

  it('searches in two queries besides the data version, redirect or not, and none without text', async () => {
    for (const url of ['/search?q=openssl', '/search?q=cve-2023-42366', '/search?q=Use-After-Free', '/search?q=%25']) {
      for (const accept of ['text/html', 'application/json', 'application/ld+json']) {
        const before = web().queries.count;
        await web().get(url, { accept });
        expect(web().queries.count - before, `${url} ${accept}`).toBe(3);
      }
    }
    const before = web().queries.count;
    await web().get('/search');
    expect(web().queries.count - before).toBe(1);
  });
});
