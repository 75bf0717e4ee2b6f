import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { type NamedState, findStates, listBranches, listPublishedVersions, listSecfixes, replaceSecfixes, writeStates } from '../../store/index.js';
import { type TestStore, backends } from '../../test-support/databases.js';
import { compareVersions } from '../../version/index.js';
import { html } from '../html.js';
import { TEST_BASE_URL, type WebFixture, contextLoader, getAllPages, demoRepositoryId, useWebFixture } from '../test-support/web-fixture.js';
import { packageFeedPath, packagePath, packageVersionId, secfixId, stateId, vulnerabilityPath } from '../urls.js';
import { stateBadge } from '../views/common.js';
import type { PackageData } from '../views/package.js';
import { VERSION_HISTORY_LIMIT } from './package.js';

const PACKAGE = 'busybox';
const HOSTILE_PACKAGE = `evil"<script>alert(1)</script>`;
const HOSTILE_NOTE = '<img src=x onerror=alert(2)>';
/** Versions of busybox the seed adds to 3.16/main as removed, oldest first: more than the history lists. */
const REMOVED = Array.from({ length: VERSION_HISTORY_LIMIT + 2 }, (_, index) => `0.9.${index}-r0`);

type PackageJson = PackageData & { readonly pageSize: number; readonly next: string | null; readonly previous: string | null };

async function repositoryIds(store: TestStore): Promise<{ branch: string; repo: string; id: number }[]> {
  return (await listBranches(store.db)).flatMap((branch) => branch.repositories.map((repo) => ({ branch: branch.name, repo: repo.name, id: repo.id })));
}

/** The demo data, plus removed busybox versions in 3.16/main and a package with a hostile name, state and secfix note. */
async function seed(store: TestStore): Promise<void> {
  const repositoryId = await demoRepositoryId(store, '3.16', 'main');
  const origin = await store.db
    .selectFrom('source_package')
    .select('id')
    .where('repository_id', '=', repositoryId)
    .where('name', '=', PACKAGE)
    .executeTakeFirstOrThrow();
  await store.db
    .insertInto('package_version')
    .values(
      REMOVED.map((version, index) => {
        const day = (offset: number) => new Date(Date.UTC(2022, 0, 1 + index * 10 + offset)).toISOString();
        return { source_package_id: origin.id, version, version_key: null, first_seen: day(0), last_seen: day(5), removed_at: day(6), maintainer: null, build_time: null, commit: null };
      }),
    )
    .execute();
  await writeStates(store.db, [{ repositoryId, package: HOSTILE_PACKAGE, vulnerabilityId: 'CVE-2099-0003', state: 'vulnerable', version: null, fixedVersion: '2.0-r0', evidence: [] }], { cause: 'test' });
  await replaceSecfixes(store.db, { repositoryId, source: 'aports' }, [
    { package: HOSTILE_PACKAGE, version: '2.0-r0', vulnerabilityId: 'CVE-2099-0003', note: HOSTILE_NOTE },
  ], null);
}

const stateKey = (id: string, branch: string, repo: string, state: string, fixedVersion: string | null) => `${id} ${branch}/${repo} ${state} ${fixedVersion ?? '-'}`;
const listedStates = (json: PackageData) =>
  json.vulnerabilities.flatMap((vulnerability) => vulnerability.states.map((state) => stateKey(vulnerability.id, state.branch, state.repo, state.state, state.fixedVersion)));
const storedStates = (states: readonly NamedState[]) => states.map((state) => stateKey(state.vulnerabilityId, state.branch, state.repo, state.state, state.fixedVersion));

/** Every vulnerability row the page lists, following `next` through its pages. */
async function allListed(web: WebFixture, url: string): Promise<{ pages: number; states: string[] }> {
  const pages = await getAllPages<PackageJson>(web, url);
  for (const page of pages) expect(page.vulnerabilities.length).toBeLessThanOrEqual(page.pageSize);
  return { pages: pages.length, states: pages.flatMap(listedStates) };
}

