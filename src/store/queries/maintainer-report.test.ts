import { beforeEach, describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import { indexedOrigin } from '../test-support/records.js';
import { ensureBranch, ensureRepository } from './branches.js';
import { listMaintainerPackageCounts, listMaintainersContaining, listPackageDetails, listScopePackages, listSharedPackageNames } from './maintainer-report.js';
import { replaceIndexSnapshot } from './packages.js';
import { type StateRecord, writeStates } from './states.js';

const T1 = '2024-01-01T00:00:00.000Z';
const T2 = '2024-01-02T00:00:00.000Z';
const JANE = 'Jane Doe <jane@example.org>';
const JANE_AGAIN = 'Jane Q. Doe <jane@example.org>';
const PERCENT = 'Mr 100% <percent@example.org>';

const origin = (name: string, version: string, maintainer: string | null, versionKey: string | null = null) => indexedOrigin(name, version, { maintainer, versionKey });

describe.each(backends)('%s maintainer report', (backend) => {
  const store = useTestStore(backend);
  let edgeMain: number;
  let old: number;

  const pair = (repositoryId: number, pkg: string, vulnerabilityId: string, state: StateRecord['state'], fixedVersion: string | null = null): StateRecord => ({
    repositoryId,
    package: pkg,
    vulnerabilityId,
    state,
    version: '1',
    fixedVersion,
    evidence: [],
  });

  /**
   * Two branches: edge/main has curl and zlib (Jane, spelled two ways), an orphan with empty
   * maintainer text, Mr 100%'s package, and a package whose only version left the index;
   * 3.9/main has curl (Jane) and an orphan without maintainer.
   */
  beforeEach(async () => {
    const { db } = store();
    edgeMain = await ensureRepository(db, await ensureBranch(db, 'edge'), 'main');
    old = await ensureRepository(db, await ensureBranch(db, '3.9'), 'main');
    await replaceIndexSnapshot(db, {
      repositoryId: edgeMain,
      arch: 'x86_64',
      at: T1,
      packages: [origin('curl', '8.4.0-r0', JANE), origin('zlib', '1.3-r0', JANE_AGAIN), origin('lonely', '2.0-r0', ''), origin('pct', '1-r0', PERCENT), origin('gone', '1-r0', 'Gone <gone@example.org>')],
    });
    await replaceIndexSnapshot(db, {
      repositoryId: edgeMain,
      arch: 'x86_64',
      at: T2,
      packages: [origin('curl', '8.4.0-r0', JANE), origin('zlib', '1.3-r0', JANE_AGAIN), origin('lonely', '2.0-r0', ''), origin('pct', '1-r0', PERCENT)],
    });
    // Two published versions of the orphan: the newer by version key wins.
    await replaceIndexSnapshot(db, {
      repositoryId: old,
      arch: 'x86_64',
      at: T1,
      packages: [origin('curl', '7.9-r0', JANE), origin('stray', '1.2-r0', null, '0001.0002')],
    });
    await replaceIndexSnapshot(db, {
      repositoryId: old,
      arch: 'aarch64',
      at: T1,
      packages: [origin('stray', '1.10-r0', null, '0001.0010')],
    });
    await db
      .insertInto('vulnerability')
      .values({ id: 'CVE-1', source: 'nvd', status: null, description: null, published: null, last_modified: null, cvss_score: 9.8, cvss_vector: null, cvss_version: null, severity: 'CRITICAL', cwes: '[]', aliases: '[]', kev: null, ssvc: null, configurations: '[]', reference_list: '[]', content_hash: 'x' })
      .execute();
    await writeStates(
      db,
      [
        pair(edgeMain, 'curl', 'CVE-1', 'vulnerable', '8.5.0-r0'),
        pair(edgeMain, 'curl', 'CVE-2', 'unknown'),
        pair(edgeMain, 'curl', 'CVE-3', 'fixed'),
        pair(edgeMain, 'zlib', 'CVE-4', 'vulnerable'),
        pair(edgeMain, 'lonely', 'CVE-5', 'vulnerable'),
        pair(edgeMain, 'gone', 'CVE-6', 'vulnerable'),
        pair(old, 'curl', 'CVE-1', 'vulnerable'),
        pair(old, 'stray', 'CVE-7', 'not-affected'),
      ],
      { cause: 'test' },
    );
  });

  it('counts the distinct published package names of each maintainer text', async () => {
    expect(await listMaintainerPackageCounts(store().db)).toEqual([
      { maintainer: JANE, packages: 1 },
      { maintainer: JANE_AGAIN, packages: 1 },
      { maintainer: PERCENT, packages: 1 },
    ]);
  });

  it('lists the published packages that several maintainer texts share, with each text', async () => {
    const { db } = store();
    expect(await listSharedPackageNames(db)).toEqual([]);
    // zlib under one spelling in 3.9 and the other in edge; curl gets a third text in 3.9.
    await replaceIndexSnapshot(db, { repositoryId: old, arch: 'x86_64', at: T2, packages: [origin('curl', '7.9-r0', PERCENT), origin('zlib', '1.2-r0', JANE)] });
    expect(await listSharedPackageNames(db)).toEqual([
      { maintainer: JANE, name: 'curl' },
      { maintainer: JANE, name: 'zlib' },
      { maintainer: JANE_AGAIN, name: 'zlib' },
      { maintainer: PERCENT, name: 'curl' },
    ]);
  });

  it('finds maintainer texts containing a text, with % and _ taken literally, published packages only', async () => {
    const { db } = store();
    expect(await listMaintainersContaining(db, 'jane@example.org')).toEqual([JANE, JANE_AGAIN]);
    expect(await listMaintainersContaining(db, '100%')).toEqual([PERCENT]);
    expect(await listMaintainersContaining(db, '%')).toEqual([PERCENT]);
    expect(await listMaintainersContaining(db, 'J_ne')).toEqual([]);
    expect(await listMaintainersContaining(db, 'gone@example.org')).toEqual([]);
  });

  it('lists one person\'s published packages, or the orphaned ones, per branch and repository', async () => {
    const { db } = store();
    const names = (rows: readonly { branch: string; repo: string; package: string }[]) => rows.map((row) => `${row.branch}/${row.repo}/${row.package}`);
    expect(names(await listScopePackages(db, { maintainers: [JANE, JANE_AGAIN] }))).toEqual(['3.9/main/curl', 'edge/main/curl', 'edge/main/zlib']);
    expect(names(await listScopePackages(db, { maintainers: [JANE] }, '3.9'))).toEqual(['3.9/main/curl']);
    expect(await listScopePackages(db, { maintainers: [] })).toEqual([]);
    // An empty text is no maintainer; a package whose every version is gone is nobody's concern.
    expect((await listScopePackages(db, { orphaned: true })).map(({ id: _id, ...rest }) => rest)).toEqual([
      { repositoryId: old, branch: '3.9', repo: 'main', package: 'stray', maintainer: null },
      { repositoryId: edgeMain, branch: 'edge', repo: 'main', package: 'lonely', maintainer: '' },
    ]);
  });

  it('gives packages by id their newest version and their pairs, vulnerable first', async () => {
    const { db } = store();
    const [curl] = await listScopePackages(db, { maintainers: [JANE] }, 'edge');
    const [stray] = await listScopePackages(db, { orphaned: true }, '3.9');
    const details = await listPackageDetails(db, [curl!.id, stray!.id]);
    expect(details.get(curl!.id)).toEqual({
      id: curl!.id,
      version: '8.4.0-r0',
      openPairs: [
        { vulnerabilityId: 'CVE-1', state: 'vulnerable', fixedVersion: '8.5.0-r0', severity: 'CRITICAL', cvssScore: 9.8 },
        { vulnerabilityId: 'CVE-2', state: 'unknown', fixedVersion: null, severity: null, cvssScore: null },
      ],
    });
    expect(details.get(stray!.id)).toEqual({ id: stray!.id, version: '1.10-r0', openPairs: [] });
    expect(await listPackageDetails(db, [])).toEqual(new Map());
  });
});
