import { beforeEach, describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import { indexedOrigin, vulnerabilityRecord } from '../test-support/records.js';
import { ensureBranch, ensureRepository } from './branches.js';
import { countPackageStates, listPackageSecfixes, listPackageStatesOf, listPackageVersions, listPackageVulnerabilityIds, listVulnerabilityDates } from './package-report.js';
import { replaceIndexSnapshot } from './packages.js';
import { replaceSecfixes } from './secfixes.js';
import { type StateRecord, writeStates } from './states.js';
import { upsertVulnerabilities } from './vulnerabilities.js';

const DAY1 = '2023-10-01T00:00:00.000Z';
const DAY2 = '2023-10-02T00:00:00.000Z';
const DAY3 = '2023-10-03T00:00:00.000Z';
const NCOPA = 'Natanael Copa <ncopa@alpinelinux.org>';
const KACPER = 'Kacper <kacper@example.org>';

const origin = (name: string, version: string, maintainer = NCOPA) => indexedOrigin(name, version, { maintainer });

const record = (id: string, published: string | null, severity: string | null) =>
  vulnerabilityRecord(id, { status: 'Analyzed', published, lastModified: published, cvssScore: severity === null ? null : 7.5, severity });

describe.each(backends)('%s package report', (backend) => {
  const store = useTestStore(backend);
  let stable: number;
  let edge: number;
  beforeEach(async () => {
    const { db } = store();
    stable = await ensureRepository(db, await ensureBranch(db, '3.18'), 'main');
    edge = await ensureRepository(db, await ensureBranch(db, 'edge'), 'main');
  });

  const state = (repositoryId: number, pkg: string, vulnerabilityId: string, name: StateRecord['state'], fixedVersion: string | null = null): StateRecord => ({
    repositoryId,
    package: pkg,
    vulnerabilityId,
    state: name,
    version: '8.5.0-r0',
    fixedVersion,
    evidence: [],
  });

  it('lists published versions and the newest removed ones per repository, with the count of all removed', async () => {
    const { db } = store();
    await replaceIndexSnapshot(db, { repositoryId: stable, arch: 'x86_64', packages: [origin('curl', '8.3.0-r0'), origin('zlib', '1.3-r0')], at: DAY1 });
    await replaceIndexSnapshot(db, { repositoryId: stable, arch: 'x86_64', packages: [origin('curl', '8.4.0-r0'), origin('zlib', '1.3-r0')], at: DAY2 });
    await replaceIndexSnapshot(db, { repositoryId: stable, arch: 'x86_64', packages: [origin('curl', '8.5.0-r0', KACPER)], at: DAY3 });
    await replaceIndexSnapshot(db, { repositoryId: edge, arch: 'x86_64', packages: [origin('curl', '8.6.0-r0')], at: DAY3 });

    const rows = await listPackageVersions(db, 'curl', 1);
    expect(rows.map((row) => [row.branch, row.repo, row.version, row.removedAt, row.removedCount])).toEqual([
      ['3.18', 'main', '8.5.0-r0', null, 2],
      ['3.18', 'main', '8.4.0-r0', DAY3, 2],
      ['edge', 'main', '8.6.0-r0', null, 0],
    ]);
    // The origin's maintainer is the index's newest; each version keeps the one its entry named.
    expect(rows[1]).toMatchObject({ maintainer: KACPER, versionMaintainer: NCOPA, firstSeen: DAY2, lastSeen: DAY2 });
    expect((await listPackageVersions(db, 'curl', 5)).map((row) => row.version)).toEqual(['8.5.0-r0', '8.4.0-r0', '8.3.0-r0', '8.6.0-r0']);
    expect(await listPackageVersions(db, 'nothing', 5)).toEqual([]);
  });

  it('lists the secfixes of one package in every repository, in stored order', async () => {
    const { db } = store();
    await replaceSecfixes(db, { repositoryId: stable, source: 'secdb' }, [
      { package: 'curl', version: '8.4.0-r0', vulnerabilityId: 'CVE-2023-38545', note: null },
      { package: 'zlib', version: '0', vulnerabilityId: 'CVE-2023-45853', note: null },
      { package: 'curl', version: '0', vulnerabilityId: 'CVE-2023-32001', note: 'not built with it' },
    ], null);
    await replaceSecfixes(db, { repositoryId: edge, source: 'aports' }, [
      { package: 'curl', version: '8.4.0-r0', vulnerabilityId: 'CVE-2023-38545', note: null },
    ], null);
    expect(await listPackageSecfixes(db, 'curl')).toEqual([
      { branch: '3.18', repo: 'main', version: '8.4.0-r0', vulnerabilityId: 'CVE-2023-38545', note: null, source: 'secdb' },
      { branch: '3.18', repo: 'main', version: '0', vulnerabilityId: 'CVE-2023-32001', note: 'not built with it', source: 'secdb' },
      { branch: 'edge', repo: 'main', version: '8.4.0-r0', vulnerabilityId: 'CVE-2023-38545', note: null, source: 'aports' },
    ]);
  });

  it('counts states per repository and vulnerabilities with a state, and pages the vulnerabilities newest first', async () => {
    const { db } = store();
    await upsertVulnerabilities(db, [record('CVE-2023-38545', '2023-10-18T04:15:11.077Z', 'CRITICAL'), record('CVE-2021-22945', '2021-09-23T13:15:00.000Z', 'HIGH')]);
    await writeStates(db, [
      state(stable, 'curl', 'CVE-2023-38545', 'vulnerable', '8.4.0-r0'),
      state(stable, 'curl', 'CVE-2021-22945', 'fixed', '7.79.0-r0'),
      state(stable, 'curl', 'ALPINE-1', 'unknown'),
      state(edge, 'curl', 'CVE-2023-38545', 'fixed', '8.4.0-r0'),
      state(edge, 'zlib', 'CVE-2023-38545', 'vulnerable'),
    ], { cause: 'test', at: DAY1 });

    expect(await countPackageStates(db, 'curl')).toEqual([
      { branch: '3.18', repo: 'main', state: 'fixed', count: 1 },
      { branch: '3.18', repo: 'main', state: 'unknown', count: 1 },
      { branch: '3.18', repo: 'main', state: 'vulnerable', count: 1 },
      { branch: 'edge', repo: 'main', state: 'fixed', count: 1 },
    ]);
    expect((await listPackageVulnerabilityIds(db, 'curl')).sort()).toEqual(['ALPINE-1', 'CVE-2021-22945', 'CVE-2023-38545']);
    expect((await listPackageVulnerabilityIds(db, 'curl', 'fixed')).sort()).toEqual(['CVE-2021-22945', 'CVE-2023-38545']);
    expect(await listPackageVulnerabilityIds(db, 'curl', 'rejected')).toEqual([]);
    // Only the dated records, by id, a slice at a time: ALPINE-1 has none.
    expect(await listVulnerabilityDates(db, undefined, 1)).toEqual([{ id: 'CVE-2021-22945', published: '2021-09-23T13:15:00.000Z' }]);
    expect((await listVulnerabilityDates(db, 'CVE-2021-22945', 10)).map((row) => row.id)).toEqual(['CVE-2023-38545']);
    expect(await listVulnerabilityDates(db, 'CVE-2023-38545', 10)).toEqual([]);

    // Every state of the asked vulnerabilities, in every repository, of this package only.
    const page = await listPackageStatesOf(db, 'curl', ['CVE-2023-38545', 'ALPINE-1']);
    expect(page.map((row) => [row.vulnerabilityId, row.branch, row.state]).sort()).toEqual([
      ['ALPINE-1', '3.18', 'unknown'],
      ['CVE-2023-38545', '3.18', 'vulnerable'],
      ['CVE-2023-38545', 'edge', 'fixed'],
    ]);
    expect(page.find((row) => row.vulnerabilityId === 'CVE-2023-38545' && row.branch === '3.18')).toMatchObject({
      severity: 'CRITICAL',
      cvssScore: 7.5,
      fixedVersion: '8.4.0-r0',
      version: '8.5.0-r0',
      updatedAt: DAY1,
      published: '2023-10-18T04:15:11.077Z',
    });
    expect(await listPackageStatesOf(db, 'curl', [])).toEqual([]);
  });
});
