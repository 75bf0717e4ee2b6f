import { beforeEach, describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import { vulnerabilityRecord } from '../test-support/records.js';
import { ensureBranch, ensureRepository } from './branches.js';
import { type StateChangeRow, listLatestStateChanges, listStateChanges, stateChangeSubjectsExist } from './state-changes.js';
import { type StateRecord, deleteStates, writeStates } from './states.js';
import { upsertVulnerabilities } from './vulnerabilities.js';

const T1 = '2024-01-01T00:00:00.000Z';
const T2 = '2024-01-02T00:00:00.000Z';
const T3 = '2024-01-03T00:00:00.000Z';
/** How much of a description a state change carries. */
const DESCRIPTION_SHOWN = 300;
const LONG_DESCRIPTION = `Heap overflow in busybox awk. ${'x'.repeat(400)}`;

describe.each(backends)('%s state changes', (backend) => {
  const store = useTestStore(backend);
  let main316: number;
  let community316: number;
  let mainEdge: number;

  const record = (repositoryId: number, pkg: string, vulnerabilityId: string, state: StateRecord['state']): StateRecord => ({
    repositoryId,
    package: pkg,
    vulnerabilityId,
    state,
    version: '1.0-r0',
    fixedVersion: null,
    evidence: [],
  });

  beforeEach(async () => {
    const { db } = store();
    const v316 = await ensureBranch(db, '3.16');
    main316 = await ensureRepository(db, v316, 'main');
    community316 = await ensureRepository(db, v316, 'community');
    mainEdge = await ensureRepository(db, await ensureBranch(db, 'edge'), 'main');
    await db
      .insertInto('source_package')
      .values([
        { repository_id: main316, name: 'busybox', maintainer: 'Natanael Copa <ncopa@alpinelinux.org>' },
        { repository_id: main316, name: 'curl', maintainer: 'Shouting Copa <NCOPA@alpinelinux.org>' },
        { repository_id: main316, name: 'zlib', maintainer: '  Plain Name  ' },
        { repository_id: main316, name: 'quiet', maintainer: 'Natanael Copa <ncopa@alpinelinux.org>' },
        { repository_id: mainEdge, name: 'busybox', maintainer: 'Other <other@example.org>' },
      ])
      .execute();
    await upsertVulnerabilities(db, [vulnerabilityRecord('CVE-2023-42366', { description: LONG_DESCRIPTION, cvssScore: 5.5, severity: 'MEDIUM' })]);
    await writeStates(db, [record(main316, 'busybox', 'CVE-2023-42366', 'unknown'), record(main316, 'zlib', 'CVE-2022-37434', 'fixed')], { cause: 'sync', at: T1 });
    await writeStates(db, [record(main316, 'busybox', 'CVE-2023-42366', 'vulnerable'), record(main316, 'curl', 'GHSA-xxxx', 'fixed')], { cause: 'update', at: T2 });
    await writeStates(db, [record(mainEdge, 'busybox', 'CVE-2023-42366', 'vulnerable'), record(community316, 'nginx', 'CVE-2023-44487', 'unknown')], { cause: 'update', at: T3 });
    await deleteStates(db, [{ repositoryId: main316, package: 'curl', vulnerabilityId: 'GHSA-xxxx' }], { cause: 'import secdb', at: T3 });
  });

  const summary = (rows: readonly StateChangeRow[]) => rows.map((row) => `${row.changedAt.slice(8, 10)} ${row.branch}/${row.repo} ${row.package} ${row.vulnerabilityId} ${row.oldState}>${row.newState}`);

  it('lists every change newest first, ties in reverse write order, with names, maintainer and vulnerability', async () => {
    const { db } = store();
    const rows = await listStateChanges(db, {}, { limit: 100 });
    expect(summary(rows)).toEqual([
      '03 3.16/main curl GHSA-xxxx fixed>null',
      '03 3.16/community nginx CVE-2023-44487 null>unknown',
      '03 edge/main busybox CVE-2023-42366 null>vulnerable',
      '02 3.16/main curl GHSA-xxxx null>fixed',
      '02 3.16/main busybox CVE-2023-42366 unknown>vulnerable',
      '01 3.16/main zlib CVE-2022-37434 null>fixed',
      '01 3.16/main busybox CVE-2023-42366 null>unknown',
    ]);
    expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
    const busybox = rows[4] as StateChangeRow;
    expect(busybox).toEqual({
      id: expect.any(Number) as number,
      branch: '3.16',
      repo: 'main',
      package: 'busybox',
      vulnerabilityId: 'CVE-2023-42366',
      oldState: 'unknown',
      newState: 'vulnerable',
      changedAt: T2,
      cause: 'update',
      maintainer: 'Natanael Copa <ncopa@alpinelinux.org>',
      severity: 'MEDIUM',
      cvssScore: 5.5,
      description: LONG_DESCRIPTION.slice(0, DESCRIPTION_SHOWN),
      descriptionTruncated: true,
    });
    // No vulnerability record and no index entry: the joined fields are null, the change is still listed.
    expect(rows[1]).toMatchObject({ maintainer: null, severity: null, cvssScore: null, description: null, descriptionTruncated: false });
  });

  it('gives the latest change of each pair into the states asked for: for a pair now in one of them, since when it has been', async () => {
    const since = async (states: Parameters<typeof listLatestStateChanges>[2]) =>
      (await listLatestStateChanges(store().db, ['busybox', 'zlib', 'curl'], states)).map((row) => `${row.changedAt.slice(8, 10)} ${row.branch} ${row.package}`).sort();
    expect(await since(['vulnerable'])).toEqual(['02 3.16 busybox', '03 edge busybox']);
    // busybox on 3.16 was unknown first: asked for, that change is its latest into unknown.
    expect(await since(['unknown', 'fixed'])).toEqual(['01 3.16 busybox', '01 3.16 zlib', '02 3.16 curl']);
    // curl's state was removed on the 3rd.
    expect(await since([null])).toEqual(['03 3.16 curl']);
    expect(await since([])).toEqual([]);
  });

  it('pages with limit and offset', async () => {
    const { db } = store();
    const all = await listStateChanges(db, {}, { limit: 100 });
    expect(await listStateChanges(db, {}, { limit: 3 })).toEqual(all.slice(0, 3));
    expect(await listStateChanges(db, {}, { limit: 3, offset: 3 })).toEqual(all.slice(3, 6));
    expect(await listStateChanges(db, {}, { limit: 3, offset: 6 })).toEqual(all.slice(6));
  });

  it('filters by branch, package and new state', async () => {
    const { db } = store();
    expect(summary(await listStateChanges(db, { branch: 'edge' }, { limit: 100 }))).toEqual(['03 edge/main busybox CVE-2023-42366 null>vulnerable']);
    expect(summary(await listStateChanges(db, { package: 'busybox' }, { limit: 100 }))).toEqual([
      '03 edge/main busybox CVE-2023-42366 null>vulnerable',
      '02 3.16/main busybox CVE-2023-42366 unknown>vulnerable',
      '01 3.16/main busybox CVE-2023-42366 null>unknown',
    ]);
    expect(summary(await listStateChanges(db, { package: 'busybox', branch: '3.16', newState: 'vulnerable' }, { limit: 100 }))).toEqual([
      '02 3.16/main busybox CVE-2023-42366 unknown>vulnerable',
    ]);
    expect(await listStateChanges(db, { branch: 'nonexistent' }, { limit: 100 })).toEqual([]);
  });

  it('filters by maintainer key: the bracketed e-mail exactly, else the whole trimmed text', async () => {
    const { db } = store();
    const byKey = async (maintainerKey: string) => summary(await listStateChanges(db, { maintainerKey }, { limit: 100 }));
    expect(await byKey('ncopa@alpinelinux.org')).toEqual(['02 3.16/main busybox CVE-2023-42366 unknown>vulnerable', '01 3.16/main busybox CVE-2023-42366 null>unknown']);
    expect(await byKey('NCOPA@alpinelinux.org')).toEqual(['03 3.16/main curl GHSA-xxxx fixed>null', '02 3.16/main curl GHSA-xxxx null>fixed']);
    expect(await byKey('other@example.org')).toEqual(['03 edge/main busybox CVE-2023-42366 null>vulnerable']);
    expect(await byKey('Plain Name')).toEqual(['01 3.16/main zlib CVE-2022-37434 null>fixed']);
    expect(await byKey('alpinelinux.org')).toEqual([]);
    // A text with an e-mail is named by the e-mail alone.
    expect(await byKey('Natanael Copa <ncopa@alpinelinux.org>')).toEqual([]);
  });

  it('tells whether the named branch, package and maintainer exist, with or without changes', async () => {
    const { db } = store();
    expect(await stateChangeSubjectsExist(db, {})).toBe(true);
    expect(await stateChangeSubjectsExist(db, { branch: 'edge' })).toBe(true);
    expect(await stateChangeSubjectsExist(db, { branch: '9.99' })).toBe(false);
    expect(await stateChangeSubjectsExist(db, { package: 'quiet' })).toBe(true);
    expect(await stateChangeSubjectsExist(db, { package: 'nothing-here' })).toBe(false);
    expect(await stateChangeSubjectsExist(db, { maintainerKey: 'ncopa@alpinelinux.org' })).toBe(true);
    expect(await stateChangeSubjectsExist(db, { maintainerKey: 'Plain Name' })).toBe(true);
    expect(await stateChangeSubjectsExist(db, { maintainerKey: 'nobody@example.org' })).toBe(false);
    expect(await stateChangeSubjectsExist(db, { maintainerKey: 'Natanael Copa <ncopa@alpinelinux.org>' })).toBe(false);
    expect(await stateChangeSubjectsExist(db, { branch: 'edge', package: 'zlib' })).toBe(true);
    expect(await stateChangeSubjectsExist(db, { branch: 'edge', package: 'nothing-here' })).toBe(false);
  });
});
