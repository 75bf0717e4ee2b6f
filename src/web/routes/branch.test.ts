import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { loadMappingRules } from '../../sources/config.js';
import { type NamedState, findStates, getVulnerabilities, withWriteLock } from '../../store/index.js';
import { refreshPageSummaries } from '../../tracker/summaries.js';
import { type Backend, type TestStore, backends } from '../../test-support/databases.js';
import { TEST_BASE_URL, type WebFixture, contextLoader, getAllPages, useWebFixture } from '../test-support/web-fixture.js';
import { html } from '../html.js';
import { maintainerKey, maintainerPath, packagePath, packageVersionId, stateId, vulnerabilityPath } from '../urls.js';
import { severityBadge } from '../views/common.js';

interface VulnerabilityJson {
  readonly id: string;
  readonly url: string;
  readonly state: string;
  readonly severity: string | null;
  readonly cvssScore: number | null;
  readonly published: string | null;
  readonly ageDays: number | null;
  readonly fixedVersion: string | null;
}
interface PackageJson {
  readonly repository: string;
  readonly name: string;
  readonly url: string;
  readonly version: string | null;
  readonly maintainer: string | null;
  readonly maintainerUrl: string | null;
  readonly orphaned: boolean;
  readonly vulnerabilities: readonly VulnerabilityJson[];
}
interface BranchJson {
  readonly branch: { readonly name: string; readonly repositories: readonly { readonly name: string }[]; readonly endOfSupport: string | null };
  readonly counts: Record<string, number>;
  readonly filters: Record<string, unknown>;
  readonly page: number;
  readonly pageCount: number;
  readonly pageSize: number;
  readonly totalPackages: number;
  readonly next: string | null;
  readonly previous: string | null;
  readonly packages: readonly PackageJson[];
}

/** Markup that would run if a maintainer's text were not escaped. */
const HOSTILE_MAINTAINER = 'Eve "<script>alert(1)</script>" <eve_x@example.org>';

/** The demo data with one vulnerable package of 3.16/main given a hostile maintainer, to prove it renders inert. */
async function seedWithHostileMaintainer(store: TestStore): Promise<void> {
  const [target] = await findStates(store.db, { branch: '3.16', repo: 'main', state: 'vulnerable' });
  if (target === undefined) throw new Error('the demo data has no vulnerable pair in 3.16/main');
  await store.db
    .updateTable('source_package')
    .set({ maintainer: HOSTILE_MAINTAINER })
    .where('repository_id', '=', target.repositoryId)
    .where('name', '=', target.package)
    .execute();
}

const pairOf = (repo: string, pkg: string, vulnerability: string) => `${repo}/${pkg}/${vulnerability}`;
const statePairs = (states: readonly NamedState[]) => states.map((state) => pairOf(state.repo, state.package, state.vulnerabilityId)).sort();
const packagesOf = (states: readonly NamedState[]) => new Set(states.map((state) => `${state.repo}/${state.package}`));

/** Every pair the page lists, following `next` through all its pages. */
async function listedPairs(web: WebFixture, url: string): Promise<string[]> {
  const entries = (await getAllPages<BranchJson>(web, url)).flatMap((page) => page.packages);
  return entries.flatMap((entry) => entry.vulnerabilities.map((vulnerability) => pairOf(entry.repository, entry.name, vulnerability.id))).sort();
}