describe.each(backends)('%s package page', (backend) => {
  const web = useWebFixture(backend, { contents: 'demo', seed: seed });

  it('shows the published version and maintainer in each branch', async () => {
    const { store } = web();
    const expected: string[] = [];
    for (const repository of await repositoryIds(store)) {
      for (const version of await listPublishedVersions(store.db, repository.id, [PACKAGE])) expected.push(`${repository.branch}/${repository.repo} ${version.version}`);
    }
    expect(new Set(expected.map((entry) => entry.split('/')[0])).size).toBeGreaterThan(1);
    const json = await web().getJson<PackageJson>(`/package/${PACKAGE}`);
    expect(json.repositories.flatMap((repository) => repository.current.map((version) => `${repository.branch}/${repository.repo} ${version.version}`)).sort()).toEqual(expected.sort());

    const body = (await web().get(`/package/${PACKAGE}`)).body;
    const section = body.slice(body.indexOf('<h2>Versions</h2>'), body.indexOf('<h2>Vulnerabilities</h2>'));
    for (const repository of json.repositories) {
      const row = [...section.matchAll(/<tr>[\s\S]*?<\/tr>/g)].map((match) => match[0]).find((candidate) => candidate.includes(`<th scope="row"><a href="/branch/${repository.branch}">`) && candidate.includes(`<td>${repository.repo}</td>`));
      for (const version of repository.current) expect(row).toContain(`<code>${version.version}</code>`);
      expect(row).toContain(String(html`${repository.maintainer ?? 'none'}`));
    }
    expect(body).toContain(`<link rel="alternate" type="application/atom+xml" href="${packageFeedPath(PACKAGE)}"`);
  });

  it('lists the newest removed versions per repository, and how many there are', async () => {
    const json = await web().getJson<PackageJson>(`/package/${PACKAGE}`);
    const repository = json.repositories.find((entry) => entry.branch === '3.16' && entry.repo === 'main');
    expect(repository?.removedCount).toBe(REMOVED.length);
    expect(repository?.history.map((version) => version.version)).toEqual([...REMOVED].reverse().slice(0, VERSION_HISTORY_LIMIT));
    const body = (await web().get(`/package/${PACKAGE}`)).body;
    expect(body).toContain(`newest ${VERSION_HISTORY_LIMIT} of ${REMOVED.length}`);
    expect(body).toContain(`<code>${REMOVED.at(-1)}</code>`);
    expect(body).not.toContain(`<code>${REMOVED[0]}</code>`);
  });

  it('shows the secfixes history per repository, newest version first, with links to the vulnerabilities', async () => {
    const { store } = web();
    const expected: string[] = [];
    for (const repository of await repositoryIds(store)) {
      for (const secfix of await listSecfixes(store.db, repository.id, [PACKAGE])) expected.push(`${repository.branch}/${repository.repo} ${secfix.version} ${secfix.vulnerabilityId}`);
    }
    expect(expected.length).toBeGreaterThan(0);
    const json = await web().getJson<PackageJson>(`/package/${PACKAGE}`);
    const listed = json.secfixes.flatMap((line) => line.vulnerabilities.map((vulnerability) => `${line.branch}/${line.repo} ${line.version} ${vulnerability.id}`));
    expect(listed.sort()).toEqual([...new Set(expected)].sort());
    for (const branch of new Set(json.secfixes.map((line) => line.branch))) {
      const versions = json.secfixes.filter((line) => line.branch === branch).map((line) => line.version);
      expect(versions).toEqual([...versions].sort((a, b) => compareVersions(b, a)));
    }
    const notAffected = json.secfixes.find((line) => line.version === '0');
    expect(notAffected?.notAffected).toBe(true);
    const body = (await web().get(`/package/${PACKAGE}`)).body;
    for (const line of json.secfixes) {
      for (const vulnerability of line.vulnerabilities) expect(body).toContain(`<a href="${vulnerabilityPath(vulnerability.id)}">${vulnerability.id}</a>`);
    }
    expect(body).toContain('<code>0</code> (not affected)');
  });

  it('shows the state of each vulnerability in each branch, and filters by state', async () => {
    const states = await findStates(web().store.db, { package: PACKAGE });
    const json = await web().getJson<PackageJson>(`/package/${PACKAGE}`);
    expect(json.totalVulnerabilities).toBe(new Set(states.map((state) => state.vulnerabilityId)).size);
    expect(json.totalVulnerabilities).toBeLessThanOrEqual(json.pageSize);
    expect(listedStates(json).sort()).toEqual(storedStates(states).sort());
    expect(json.stateCounts.map((entry) => entry.branch)).toEqual([...new Set(states.map((state) => state.branch))].sort((a, b) => compareVersions(b, a)));

    const body = (await web().get(`/package/${PACKAGE}`)).body;
    for (const vulnerability of json.vulnerabilities) {
      const row = body.match(new RegExp(`<tr><th scope="row"><a href="${vulnerabilityPath(vulnerability.id)}">[\\s\\S]*?</tr>`))?.[0];
      for (const state of vulnerability.states) expect(row, vulnerability.id).toContain(stateBadge(state.state).toString());
      expect(row?.split('class="badge state-').length, vulnerability.id).toBe(vulnerability.states.length + 1);
    }

    const vulnerable = states.filter((state) => state.state === 'vulnerable').map((state) => state.vulnerabilityId);
    expect(vulnerable.length).toBeGreaterThan(0);
    const filtered = await web().getJson<PackageJson>(`/package/${PACKAGE}?state=vulnerable`);
    expect(filtered.vulnerabilities.map((vulnerability) => vulnerability.id).sort()).toEqual([...new Set(vulnerable)].sort());
    expect(listedStates(filtered).sort()).toEqual(storedStates(states.filter((state) => vulnerable.includes(state.vulnerabilityId))).sort());
    expect((await web().get(`/package/${PACKAGE}?state=vulnerable`)).body).toContain('<option value="vulnerable" selected>');
  });

  it('pages a package with more vulnerabilities than a page holds', async () => {
    const states = await findStates(web().store.db, { package: 'curl' });
    const total = new Set(states.map((state) => state.vulnerabilityId)).size;
    const first = await web().getJson<PackageJson>('/package/curl');
    expect(total).toBeGreaterThan(first.pageSize);
    expect(first).toMatchObject({ page: 1, pageCount: Math.ceil(total / first.pageSize), totalVulnerabilities: total, previous: null, next: '/package/curl?page=2' });
    expect(first.vulnerabilities).toHaveLength(first.pageSize);
    const listed = await allListed(web(), '/package/curl');
    expect(listed.pages).toBe(first.pageCount);
    expect(listed.states.sort()).toEqual(storedStates(states).sort());
    const html = (await web().get('/package/curl?page=2')).body;
    expect(html).toContain('<a href="/package/curl" rel="prev">');
    expect((await web().get(`/package/curl?page=${first.pageCount + 1}`)).statusCode).toBe(404);
  });

  it('lists the vulnerabilities across pages undated first, then newest published first, by id descending where equal', async () => {
    const ids = new Set((await findStates(web().store.db, { package: 'curl' })).map((state) => state.vulnerabilityId));
    const records = await web().store.db.selectFrom('vulnerability').select(['id', 'published']).where('id', 'in', [...ids]).execute();
    const published = new Map(records.map((record) => [record.id, record.published]));
    // Undated sorts as a date after every real one; ISO dates compare as text.
    const key = (id: string) => `${published.get(id) ?? '~'} ${id}`;
    const expected = [...ids].sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
    expect(new Set(expected.map((id) => published.get(id)?.slice(0, 4))).size).toBeGreaterThan(2);
    const pages = await getAllPages<PackageJson>(web(), '/package/curl');
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flatMap((page) => page.vulnerabilities.map((vulnerability) => vulnerability.id))).toEqual(expected);
  });

  it('renders a hostile package name and secfix note inert', async () => {
    const url = `/package/${encodeURIComponent(HOSTILE_PACKAGE)}`;
    const response = await web().get(url);
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toMatch(/<script|<img/);
    expect(response.body).toContain(`<h1>${String(html`${HOSTILE_PACKAGE}`)}</h1>`);
    expect(response.body).toContain(String(html`${HOSTILE_NOTE}`));
    expect(response.body).toContain(`No branch publishes ${String(html`${HOSTILE_PACKAGE}`)}`);
    const json = await web().getJson<PackageJson>(url);
    expect(json.name).toBe(HOSTILE_PACKAGE);
    expect(json.secfixes[0]?.vulnerabilities[0]).toEqual({ id: 'CVE-2099-0003', note: HOSTILE_NOTE, sources: ['aports'] });
  });

  it('expands as JSON-LD in safe mode, with version, secfix and state nodes', async () => {
    const document = await web().getJson<Record<string, unknown>>(`/package/${PACKAGE}`, 'application/ld+json');
    const [node] = await jsonld.expand(document, { documentLoader: contextLoader(web()), safe: true });
    expect(node?.['@type']).toEqual([`${TEST_BASE_URL}/ns#Package`]);
    const json = await web().getJson<PackageJson>(`/package/${PACKAGE}`);
    const absolute = (path: string) => `${TEST_BASE_URL}${path}`;
    expect(document['id']).toBe(absolute(packagePath(PACKAGE)));
    expect(document['feed']).toBe(absolute(packageFeedPath(PACKAGE)));
    expect((document['versions'] as { id: string }[]).map((version) => version.id).sort()).toEqual(
      json.repositories.flatMap((repository) => [...repository.current, ...repository.history].map((version) => absolute(packageVersionId(PACKAGE, repository.branch, repository.repo, version.version)))).sort(),
    );
    expect((document['secfixes'] as { id: string }[]).map((secfix) => secfix.id).sort()).toEqual(
      json.secfixes.flatMap((line) => line.vulnerabilities.map((vulnerability) => absolute(secfixId(PACKAGE, line.branch, line.repo, line.version, vulnerability.id)))).sort(),
    );
    expect((document['states'] as { id: string }[]).map((state) => state.id).sort()).toEqual(
      json.vulnerabilities.flatMap((vulnerability) => vulnerability.states.map((state) => absolute(stateId(vulnerability.id, state.branch, state.repo, PACKAGE)))).sort(),
    );
    expect(document['totalItems']).toBe(json.totalVulnerabilities);
  });

  it('answers an unknown package with 404 in each format, and bad parameters with 400', async () => {
    const name = 'no-such-package';
    expect(await findStates(web().store.db, { package: name })).toEqual([]);
    const page = await web().get(`/package/${name}`);
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain(`package ${name} not found`);
    const json = await web().get(`/api/package/${name}`);
    expect(json.statusCode).toBe(404);
    expect(json.json()).toEqual({ error: { status: 404, message: `package ${name} not found` } });
    const ld = await web().get(`/package/${name}`, { accept: 'application/ld+json' });
    expect(ld.statusCode).toBe(404);
    expect(ld.headers['content-type']).toBe('application/ld+json; charset=utf-8');
    for (const query of ['state=bogus', 'page=0', 'page=x', 'sort=name']) {
      expect((await web().get(`/api/package/${PACKAGE}?${query}`)).statusCode, query).toBe(400);
    }
  });

  it('reads each page in six queries (data version, versions, secfixes, state counts, vulnerability ids, states) whatever its size', async () => {
    const { queries } = web();
    // The first page of a data version also reads the order of vulnerabilities, once for all pages.
    expect((await web().get('/package/curl')).statusCode).toBe(200);
    for (const url of [`/package/${PACKAGE}`, `/package/${PACKAGE}?state=fixed`, '/package/curl?page=2', `/package/${encodeURIComponent(HOSTILE_PACKAGE)}`]) {
      for (const accept of ['text/html', 'application/json', 'application/ld+json']) {
        const before = queries.count;
        expect((await web().get(url, { accept })).statusCode).toBe(200);
        expect(queries.count - before, `${url} ${accept}`).toBe(6);
      }
    }
  });
});

