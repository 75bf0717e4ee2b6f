import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { type Backend, type TestStore, backends } from '../../test-support/databases.js';
import { listBranches, withWriteLock } from '../../store/index.js';
import { endedBranchNames, recordTriage } from '../../tracker/triage.js';
import { TEST_BASE_URL, type WebFixture, contextLoader, getAllPages, useWebFixture } from '../test-support/web-fixture.js';
import { maintainerFeedPath, maintainerKey, maintainerPath } from '../urls.js';

interface MaintainerJson {
  readonly key: string;
  readonly name: string;
  readonly email: string | null;
  readonly spellings: readonly string[];
  readonly packages: number;
  readonly open: number;
  readonly url: string;
}
interface MaintainersJson {
  readonly page: number;
  readonly pageCount: number;
  readonly pageSize: number;
  readonly total: number;
  readonly next: string | null;
  readonly previous: string | null;
  readonly maintainers: readonly MaintainerJson[];
}
interface PairJson {
  readonly id: string;
  readonly severity: string | null;
  readonly fixedVersion: string | null;
}
interface MaintainerPageJson {
  readonly key: string;
  readonly name: string;
  readonly email: string | null;
  readonly spellings: readonly string[];
  readonly page: number;
  readonly pageCount: number;
  readonly pageSize: number;
  readonly totalPackages: number;
  readonly next: string | null;
  readonly packages: readonly { branch: string; repository: string; name: string; version: string; open: number; vulnerable: readonly PairJson[]; unknown: readonly PairJson[] }[];
}

const VARIANT_NAME = 'Another Spelling';
const NO_EMAIL = 'Plain Name Only';
const GONE = 'Gone Person <gone@example.org>';
/** Enough extra people that the list needs a second page. */
const EXTRA_PEOPLE = 20;

/** Adds a source package with one version to a branch's repository; `removed` makes the version gone from the index. */
async function addPackage(store: TestStore, branch: string, repo: string, name: string, maintainer: string | null, removed = false): Promise<void> {
  const repository = await store.db
    .selectFrom('repository as r')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select('r.id')
    .where('b.name', '=', branch)
    .where('r.name', '=', repo)
    .executeTakeFirstOrThrow();
  const sourcePackage = await store.db.insertInto('source_package').values({ repository_id: repository.id, name, maintainer }).returning('id').executeTakeFirstOrThrow();
  const now = new Date().toISOString();
  await store.db
    .insertInto('package_version')
    .values({ source_package_id: sourcePackage.id, version: '1.0-r0', version_key: null, first_seen: now, last_seen: now, removed_at: removed ? now : null, maintainer, build_time: null, commit: null })
    .execute();
}

/**
 * The demo data plus: a second spelling of one person's name on a package they also maintain in
 * another branch, a maintainer without e-mail, someone whose only package is gone from the
 * index, and enough extra people for two pages.
 */
async function seedMaintainers(store: TestStore): Promise<void> {
  const shared = await store.db
    .selectFrom('source_package as a')
    .innerJoin('source_package as b', (join) => join.onRef('a.name', '=', 'b.name').onRef('a.maintainer', '=', 'b.maintainer').onRef('a.repository_id', '<', 'b.repository_id'))
    .select(['b.id', 'a.maintainer'])
    .where('a.maintainer', 'like', '%<%@%>%')
    .orderBy('a.name')
    .executeTakeFirstOrThrow();
  await store.db
    .updateTable('source_package')
    .set({ maintainer: `${VARIANT_NAME} <${maintainerKey(shared.maintainer ?? '')}>` })
    .where('id', '=', shared.id)
    .execute();
  await addPackage(store, '3.16', 'main', 'plain-pkg', NO_EMAIL);
  await addPackage(store, '3.16', 'main', 'gone-pkg', GONE, true);
  for (let index = 0; index < EXTRA_PEOPLE; index += 1) await addPackage(store, '3.17', 'main', `seed-pkg-${index}`, `Seed Person ${index} <seed${index}@example.org>`);
  // New index data, as after an import: the data version moves on, so the names summary `update` stored does not pass for it.
  await withWriteLock(store, () => Promise.resolve());
}

interface PublishedPackage {
  readonly repositoryId: number;
  readonly branch: string;
  readonly repo: string;
  readonly name: string;
  readonly maintainer: string | null;
}