/** The maintainer of every source package of a branch, by `repo/package`. */
async function maintainersOf(store: TestStore, branch: string): Promise<Map<string, string | null>> {
  const rows = await store.db
    .selectFrom('source_package as sp')
    .innerJoin('repository as r', 'r.id', 'sp.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select(['r.name as repo', 'sp.name', 'sp.maintainer'])
    .where('b.name', '=', branch)
    .execute();
  return new Map(rows.map((row) => [`${row.repo}/${row.name}`, row.maintainer]));
}

describe.each(backends)('%s branch page', (backend: Backend) => {
  const web = useWebFixture(backend, { contents: 'demo', seed: seedWithHostileMaintainer });
  const vulnerable316 = () => findStates(web().store.db, { branch: '3.16', state: 'vulnerable' });

  it('shows the branch and a vulnerable package of 3.16/main with its vulnerability, severity, age and maintainer', async () => {
    const db = web().store.db;
    const states = await vulnerable316();
    const maintainers = await maintainersOf(web().store, '3.16');
    // The page sorts by package name: the alphabetically first package with a severity-rated
    // vulnerability and a maintainer is on page 1.
    const rated = new Map((await getVulnerabilities(db, states.map((state) => state.vulnerabilityId))).map((vulnerability) => [vulnerability.id, vulnerability]));
    const shown = states
      .filter((state) => rated.get(state.vulnerabilityId)?.severity != null && (maintainers.get(`${state.repo}/${state.package}`) ?? '') !== '')
      .sort((a, b) => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0))[0];
    const vulnerability = rated.get(shown?.vulnerabilityId ?? '');
    const maintainer = maintainers.get(`${shown?.repo}/${shown?.package}`) ?? '';
    expect(shown?.repo).toBe('main');
    const response = await web().get('/branch/3.16');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    const body = response.body;
    expect(body.match(/<h1>/g)).toHaveLength(1);
    expect(body).toContain('<h1>Branch 3.16</h1>');
    expect(body).toContain('<dt>Support</dt><dd>supported</dd>');
    expect(body).toContain(`<a href="${packagePath(shown?.package ?? '')}">${shown?.package}</a>`);
    expect(body).toContain(`<a href="${vulnerabilityPath(vulnerability?.id ?? '')}">${vulnerability?.id}</a> ${severityBadge(vulnerability?.severity ?? null, vulnerability?.cvssScore ?? null).toString()}`);
    expect(body).toContain(`<a href="${maintainerPath(maintainer)}">${String(html`${maintainer}`)}</a>`);
    expect(body).toMatch(/<span class="muted">\d+ days old<\/span>/);
    expect(body).toContain('number of whole days since it was published');
    expect(body).toContain('<th scope="col">Vulnerabilities</th>');
    expect(body).toContain('<a href="/branch/3.16?state=fixed">');
    expect(body).toMatch(/<label for="filter-severity">Minimum severity/);
    expect(body).toContain('<link rel="alternate" type="application/atom+xml" href="/branch/3.16/feed.atom"');
  });

  it('renders a hostile maintainer inert in HTML and keeps it plain text in JSON and JSON-LD', async () => {
    const page = await web().get('/branch/3.16');
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(page.body).toContain('Eve &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; &lt;eve_x@example.org&gt;');
    expect(page.body).toContain('href="/maintainer/eve_x%40example.org"');
    const json = await web().getJson<BranchJson>('/api/branch/3.16?maintainer=eve_x%40example.org');
    expect(json.packages.map((entry) => entry.maintainer)).toEqual([HOSTILE_MAINTAINER]);
    const ld = await web().get('/branch/3.16?maintainer=eve_x%40example.org', { accept: 'application/ld+json' });
    expect(ld.body).not.toContain('<script>');
    expect(JSON.stringify(ld.json())).toContain(JSON.stringify(HOSTILE_MAINTAINER));
  });

  it('lists in JSON exactly the vulnerable pairs of the branch, with counts per state and paths', async () => {
    const states = await vulnerable316();
    const json = await web().getJson<BranchJson>('/api/branch/3.16');
    expect(json.branch.name).toBe('3.16');
    expect(json.branch.repositories.map((repository) => repository.name)).toEqual(['community', 'main']);
    expect(json.filters).toEqual({ repo: null, state: 'vulnerable', severity: null, maintainer: null, orphaned: false, sort: 'package' });
    expect(json.totalPackages).toBe(packagesOf(states).size);
    expect(await listedPairs(web(), '/api/branch/3.16')).toEqual(statePairs(states));
    const all = await findStates(web().store.db, { branch: '3.16' });
    for (const [state, count] of Object.entries(json.counts)) expect(count, state).toBe(all.filter((row) => row.state === state).length);
    const entry = json.packages[0] as PackageJson;
    expect(entry.url).toBe(packagePath(entry.name));
    expect(entry.vulnerabilities[0]?.url).toBe(vulnerabilityPath(entry.vulnerabilities[0]?.id ?? ''));
    expect(entry.vulnerabilities.every((vulnerability) => vulnerability.state === 'vulnerable')).toBe(true);
  });

  it('narrows to one repository and to another state', async () => {
    const db = web().store.db;
    const main = await findStates(db, { branch: '3.16', repo: 'main', state: 'vulnerable' });
    expect(await listedPairs(web(), '/api/branch/3.16?repo=main')).toEqual(statePairs(main));
    const community = await web().getJson<BranchJson>('/api/branch/3.16?repo=community');
    const allCommunity = await findStates(db, { branch: '3.16', repo: 'community' });
    expect(community.counts['unknown']).toBe(allCommunity.filter((state) => state.state === 'unknown').length);
    const notAffected = await findStates(db, { branch: '3.16', state: 'not-affected' });
    expect(notAffected.length).toBeGreaterThan(0);
    expect(await listedPairs(web(), '/api/branch/3.16?state=not-affected')).toEqual(statePairs(notAffected));
  });

  it('narrows to a minimum severity, leaving out vulnerabilities without one', async () => {
    const states = await vulnerable316();
    const severities = new Map(
      (await getVulnerabilities(web().store.db, states.map((state) => state.vulnerabilityId))).map((vulnerability) => [vulnerability.id, vulnerability.severity]),
    );
    const high = states.filter((state) => ['CRITICAL', 'HIGH'].includes(severities.get(state.vulnerabilityId)?.toUpperCase() ?? ''));
    expect(high.length).toBeGreaterThan(0);
    expect(high.length).toBeLessThan(states.length);
    expect(await listedPairs(web(), '/api/branch/3.16?severity=high')).toEqual(statePairs(high));
    const any = states.filter((state) => (severities.get(state.vulnerabilityId) ?? null) !== null);
    expect(await listedPairs(web(), '/api/branch/3.16?severity=low')).toEqual(statePairs(any));
  });

  it('narrows to one maintainer by e-mail and to orphaned packages', async () => {
    const states = await vulnerable316();
    const maintainers = await maintainersOf(web().store, '3.16');
    const keyOf = (state: NamedState) => {
      const maintainer = maintainers.get(`${state.repo}/${state.package}`);
      return maintainer === undefined || maintainer === null || maintainer === '' ? null : maintainerKey(maintainer);
    };
    const tally = new Map<string, number>();
    for (const state of states) {
      const key = keyOf(state);
      if (key !== null) tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    const [busiest] = [...tally].sort((a, b) => b[1] - a[1])[0] ?? [];
    expect(busiest).toBeDefined();
    const theirs = states.filter((state) => keyOf(state) === busiest);
    expect(theirs.length).toBeLessThan(states.length);
    expect(await listedPairs(web(), `/api/branch/3.16?maintainer=${encodeURIComponent(busiest ?? '')}`)).toEqual(statePairs(theirs));

    const orphaned = states.filter((state) => {
      const maintainer = maintainers.get(`${state.repo}/${state.package}`);
      return maintainer === null || maintainer === '';
    });
    expect(orphaned.length).toBeGreaterThan(0);
    expect(await listedPairs(web(), '/api/branch/3.16?orphaned=1')).toEqual(statePairs(orphaned));
    const json = await web().getJson<BranchJson>('/api/branch/3.16?orphaned=1');
    expect(json.packages.every((entry) => entry.orphaned && entry.maintainer === null && entry.maintainerUrl === null)).toBe(true);
    expect((await web().get('/branch/3.16?orphaned=1')).body).toContain('<span class="muted">orphaned</span>');
  });

  it('sorts by name, highest CVSS score, oldest vulnerability and number of vulnerabilities', async () => {
    const { packages: byName, pageSize } = await web().getJson<BranchJson>('/api/branch/3.16');
    expect(byName.length).toBeLessThanOrEqual(pageSize);
    const compareName = (a: PackageJson, b: PackageJson) => (a.name === b.name ? (a.repository < b.repository ? -1 : 1) : a.name < b.name ? -1 : 1);
    expect([...byName].sort(compareName)).toEqual(byName);
    const highest = (entry: PackageJson) => Math.max(...entry.vulnerabilities.map((vulnerability) => vulnerability.cvssScore ?? -1));
    const oldest = (entry: PackageJson) => entry.vulnerabilities.map((vulnerability) => vulnerability.published ?? '~').sort()[0] ?? '~';
    const expected: Record<string, (a: PackageJson, b: PackageJson) => number> = {
      severity: (a, b) => highest(b) - highest(a) || compareName(a, b),
      age: (a, b) => (oldest(a) === oldest(b) ? compareName(a, b) : oldest(a) < oldest(b) ? -1 : 1),
      count: (a, b) => b.vulnerabilities.length - a.vulnerabilities.length || compareName(a, b),
    };
    for (const [sort, compare] of Object.entries(expected)) {
      const sorted = (await web().getJson<BranchJson>(`/api/branch/3.16?sort=${sort}`)).packages;
      const names = sorted.map((entry) => `${entry.repository}/${entry.name}`);
      expect(names, sort).toEqual([...byName].sort(compare).map((entry) => `${entry.repository}/${entry.name}`));
      expect(names, sort).not.toEqual(byName.map((entry) => `${entry.repository}/${entry.name}`));
    }
  });

  it('pages the packages, linking the neighbours, and answers a page past the end with 404', async () => {
    const fixed = await findStates(web().store.db, { branch: '3.16', state: 'fixed' });
    const first = await web().getJson<BranchJson>('/api/branch/3.16?state=fixed');
    const pageCount = Math.ceil(packagesOf(fixed).size / first.pageSize);
    expect(pageCount).toBeGreaterThan(1);
    const second = await web().getJson<BranchJson>('/api/branch/3.16?state=fixed&page=2');
    expect([first.pageCount, second.pageCount, first.page, second.page]).toEqual([pageCount, pageCount, 1, 2]);
    expect(first.packages).toHaveLength(first.pageSize);
    expect(first.next).toBe('/branch/3.16?state=fixed&page=2');
    expect([first.previous, second.previous]).toEqual([null, '/branch/3.16?state=fixed']);
    const names = (body: BranchJson) => body.packages.map((entry) => `${entry.repository}/${entry.name}`);
    expect(names(second).filter((name) => names(first).includes(name))).toEqual([]);
    expect(new Set([...names(first), ...names(second)]).size).toBe(Math.min(packagesOf(fixed).size, 2 * first.pageSize));
    const html = await web().get('/branch/3.16?state=fixed');
    expect(html.body).toContain('<a href="/branch/3.16?state=fixed&amp;page=2" rel="next">');
    const ld = await web().getJson('/branch/3.16?state=fixed&page=2', 'application/ld+json');
    const collection = (ld['@graph'] as Record<string, unknown>[])[1];
    expect(collection?.['previous']).toBe(`${TEST_BASE_URL}/branch/3.16?state=fixed`);
    expect(collection?.['page']).toBe(2);

    const past = `/branch/3.16?state=fixed&page=${pageCount + 1}`;
    expect((await web().get(past)).statusCode).toBe(404);
    const pastJson = await web().get(`/api${past}`);
    expect([pastJson.statusCode, pastJson.json<{ error: { message: string } }>().error.message]).toEqual([404, `page ${pageCount + 1} of branch 3.16 not found`]);
    expect((await web().get(past, { accept: 'application/ld+json' })).statusCode).toBe(404);
  });

  it('describes the branch and the page of packages in JSON-LD with defined terms and absolute ids', async () => {
    const states = await findStates(web().store.db, { branch: '3.16', repo: 'main', state: 'vulnerable' });
    const document = await web().getJson('/branch/3.16?repo=main', 'application/ld+json');
    const [branch, collection] = document['@graph'] as Record<string, unknown>[];
    expect(branch?.['id']).toBe(`${TEST_BASE_URL}/branch/3.16`);
    expect(branch?.['type']).toBe('Branch');
    expect(branch?.['repositories']).toEqual([
      { id: `${TEST_BASE_URL}/branch/3.16#repo-community`, type: 'Repository', name: 'community' },
      { id: `${TEST_BASE_URL}/branch/3.16#repo-main`, type: 'Repository', name: 'main' },
    ]);
    expect(collection?.['id']).toBe(`${TEST_BASE_URL}/branch/3.16?repo=main`);
    expect(collection?.['totalItems']).toBe(packagesOf(states).size);
    const state = states[0] as NamedState;
    const items = collection?.['items'] as Record<string, unknown>[];
    const item = items.find((entry) => entry['packageName'] === state.package);
    expect(item).toMatchObject({
      id: `${TEST_BASE_URL}${packageVersionId(state.package, '3.16', 'main', state.version ?? '')}`,
      type: 'PackageVersion',
      package: `${TEST_BASE_URL}${packagePath(state.package)}`,
      version: state.version,
      repository: `${TEST_BASE_URL}/branch/3.16#repo-main`,
    });
    expect(item?.['states']).toContainEqual(
      expect.objectContaining({
        id: `${TEST_BASE_URL}${stateId(state.vulnerabilityId, '3.16', 'main', state.package)}`,
        type: 'VulnerabilityState',
        vulnerability: `${TEST_BASE_URL}${vulnerabilityPath(state.vulnerabilityId)}`,
        state: 'vulnerable',
      }),
    );
    const expanded = await jsonld.expand(document, { documentLoader: contextLoader(web()), safe: true });
    expect(expanded.length).toBe(2);
  });

  it('answers an unknown branch with 404 in each format', async () => {
    const page = await web().get('/branch/nope');
    expect([page.statusCode, page.headers['content-type']]).toEqual([404, 'text/html; charset=utf-8']);
    expect(page.body).toContain('branch nope not found');
    const json = await web().get('/api/branch/nope');
    expect([json.statusCode, json.json()]).toEqual([404, { error: { status: 404, message: 'branch nope not found' } }]);
    const ld = await web().get('/branch/nope', { accept: 'application/ld+json' });
    expect([ld.statusCode, ld.headers['content-type']]).toEqual([404, 'application/ld+json; charset=utf-8']);
  });

  it('answers bad parameters with 400', async () => {
    for (const query of ['state=bogus', 'page=0', 'page=x', 'repo=nope', 'bogus=1', 'severity=none', 'sort=name', 'orphaned=maybe', 'orphaned=1&maintainer=a%40b']) {
      const response = await web().get(`/api/branch/3.16?${query}`);
      expect(response.statusCode, query).toBe(400);
    }
    const page = await web().get('/branch/3.16?repo=nope');
    expect([page.statusCode, page.headers['content-type']]).toEqual([400, 'text/html; charset=utf-8']);
    expect(page.body).toContain('branch 3.16 has no repository &quot;nope&quot;');
  });

  it('reads the page in six queries (the fifth: the page\'s triage events), with or without filters, in every format', async () => {
    const { queries } = web();
    const filtered = '/branch/3.16?repo=main&severity=medium&sort=age';
    expect((await web().getJson<BranchJson>(`/api${filtered}`)).packages.length).toBeGreaterThan(0);
    for (const [url, accept] of [
      ['/branch/3.16', 'text/html'],
      [filtered, 'text/html'],
      [filtered, 'application/json'],
      ['/branch/3.16?state=fixed&page=2', 'application/ld+json'],
    ] as const) {
      const before = queries.count;
      expect((await web().get(url, { accept })).statusCode).toBe(200);
      expect(queries.count - before, `${url} as ${accept}`).toBe(6);
    }
  });

  it('takes the counts from the home summary, the one update stored or the one rebuilt once the data moved on', async () => {
    const urls = ['/api/branch/3.16', '/api/branch/3.16?repo=community'];
    const stored = await Promise.all(urls.map(async (url) => (await web().getJson<BranchJson>(url)).counts));
    await withWriteLock(web().store, () => Promise.resolve());
    expect((await web().getJson<BranchJson>(urls[0]!)).counts).toEqual(stored[0]);
    expect((await web().getJson<BranchJson>(urls[1]!)).counts).toEqual(stored[1]);
    const all = await findStates(web().store.db, { branch: '3.16', repo: 'community' });
    for (const [state, count] of Object.entries(stored[1]!)) expect(count, state).toBe(all.filter((row) => row.state === state).length);
    // Later tests count the queries of a page whose summary is current.
    await refreshPageSummaries(web().store, await loadMappingRules());
  });
});
