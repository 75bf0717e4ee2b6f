import { beforeEach, describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import type { StateName } from '../schema.js';
import { vulnerabilityRecord } from '../test-support/records.js';
import {
  getBranch,
  listBranchPackages,
  listBranchPairs,
} from './branch-report.js';
import { ensureBranch, ensureRepository, setBranchArchs } from './branches.js';
import { type StateRecord, writeStates } from './states.js';
import { upsertVulnerabilities } from './vulnerabilities.js';

const AT = '2024-06-01T00:00:00.000Z';

const vulnerability = (id: string, severity: string | null, cvssScore: number | null, published: string | null) =>
  vulnerabilityRecord(id, { status: 'Analyzed', published, lastModified: published, cvssScore, severity });

/** What a page of packages shows, in order, as `repo/package:count`. */
const names = (page: Awaited<ReturnType<typeof listBranchPackages>>) =>
  page.packages.map((entry) => `${entry.repo}/${entry.package}:${entry.pairCount}`);

describe.each(backends)('%s branch report', (backend) => {
  const store = useTestStore(backend);
  let main: number;
  let community: number;
  type BranchPackagePageRequest = Parameters<typeof listBranchPackages>[1];
  const request = (overrides: Partial<BranchPackagePageRequest> = {}): BranchPackagePageRequest => ({
    repositoryIds: [main, community],
    state: 'vulnerable',
    sort: 'package',
    page: 1,
    pageSize: 10,
    ...overrides,
  });

  beforeEach(async () => {
    const { db } = store();
    const branch = await ensureBranch(db, '3.18', { endOfSupport: '2025-05-09' });
    main = await ensureRepository(db, branch, 'main');
    community = await ensureRepository(db, branch, 'community');
    await setBranchArchs(db, branch, ['x86_64', 'aarch64']);
    const other = await ensureRepository(db, await ensureBranch(db, '3.19'), 'main');
    await db
      .insertInto('source_package')
      .values([
        { repository_id: main, name: 'curl', maintainer: 'Jane Doe <jane_doe@example.org>' },
        { repository_id: main, name: 'zlib', maintainer: 'Build Team' },
        { repository_id: main, name: 'bind', maintainer: null },
        { repository_id: community, name: 'nginx', maintainer: '' },
        { repository_id: community, name: 'janexdoe', maintainer: 'J <janeXdoe@example.org>' },
      ])
      .execute();
    await upsertVulnerabilities(db, [
      vulnerability('CVE-1', 'CRITICAL', 9.8, '2023-01-01T00:00:00.000Z'),
      vulnerability('CVE-2', 'HIGH', 7.5, '2021-01-01T00:00:00.000Z'),
      vulnerability('CVE-3', 'MEDIUM', 5.0, '2022-01-01T00:00:00.000Z'),
      vulnerability('CVE-4', 'LOW', 2.0, null),
    ]);
    const state = (repositoryId: number, pkg: string, vulnerabilityId: string, name: StateName = 'vulnerable'): StateRecord => ({
      repositoryId,
      package: pkg,
      vulnerabilityId,
      state: name,
      version: '1.0-r0',
      fixedVersion: name === 'fixed' ? '1.1-r0' : null,
      evidence: [],
    });
    await writeStates(
      db,
      [
        state(main, 'curl', 'CVE-1'),
        state(main, 'curl', 'CVE-4'),
        state(main, 'zlib', 'CVE-2'),
        state(main, 'bind', 'CVE-3'),
        state(main, 'bind', 'CVE-9'),
        state(main, 'bind', 'CVE-4'),
        state(main, 'bind', 'CVE-2', 'fixed'),
        state(community, 'nginx', 'CVE-9'),
        state(community, 'janexdoe', 'CVE-3'),
        state(community, 'gone', 'CVE-1'),
        state(other, 'curl', 'CVE-2'),
      ],
      { cause: 'test', at: AT },
    );
  });

  it('reads one branch with its repositories and architectures, and nothing for an unknown one', async () => {
    const { db } = store();
    expect(await getBranch(db, '3.18')).toEqual({
      id: expect.any(Number) as number,
      name: '3.18',
      endOfSupport: '2025-05-09',
      archs: ['aarch64', 'x86_64'],
      repositories: [
        { id: community, name: 'community' },
        { id: main, name: 'main' },
      ],
    });
    expect(await getBranch(db, 'nope')).toBeUndefined();
  });

  it('lists the packages with matching pairs by name, with aggregates and the total over all pages', async () => {
    const { db } = store();
    const page = await listBranchPackages(db, request());
    expect(names(page)).toEqual(['main/bind:3', 'main/curl:2', 'community/gone:1', 'community/janexdoe:1', 'community/nginx:1', 'main/zlib:1']);
    expect(page.total).toBe(6);
    expect(page.packages[0]).toEqual({ repositoryId: main, repo: 'main', package: 'bind', indexed: true, maintainer: null, pairCount: 3 });
    expect(page.packages.find((entry) => entry.package === 'gone')?.indexed).toBe(false);
    expect(names(await listBranchPackages(db, request({ state: 'fixed' })))).toEqual(['main/bind:1']);
  });

  it('pages with LIMIT and OFFSET, keeping the total, and an empty page past the end', async () => {
    const { db } = store();
    const first = await listBranchPackages(db, request({ pageSize: 4 }));
    const second = await listBranchPackages(db, request({ pageSize: 4, page: 2 }));
    expect(names(first)).toHaveLength(4);
    expect(names(second)).toEqual(['community/nginx:1', 'main/zlib:1']);
    expect(second.total).toBe(6);
    expect(await listBranchPackages(db, request({ pageSize: 4, page: 3 }))).toEqual({ packages: [], total: 0 });
    expect(await listBranchPackages(db, request({ repositoryIds: [] }))).toEqual({ packages: [], total: 0 });
  });

  it('sorts by highest score, oldest publication and pair count, missing values last', async () => {
    const { db } = store();
    expect(names(await listBranchPackages(db, request({ sort: 'severity' })))).toEqual([
      'main/curl:2',
      'community/gone:1',
      'main/zlib:1',
      'main/bind:3',
      'community/janexdoe:1',
      'community/nginx:1',
    ]);
    expect(names(await listBranchPackages(db, request({ sort: 'age' })))).toEqual([
      'main/zlib:1',
      'main/bind:3',
      'community/janexdoe:1',
      'main/curl:2',
      'community/gone:1',
      'community/nginx:1',
    ]);
    expect(names(await listBranchPackages(db, request({ sort: 'count' })))).toEqual([
      'main/bind:3',
      'main/curl:2',
      'community/gone:1',
      'community/janexdoe:1',
      'community/nginx:1',
      'main/zlib:1',
    ]);
  });

  it('filters by repository and minimum severity, leaving out pairs without a severity', async () => {
    const { db } = store();
    expect(names(await listBranchPackages(db, request({ repositoryIds: [community] })))).toEqual(['community/gone:1', 'community/janexdoe:1', 'community/nginx:1']);
    expect(names(await listBranchPackages(db, request({ minimumSeverity: 'high' })))).toEqual(['main/curl:1', 'community/gone:1', 'main/zlib:1']);
    expect(names(await listBranchPackages(db, request({ minimumSeverity: 'low' })))).toEqual([
      'main/bind:2',
      'main/curl:2',
      'community/gone:1',
      'community/janexdoe:1',
      'main/zlib:1',
    ]);
  });

  it('filters by maintainer e-mail or whole text, taking LIKE wildcards literally, and by orphaned packages', async () => {
    const { db } = store();
    expect(names(await listBranchPackages(db, request({ maintainer: 'jane_doe@example.org' })))).toEqual(['main/curl:2']);
    expect(names(await listBranchPackages(db, request({ maintainer: 'Build Team' })))).toEqual(['main/zlib:1']);
    expect(names(await listBranchPackages(db, request({ maintainer: '%' })))).toEqual([]);
    expect(names(await listBranchPackages(db, request({ maintainer: 'jane' })))).toEqual([]);
    expect(names(await listBranchPackages(db, request({ orphaned: true })))).toEqual(['main/bind:3', 'community/nginx:1']);
  });

  it('lists the pairs of the given packages only, with the same filters, highest score first', async () => {
    const { db } = store();
    const pairs = await listBranchPairs(db, { repositoryIds: [main, community], state: 'vulnerable', minimumSeverity: 'medium' }, [
      { repositoryId: main, package: 'bind' },
      { repositoryId: main, package: 'curl' },
    ]);
    expect(pairs.map((pair) => `${pair.package}:${pair.vulnerabilityId}`)).toEqual(['bind:CVE-3', 'curl:CVE-1']);
    expect(pairs[1]).toEqual({
      repositoryId: main,
      package: 'curl',
      vulnerabilityId: 'CVE-1',
      state: 'vulnerable',
      version: '1.0-r0',
      fixedVersion: null,
      evidence: [],
      severity: 'CRITICAL',
      cvssScore: 9.8,
      published: '2023-01-01T00:00:00.000Z',
    });
    const all = await listBranchPairs(db, { repositoryIds: [main, community], state: 'vulnerable' }, [{ repositoryId: main, package: 'bind' }]);
    expect(all.map((pair) => pair.vulnerabilityId)).toEqual(['CVE-3', 'CVE-4', 'CVE-9']);
    const fixed = await listBranchPairs(db, { repositoryIds: [main, community], state: 'fixed' }, [{ repositoryId: main, package: 'bind' }]);
    expect(fixed.map((pair) => [pair.vulnerabilityId, pair.fixedVersion])).toEqual([['CVE-2', '1.1-r0']]);
    expect(await listBranchPairs(db, { repositoryIds: [main, community], state: 'vulnerable' }, [])).toEqual([]);
  });
});