/** Binary package names of the demo data that are no origin's name, with the origins building each. */
async function binaryNames(store: TestStore): Promise<Map<string, Set<string>>> {
  const [binaries, origins] = await Promise.all([
    store.db
      .selectFrom('binary_package as bp')
      .innerJoin('package_version as pv', 'pv.id', 'bp.package_version_id')
      .innerJoin('source_package as sp', 'sp.id', 'pv.source_package_id')
      .select(['bp.name as binary', 'sp.name as origin'])
      .execute(),
    store.db.selectFrom('source_package').select('name').execute(),
  ]);
  const originNames = new Set(origins.map((row) => row.name));
  const names = new Map<string, Set<string>>();
  for (const row of binaries) {
    if (originNames.has(row.binary)) continue;
    names.set(row.binary, (names.get(row.binary) ?? new Set()).add(row.origin));
  }
  return names;
}

describe.each(backends)('%s binary package names', (backend) => {
  const web = useWebFixture(backend);

  it('redirects a binary built from one origin to the origin, which names the binary, in every format', async () => {
    const [binary, origins] = [...(await binaryNames(web().store))].find(([, built]) => built.size === 1) ?? [];
    expect(binary).toBeDefined();
    const origin = [...(origins as Set<string>)][0] as string;
    const location = `/package/${encodeURIComponent(origin)}?binary=${encodeURIComponent(binary as string)}`;
    for (const [url, accept, expected] of [
      [`/package/${binary}`, 'text/html', location],
      [`/package/${binary}`, 'application/ld+json', location],
      [`/api/package/${binary}`, 'application/json', `/api${location}`],
    ] as const) {
      const response = await web().get(url, { accept });
      expect(response.statusCode, url).toBe(303);
      expect(response.headers['location'], url).toBe(expected);
    }
    const page = (await web().get(location)).body;
    expect(page).toContain(`${String(html`${binary as string}`)} is built from ${String(html`${origin}`)} (in `);
    const json = await web().getJson<PackageJson>(location);
    expect(json.binary?.name).toBe(binary);
    expect(json.binary?.places.length).toBeGreaterThan(0);
    // A binary this origin does not build is not named.
    expect((await web().getJson<PackageJson>(`/package/${encodeURIComponent(origin)}?binary=no-such-binary`)).binary).toBeNull();
  });

  it('lets the reader choose among the origins of a binary built from several', async () => {
    const found = [...(await binaryNames(web().store))].find(([, built]) => built.size > 1);
    expect(found, 'a binary built from several origins in the demo data').toBeDefined();
    const [binary, origins] = found as [string, Set<string>];
    const response = await web().get(`/package/${encodeURIComponent(binary)}`);
    expect(response.statusCode).toBe(200);
    for (const origin of origins) expect(response.body).toContain(`<a href="/package/${encodeURIComponent(origin)}?binary=${encodeURIComponent(binary)}">`);
    const json = await web().getJson<PackageJson>(`/package/${encodeURIComponent(binary)}`);
    expect(new Set(json.binaryOf.map((entry) => entry.origin))).toEqual(origins);
  });
});
