import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { generateDataset } from '../bench/dataset.js';
import { populateStore } from '../bench/populate.js';
import { loadMappingRules } from '../sources/config.js';
import { type TestStore, backends } from '../test-support/databases.js';
import { maintainerKey } from './urls.js';
import { type WebFixture, useWebFixture } from './test-support/web-fixture.js';

/** A generated world several times the demo's size: 10 branches x 2 repositories x 300 packages, 4,000 CVEs. */
async function loadLargeData(store: TestStore): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'secfix-query-count-'));
  try {
    const manifest = await generateDataset(dir, { cves: 4_000, packagesPerRepo: 300, modifiedCves: 0, packageShare: 0.5, seed: 7 });
    const rules = await loadMappingRules();
    await populateStore(store, manifest, rules, async (_name, fn) => ({ result: await fn(), ms: 0, cpuSeconds: 0 }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The busiest resource of each kind in a database, so the large dataset shows its size on every page. */
async function busiestUrls(store: TestStore): Promise<Record<string, string>> {
  const top = async (column: 'vulnerability_id' | 'package') => {
    const row = await store.db
      .selectFrom('state')
      .select(column)
      .groupBy(column)
      .orderBy(sql`count(*)`, 'desc')
      .orderBy(column)
      .limit(1)
      .executeTakeFirstOrThrow();
    return String(row[column]);
  };
  const branch = await store.db
    .selectFrom('state as s')
    .innerJoin('repository as r', 'r.id', 's.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select('b.name')
    .groupBy('b.name')
    .orderBy(sql`count(*)`, 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  const maintainer = await store.db
    .selectFrom('source_package')
    .select('maintainer')
    .where('maintainer', 'is not', null)
    .groupBy('maintainer')
    .orderBy(sql`count(*)`, 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  const branchPath = `/branch/${encodeURIComponent(branch.name)}`;
  const name = await top('package');
  const maintainerPath = `/maintainer/${encodeURIComponent(maintainerKey(maintainer.maintainer!))}`;
  return {
    home: '/',
    branch: branchPath,
    'branch filtered': `${branchPath}?state=fixed&severity=medium&sort=age&page=2`,
    vulnerability: `/cve/${encodeURIComponent(await top('vulnerability_id'))}`,
    package: `/package/${encodeURIComponent(name)}`,
    maintainers: '/maintainers',
    maintainer: maintainerPath,
    orphans: '/orphans',
    changes: '/changes',
    quality: '/quality',
    search: '/search?q=a',
    'triage queue': '/triage',
    'branch feed': `${branchPath}/feed.atom`,
    'package feed': `/package/${encodeURIComponent(name)}/feed.atom`,
    'maintainer feed': `${maintainerPath}/feed.atom`,
    feed: '/feed.atom',
    audit: '/audit?package=' + encodeURIComponent(name),
    'audit feed': '/audit.atom',
    'my work': '/me',
  };
}

/** How many SQL statements each page costs (HTML and JSON), rendering from scratch. */
async function queryCounts(web: WebFixture): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [kind, url] of Object.entries(await busiestUrls(web.store))) {
    for (const accept of ['text/html', 'application/json']) {
      if (url.endsWith('.atom') && accept !== 'text/html') continue;
      const before = web.queries.count;
      const response = await web.get(url, { accept });
      expect(response.statusCode, `${url} (${accept})`).toBe(200);
      counts[`${kind} ${accept}`] = web.queries.count - before;
    }
  }
  return counts;
}

/**
 * Alpine's tracker runs 1,625 queries for one branch page; secfix runs a fixed few per page,
 * whatever the data size. The same pages on the demo data and on a much larger generated world
 * must cost the same number of queries, each a small number.
 */
describe.each(backends)('%s query counts', (backend) => {
  const small = useWebFixture(backend);
  const large = useWebFixture(backend, { contents: 'schema', seed: loadLargeData });

  it('are the same small numbers on a small and a large dataset', async () => {
    const smallCounts = await queryCounts(small());
    const largeCounts = await queryCounts(large());
    const stateCount = async (web: WebFixture) => Number((await web.store.db.selectFrom('state').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const smallStates = await stateCount(small());
    const largeStates = await stateCount(large());
    expect(largeStates).toBeGreaterThan(smallStates * 3);
    expect(largeCounts).toEqual(smallCounts);
    for (const [page, count] of Object.entries(smallCounts)) expect(count, page).toBeLessThanOrEqual(16);
  }, 300_000);
});
