import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { type Backend, type TestStore, backends } from '../../test-support/databases.js';
import { compareBranchNames } from '../branch-order.js';
import { TEST_BASE_URL, type WebFixture, contextLoader, getAllPages, useWebFixture } from '../test-support/web-fixture.js';
import { packageVersionId } from '../urls.js';

interface OrphanJson {
  readonly branch: string;
  readonly repository: string;
  readonly name: string;
  readonly url: string;
  readonly version: string;
  readonly open: number;
  readonly vulnerable: number;
}
interface OrphansJson {
  readonly branch: string | null;
  readonly page: number;
  readonly pageCount: number;
  readonly pageSize: number;
  readonly total: number;
  readonly next: string | null;
  readonly previous: string | null;
  readonly packages: readonly OrphanJson[];
}

/** Adds a source package with versions (the first listed is the newest by version key) to a branch's repository. */
async function addPackage(store: TestStore, branch: string, name: string, maintainer: string | null, versions: readonly { version: string; key: string | null; removed?: boolean }[]): Promise<void> {
  const repository = await store.db
    .selectFrom('repository as r')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select('r.id')
    .where('b.name', '=', branch)
    .where('r.name', '=', 'main')
    .executeTakeFirstOrThrow();
  const sourcePackage = await store.db.insertInto('source_package').values({ repository_id: repository.id, name, maintainer }).returning('id').executeTakeFirstOrThrow();
  const now = new Date().toISOString();
  await store.db
    .insertInto('package_version')
    .values(
      versions.map(({ version, key, removed }) => ({
        source_package_id: sourcePackage.id,
        version,
        version_key: key,
        first_seen: now,
        last_seen: now,
        removed_at: removed === true ? now : null,
        maintainer,
        build_time: null,
        commit: null,
      })),
    )
    .execute();
}

/**
 * The demo data plus an orphan whose maintainer is empty text and which publishes two versions,
 * and one whose only version left the index; the demo's own orphans fill more than one page.
 */
async function seedOrphans(store: TestStore): Promise<void> {
  await addPackage(store, '3.16', 'empty-maintainer-pkg', '', [
    { version: '1.2-r0', key: '0001.0002' },
    { version: '1.10-r0', key: '0001.0010' },
    { version: '0.9-r0', key: null },
  ]);
  await addPackage(store, '3.16', 'gone-orphan', null, [{ version: '1.0-r0', key: null, removed: true }]);
}

interface ExpectedOrphan {
  readonly branch: string;
  readonly repo: string;
  readonly name: string;
  readonly vulnerable: number;
}