/** Every source package with a version the index still lists, read straight from the store. */
async function publishedPackages(store: TestStore): Promise<PublishedPackage[]> {
  return store.db
    .selectFrom('source_package as sp')
    .innerJoin('repository as r', 'r.id', 'sp.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select(['sp.repository_id as repositoryId', 'b.name as branch', 'r.name as repo', 'sp.name', 'sp.maintainer'])
    .where((eb) => eb.exists(eb.selectFrom('package_version as pv').select('pv.id').whereRef('pv.source_package_id', '=', 'sp.id').where('pv.removed_at', 'is', null)))
    .execute();
}

/** Pairs in `state` per `repositoryId/package`. */
async function pairsByPackage(store: TestStore, state: 'vulnerable' | 'unknown'): Promise<Map<string, string[]>> {
  const rows = await store.db.selectFrom('state').select(['repository_id', 'package', 'vulnerability_id']).where('state', '=', state).execute();
  const pairs = new Map<string, string[]>();
  for (const row of rows) pairs.set(`${row.repository_id}/${row.package}`, [...(pairs.get(`${row.repository_id}/${row.package}`) ?? []), row.vulnerability_id]);
  return pairs;
}

/** The day the maintainer pages are served on: some demo branches are past their end of support by then. */
const TODAY = '2026-12-01';

/** What /maintainers should say of each person, by key: with no triage event, the vulnerable pairs of supported branches are the open ones. */
async function expectedPeople(store: TestStore): Promise<Map<string, { names: Set<string>; open: number; spellings: Set<string> }>> {
  const vulnerable = await pairsByPackage(store, 'vulnerable');
  const ended = endedBranchNames(await listBranches(store.db), TODAY);
  const people = new Map<string, { names: Set<string>; open: number; spellings: Set<string> }>();
  for (const entry of await publishedPackages(store)) {
    if (entry.maintainer === null || entry.maintainer === '') continue;
    const key = maintainerKey(entry.maintainer);
    const person = people.get(key) ?? { names: new Set(), open: 0, spellings: new Set() };
    person.names.add(entry.name);
    person.spellings.add(entry.maintainer);
    if (!ended.has(entry.branch)) person.open += vulnerable.get(`${entry.repositoryId}/${entry.name}`)?.length ?? 0;
    people.set(key, person);
  }
  return people;
}

/** Every page of the maintainer list, following `next`. */
async function allMaintainers(web: WebFixture): Promise<MaintainerJson[]> {
  return (await getAllPages<MaintainersJson>(web, '/maintainers')).flatMap((page) => page.maintainers);
}

const countQueries = async (web: WebFixture, url: string, accept = 'text/html') => {
  const before = web.queries.count;
  const response = await web.get(url, { accept });
  expect(response.statusCode, url).toBe(200);
  return web.queries.count - before;
};

describe.each(backends)('%s maintainer pages', (backend: Backend) => {
  const web = useWebFixture(backend, { contents: 'demo', seed: seedMaintainers }, { today: () => TODAY });

  it('lists every maintainer once per e-mail, with distinct packages and open pairs, most pairs first, over pages', async () => {
    const expected = await expectedPeople(web().store);
    const first = await web().getJson<MaintainersJson>('/maintainers');
    expect(first.total).toBe(expected.size);
    expect(first.total).toBeGreaterThan(first.pageSize);
    expect(first.pageCount).toBe(Math.ceil(expected.size / first.pageSize));
    expect(first.maintainers).toHaveLength(first.pageSize);
    expect(first.next).toBe('/maintainers?page=2');
    const listed = await allMaintainers(web());
    expect(listed.map((person) => person.key).sort()).toEqual([...expected.keys()].sort());
    for (const person of listed) {
      const want = expected.get(person.key);
      expect({ key: person.key, packages: person.packages, open: person.open, spellings: [...person.spellings].sort() }).toEqual({
        key: person.key,
        packages: want?.names.size,
        open: want?.open,
        spellings: [...(want?.spellings ?? [])].sort(),
      });
    }
    for (let index = 1; index < listed.length; index += 1) {
      const [before, after] = [listed[index - 1]!, listed[index]!];
      expect(before.open > after.open || (before.open === after.open && before.name <= after.name), `${before.key} before ${after.key}`).toBe(true);
    }
    // The most exposed person is first and has open pairs in the demo data.
    expect(listed[0]?.open).toBe(Math.max(...[...expected.values()].map((person) => person.open)));
    expect(listed[0]?.open).toBeGreaterThan(0);
  });

  it('counts a package listed under two spellings of one person once, and names a person without e-mail by their text', async () => {
    const listed = await allMaintainers(web());
    const variant = listed.find((person) => person.spellings.some((text) => text.startsWith(VARIANT_NAME)));
    expect(variant?.spellings.length).toBeGreaterThanOrEqual(2);
    const expected = (await expectedPeople(web().store)).get(variant?.key ?? '');
    // Summing the spellings' own counts would count the shared package twice.
    const perSpelling = (await publishedPackages(web().store)).filter((entry) => variant?.spellings.includes(entry.maintainer ?? '')).length;
    expect(variant?.packages).toBe(expected?.names.size);
    expect(variant?.packages).toBeLessThan(perSpelling);
    const plain = listed.find((person) => person.key === NO_EMAIL);
    expect(plain).toMatchObject({ name: NO_EMAIL, email: null, packages: 1, url: `/maintainer/${encodeURIComponent(NO_EMAIL)}` });
    expect(listed.some((person) => person.key === 'gone@example.org')).toBe(false);
  });

  it('renders the list as HTML with one heading, a table with header cells and the pager', async () => {
    const first = await web().getJson<MaintainersJson>('/maintainers');
    const response = await web().get('/maintainers');
    expect(response.statusCode).toBe(200);
    expect(response.body.match(/<h1>/g)).toHaveLength(1);
    expect(response.body).toContain(`${first.total} maintainers, page 1 of ${first.pageCount}`);
    const top = first.maintainers[0]!;
    expect(response.body).toContain(`<a href="${maintainerPath(top.key)}">${top.name}</a>`);
    expect(response.body).toContain('<th scope="col" class="num">Open pairs</th>');
    expect(response.body).toContain('<a href="/maintainers?page=2" rel="next">');
    const second = await web().get('/maintainers?page=2');
    expect(second.body).toContain('<a href="/maintainers" rel="prev">');
  });

  it('describes the list in JSON-LD as a collection of maintainers', async () => {
    const first = await web().getJson<MaintainersJson>('/maintainers');
    const document = await web().getJson('/maintainers', 'application/ld+json');
    expect(document).toMatchObject({ id: `${TEST_BASE_URL}/maintainers`, type: 'Collection', totalItems: first.total, page: 1, next: `${TEST_BASE_URL}/maintainers?page=2` });
    const items = document['items'] as Record<string, unknown>[];
    expect(items.map((item) => item['id'])).toEqual(first.maintainers.map((person) => `${TEST_BASE_URL}${maintainerPath(person.key)}`));
    expect(items[0]).toMatchObject({ type: 'Maintainer', name: first.maintainers[0]?.name, packageCount: first.maintainers[0]?.packages, openCount: first.maintainers[0]?.open });
    const expanded = await jsonld.expand(document, { documentLoader: contextLoader(web()), safe: true });
    expect(expanded).toHaveLength(1);
    const second = await web().getJson('/maintainers?page=2', 'application/ld+json');
    expect(second).toMatchObject({ page: 2, previous: `${TEST_BASE_URL}/maintainers` });
    expect(second['next']).toBeUndefined();
  });

  it('answers 404 past the last page and 400 for bad parameters', async () => {
    const { pageCount } = await web().getJson<MaintainersJson>('/maintainers');
    expect((await web().get(`/maintainers?page=${pageCount + 1}`)).statusCode).toBe(404);
    expect((await web().get(`/api/maintainers?page=${pageCount + 1}`)).statusCode).toBe(404);
    for (const query of ['page=0', 'page=x']) {
      expect((await web().get(`/maintainers?${query}`)).statusCode, query).toBe(400);
    }
    for (const query of ['page=0', 'page=x', 'sort=name']) {
      expect((await web().get(`/api/maintainers?${query}`)).json<{ error: { status: number } }>().error.status, query).toBe(400);
    }
  });

  it('shows one maintainer with every package per branch and repository and its open pairs', async () => {
    const [top] = (await web().getJson<MaintainersJson>('/maintainers')).maintainers;
    const key = top?.key ?? '';
    const vulnerable = await pairsByPackage(web().store, 'vulnerable');
    const unknown = await pairsByPackage(web().store, 'unknown');
    const theirs = (await publishedPackages(web().store)).filter((entry) => entry.maintainer !== null && maintainerKey(entry.maintainer) === key);
    const pages = await getAllPages<MaintainerPageJson>(web(), maintainerPath(key));
    const first = pages[0];
    const listed = pages.flatMap((page) => page.packages);
    expect(first).toMatchObject({ key, name: top?.name, email: key, totalPackages: theirs.length, pageCount: Math.ceil(theirs.length / (first?.pageSize ?? 1)) });
    expect(listed.map((entry) => `${entry.branch}/${entry.repository}/${entry.name}`).sort()).toEqual(theirs.map((entry) => `${entry.branch}/${entry.repo}/${entry.name}`).sort());
    // Most open pairs first (no triage in the demo data: the vulnerable ones), then by name, then newest branch first.
    const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const order = (entry: MaintainerPageJson['packages'][number]) => ({ open: entry.open, name: entry.name, branch: entry.branch });
    const sorted = [...listed].sort((a, b) => b.vulnerable.length - a.vulnerable.length || text(a.name, b.name) || (a.branch === '3.17' ? -1 : 1));
    expect(listed.map(order)).toEqual(sorted.map(order));
    expect(listed.every((entry) => entry.open === entry.vulnerable.length)).toBe(true);
    expect(listed[0]!.open).toBeGreaterThan(0);
    const byPlace = new Map(theirs.map((entry) => [`${entry.branch}/${entry.repo}/${entry.name}`, entry.repositoryId]));
    for (const entry of listed) {
      const pairKey = `${byPlace.get(`${entry.branch}/${entry.repository}/${entry.name}`)}/${entry.name}`;
      expect(entry.vulnerable.map((pair) => pair.id).sort(), entry.name).toEqual([...(vulnerable.get(pairKey) ?? [])].sort());
      expect(entry.unknown.map((pair) => pair.id).sort(), entry.name).toEqual([...(unknown.get(pairKey) ?? [])].sort());
    }
    // The list's count of the person is their page's.
    expect(listed.reduce((sum, entry) => sum + entry.open, 0)).toBe(top?.open);
  });

  it('renders a maintainer page as HTML with CVE links, severities, the branch filter and the feed', async () => {
    const [top] = (await web().getJson<MaintainersJson>('/maintainers')).maintainers;
    const path = maintainerPath(top?.key ?? '');
    const page = await web().getJson<MaintainerPageJson>(path);
    const withPair = page.packages.find((entry) => entry.vulnerable.some((pair) => pair.severity !== null));
    const pair = withPair?.vulnerable.find((candidate) => candidate.severity !== null);
    expect(pair).toBeDefined();
    const response = await web().get(path);
    expect(response.statusCode).toBe(200);
    expect(response.body.match(/<h1>/g)).toHaveLength(1);
    expect(response.body).toContain(`<h1>Maintainer ${top?.name}</h1>`);
    expect(response.body).toContain(`<a href="/cve/${pair?.id}">${pair?.id}</a> <span class="badge severity-${pair?.severity?.toLowerCase()}">`);
    expect(response.body).toContain(`<link rel="alternate" type="application/atom+xml" href="${maintainerFeedPath(top?.key ?? '')}"`);
    expect(response.body).toContain('<label for="filter-branch">Branch');
    expect(response.body).toContain('<option value="3.16">3.16</option>');
    expect(response.body).toContain(`<a href="${path}?page=2" rel="next">`);
  });

  it('filters by branch, and answers 400 for an unknown branch and 404 for unknown people and pages', async () => {
    const [top] = (await web().getJson<MaintainersJson>('/maintainers')).maintainers;
    const key = top?.key ?? '';
    const in316 = (await publishedPackages(web().store)).filter((entry) => entry.branch === '3.16' && entry.maintainer !== null && maintainerKey(entry.maintainer) === key);
    const filtered = await web().getJson<MaintainerPageJson>(`${maintainerPath(key)}?branch=3.16`);
    expect(filtered.totalPackages).toBe(in316.length);
    expect(filtered.packages.every((entry) => entry.branch === '3.16')).toBe(true);
    expect(filtered.next).toBe(filtered.pageCount > 1 ? `${maintainerPath(key)}?branch=3.16&page=2` : null);
    expect((await web().getJson<MaintainerPageJson>(`${maintainerPath(key)}?branch=3.14`)).totalPackages).toBe(0);
    expect((await web().get(`${maintainerPath(key)}?branch=9.99`)).statusCode).toBe(400);
    expect((await web().get(`${maintainerPath(key)}?page=${filtered.pageCount + 1}&branch=3.16`)).statusCode).toBe(404);
    expect((await web().get(`/api${maintainerPath(key)}?bogus=1`)).statusCode).toBe(400);
    for (const accept of ['text/html', 'application/json', 'application/ld+json']) {
      expect((await web().get('/maintainer/nobody%40example.org', { accept })).statusCode, accept).toBe(404);
      // Someone whose only package left the index maintains nothing now.
      expect((await web().get('/maintainer/gone%40example.org', { accept })).statusCode, accept).toBe(404);
    }
    // A part of an address is not the address.
    expect((await web().get(`/maintainer/${encodeURIComponent(key.slice(1))}`)).statusCode).toBe(404);
  });

  it('finds people by either spelling key and without e-mail, and gives their JSON-LD', async () => {
    const plain = await web().getJson<MaintainerPageJson>(`/maintainer/${encodeURIComponent(NO_EMAIL)}`);
    expect(plain).toMatchObject({ key: NO_EMAIL, name: NO_EMAIL, email: null, totalPackages: 1 });
    expect(plain.packages.map((entry) => `${entry.branch}/${entry.repository}/${entry.name} ${entry.version}`)).toEqual(['3.16/main/plain-pkg 1.0-r0']);
    const variantKey = (await allMaintainers(web())).find((person) => person.spellings.some((text) => text.startsWith(VARIANT_NAME)))?.key ?? '';
    const variant = await web().getJson<MaintainerPageJson>(maintainerPath(variantKey));
    expect(variant.spellings.some((text) => text.startsWith(VARIANT_NAME))).toBe(true);
    const document = await web().getJson(maintainerPath(variantKey), 'application/ld+json');
    expect(document).toMatchObject({
      id: `${TEST_BASE_URL}${maintainerPath(variantKey)}`,
      type: 'Maintainer',
      email: variantKey,
      feed: `${TEST_BASE_URL}${maintainerFeedPath(variantKey)}`,
      totalItems: variant.totalPackages,
    });
    const versions = document['versions'] as Record<string, unknown>[];
    expect(versions).toHaveLength(variant.packages.length);
    expect(versions[0]).toMatchObject({ type: 'PackageVersion', packageName: variant.packages[0]?.name, version: variant.packages[0]?.version });
    await expect(jsonld.expand(document, { documentLoader: contextLoader(web()), safe: true })).resolves.toHaveLength(1);
  });

  it('reads each page in a fixed number of queries, filters and pages included', async () => {
    const [top] = (await web().getJson<MaintainersJson>('/maintainers')).maintainers;
    const path = maintainerPath(top?.key ?? '');
    for (const url of ['/maintainers', '/maintainers?page=2']) {
      for (const accept of ['text/html', 'application/json', 'application/ld+json']) expect(await countQueries(web(), url, accept), `${url} ${accept}`).toBe(4);
    }
    for (const url of [path, `${path}?branch=3.16`, `${path}?page=2`, `/maintainer/${encodeURIComponent(NO_EMAIL)}`]) {
      for (const accept of ['text/html', 'application/json', 'application/ld+json']) expect(await countQueries(web(), url, accept), `${url} ${accept}`).toBe(10);
    }
  });
});

describe.each(backends)('%s maintainer list after triage', (backend: Backend) => {
  const web = useWebFixture(backend, { contents: 'demo' }, { today: () => TODAY });

  it('counts open pairs, not computed vulnerable ones: a not-affected event takes its pair off the person', async () => {
    const ended = endedBranchNames(await listBranches(web().store.db), TODAY);
    const people = await allMaintainers(web());
    const top = people[0]!;
    expect(top.open).toBeGreaterThan(0);
    const pair = await web()
      .store.db.selectFrom('state as s')
      .innerJoin('repository as r', 'r.id', 's.repository_id')
      .innerJoin('branch as b', 'b.id', 'r.branch_id')
      .innerJoin('source_package as sp', (join) => join.onRef('sp.repository_id', '=', 's.repository_id').onRef('sp.name', '=', 's.package'))
      .select(['s.package', 's.vulnerability_id', 'b.name as branch'])
      .where('s.state', '=', 'vulnerable')
      .where('sp.maintainer', 'in', top.spellings)
      .where('b.name', 'not in', [...ended, ''])
      .orderBy('s.package')
      .orderBy('s.vulnerability_id')
      .executeTakeFirstOrThrow();
    await recordTriage(web().store, { packages: [pair.package], vulnerabilities: [pair.vulnerability_id], status: 'not-affected', justification: 'component-not-present', branches: [pair.branch] }, 'sec@example.org');
    const after = (await allMaintainers(web())).find((person) => person.key === top.key);
    expect(after?.open).toBe(top.open - 1);
  });
});