/** The published packages without a maintainer with their vulnerable pairs, from the store, in page order. */
async function expectedOrphans(store: TestStore): Promise<ExpectedOrphan[]> {
  const rows = await store.db
    .selectFrom('source_package as sp')
    .innerJoin('repository as r', 'r.id', 'sp.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select(['sp.repository_id', 'b.name as branch', 'r.name as repo', 'sp.name'])
    .where((eb) => eb.or([eb('sp.maintainer', 'is', null), eb('sp.maintainer', '=', '')]))
    .where((eb) => eb.exists(eb.selectFrom('package_version as pv').select('pv.id').whereRef('pv.source_package_id', '=', 'sp.id').where('pv.removed_at', 'is', null)))
    .execute();
  const vulnerable = await store.db.selectFrom('state').select(['repository_id', 'package']).where('state', '=', 'vulnerable').execute();
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return rows
    .map((row) => ({
      branch: row.branch,
      repo: row.repo,
      name: row.name,
      vulnerable: vulnerable.filter((pair) => pair.repository_id === row.repository_id && pair.package === row.name).length,
    }))
    // No triage in the demo data: every vulnerable pair is open. Most open first, then by name.
    .sort((a, b) => b.vulnerable - a.vulnerable || text(a.name, b.name) || compareBranchNames(a.branch, b.branch) || text(a.repo, b.repo));
}

/** Every page of a list, following `next`. */
async function allOrphans(web: WebFixture, url: string): Promise<OrphanJson[]> {
  return (await getAllPages<OrphansJson>(web, url)).flatMap((page) => page.packages);
}

describe.each(backends)('%s orphans page', (backend: Backend) => {
  const web = useWebFixture(backend, { contents: 'demo', seed: seedOrphans });

  it('lists every published package without a maintainer, most open pairs first, with its vulnerable pairs, over pages', async () => {
    const expected = await expectedOrphans(web().store);
    const first = await web().getJson<OrphansJson>('/orphans');
    expect(first).toMatchObject({ branch: null, page: 1, total: expected.length, pageCount: Math.ceil(expected.length / first.pageSize), previous: null, next: '/orphans?page=2' });
    expect(first.pageCount).toBeGreaterThan(1);
    const listed = await allOrphans(web(), '/orphans');
    expect(listed.map(({ branch, repository, name, vulnerable }) => ({ branch, repo: repository, name, vulnerable }))).toEqual(expected);
    expect(listed.every((entry) => entry.open === entry.vulnerable)).toBe(true);
    // Empty text counts as no maintainer; a package gone from the index is nobody's concern.
    expect(listed.some((entry) => entry.name === 'empty-maintainer-pkg')).toBe(true);
    expect(listed.some((entry) => entry.name === 'gone-orphan')).toBe(false);
    expect(expected.some((entry) => entry.vulnerable > 0)).toBe(true);
  });

  it('shows the newest published version by version key', async () => {
    const listed = await allOrphans(web(), '/orphans?branch=3.16');
    expect(listed.find((entry) => entry.name === 'empty-maintainer-pkg')?.version).toBe('1.10-r0');
    const published = await web()
      .store.db.selectFrom('package_version as pv')
      .innerJoin('source_package as sp', 'sp.id', 'pv.source_package_id')
      .innerJoin('repository as r', 'r.id', 'sp.repository_id')
      .innerJoin('branch as b', 'b.id', 'r.branch_id')
      .select(['b.name as branch', 'r.name as repo', 'sp.name', 'pv.version'])
      .where('pv.removed_at', 'is', null)
      .execute();
    for (const entry of listed.filter((orphan) => orphan.name !== 'empty-maintainer-pkg')) {
      // The demo's indexes publish one version per package.
      expect(published.filter((row) => row.branch === entry.branch && row.repo === entry.repository && row.name === entry.name).map((row) => row.version)).toEqual([entry.version]);
    }
  });

  it('filters by branch and answers 400 for an unknown branch or parameter and 404 past the last page', async () => {
    const expected = (await expectedOrphans(web().store)).filter((entry) => entry.branch === '3.17');
    const filtered = await web().getJson<OrphansJson>('/orphans?branch=3.17');
    expect(filtered.total).toBe(expected.length);
    expect((await allOrphans(web(), '/orphans?branch=3.17')).map((entry) => entry.name)).toEqual(expected.map((entry) => entry.name));
    expect((await web().getJson<OrphansJson>('/orphans?branch=3.14')).total).toBe(0);
    for (const accept of ['text/html', 'application/json', 'application/ld+json']) {
      expect((await web().get('/orphans?branch=9.99', { accept })).statusCode, accept).toBe(400);
      expect((await web().get('/orphans?page=99', { accept })).statusCode, accept).toBe(404);
    }
    expect((await web().get('/orphans?page=0')).statusCode).toBe(400);
    expect((await web().get('/api/orphans?repo=main')).statusCode).toBe(400);
  });

  it('renders HTML with one heading, the filter form, a table and the pager', async () => {
    const [first] = await expectedOrphans(web().store);
    const response = await web().get('/orphans');
    expect(response.statusCode).toBe(200);
    expect(response.body.match(/<h1>/g)).toHaveLength(1);
    expect(response.body).toContain('<label for="filter-branch">Branch');
    expect(response.body).toContain(`<th scope="row"><a href="/package/${first?.name}">${first?.name}</a></th>`);
    expect(response.body).toContain('<a href="/orphans?page=2" rel="next">');
    const filtered = await web().get('/orphans?branch=3.16');
    expect(filtered.body).toContain('<h1>Orphaned packages in 3.16</h1>');
    expect(filtered.body).toContain('<option value="3.16" selected>3.16</option>');
  });

  it('describes a page in JSON-LD as a collection of package versions', async () => {
    const first = await web().getJson<OrphansJson>('/orphans?branch=3.16');
    const document = await web().getJson('/orphans?branch=3.16', 'application/ld+json');
    expect(document).toMatchObject({ id: `${TEST_BASE_URL}/orphans?branch=3.16`, type: 'Collection', branch: `${TEST_BASE_URL}/branch/3.16`, totalItems: first.total, page: 1 });
    const items = document['items'] as Record<string, unknown>[];
    const entry = first.packages[0];
    expect(items[0]).toMatchObject({
      id: `${TEST_BASE_URL}${packageVersionId(entry?.name ?? '', entry?.branch ?? '', entry?.repository ?? '', entry?.version ?? '')}`,
      type: 'PackageVersion',
      orphaned: true,
      vulnerableCount: entry?.vulnerable,
    });
    await expect(jsonld.expand(document, { documentLoader: contextLoader(web()), safe: true })).resolves.toHaveLength(1);
  });

  it('reads a page in nine queries (the data version among them), with or without filter and page', async () => {
    for (const url of ['/orphans', '/orphans?branch=3.16', '/orphans?page=2']) {
      for (const accept of ['text/html', 'application/json', 'application/ld+json']) {
        const before = web().queries.count;
        expect((await web().get(url, { accept })).statusCode).toBe(200);
        expect(web().queries.count - before, `${url} ${accept}`).toBe(9);
      }
    }
  });
});
