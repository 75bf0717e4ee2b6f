import { beforeEach, describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import { indexedOrigin } from '../test-support/records.js';
import { ensureBranch, ensureRepository } from './branches.js';
import { replaceIndexSnapshot } from './packages.js';
import { replaceRejections } from './rejections.js';
import { foldAscii, searchPackages, searchVulnerabilities } from './search.js';
import { replaceSecfixes } from './secfixes.js';

const origin = (name: string) => indexedOrigin(name, '1-r0');

describe.each(backends)('%s search queries', (backend) => {
  const store = useTestStore(backend);

  beforeEach(async () => {
    const { db } = store();
    const repositoryId = await ensureRepository(db, await ensureBranch(db, 'edge'), 'main');
    await replaceIndexSnapshot(db, { repositoryId, arch: 'x86_64', packages: ['curl', 'curl-extra', 'libcurl', 'Curl', 'py3_x', 'py3-y'].map(origin) });
    const record = (id: string, description: string | null) => ({
      id,
      source: 'nvd',
      status: null,
      description,
      published: '2023-01-01T00:00:00.000Z',
      last_modified: null,
      cvss_score: 7.5,
      cvss_vector: null,
      cvss_version: null,
      severity: 'HIGH',
      cwes: '[]',
      aliases: '[]',
      kev: null,
      ssvc: null,
      configurations: '[]',
      reference_list: '[]',
      content_hash: id,
    });
    await db
      .insertInto('vulnerability')
      .values([record('CVE-2023-1000', 'A Heap overflow in curl.'), record('CVE-2023-10000', 'Uses 100% CPU.'), record('CVE-2022-5', 'Not_this one.')])
      .execute();
    // Ids with no feed record still have pages: from secfixes (a package only secdb knows, too) and rejections.
    await replaceSecfixes(db, { repositoryId, source: 'secdb' }, [{ package: 'oldcurl', version: '1-r1', vulnerabilityId: 'GHSA-abcd-efgh-ijkl', note: null }], null);
    await replaceRejections(db, 'test', [{ package: 'curl', vulnerabilityId: 'CVE-2023-1', branches: null, justification: null, rationale: null, author: null, createdAt: '2024-01-01T00:00:00.000Z' }]);
  });

  it('finds vulnerabilities by id start and description text, ignoring ASCII case, exact id first then newest id', async () => {
    const { db } = store();
    const ids = async (text: string, limit = 10) => (await searchVulnerabilities(db, text, limit)).map((hit) => hit.id);
    expect(await ids('cve-2023-1')).toEqual(['CVE-2023-1', 'CVE-2023-10000', 'CVE-2023-1000']);
    expect(await ids('cve-2023-1', 2)).toEqual(['CVE-2023-1', 'CVE-2023-10000']);
    expect(await ids('HEAP OVERFLOW')).toEqual(['CVE-2023-1000']);
    expect(await ids('ghsa-ABCD')).toEqual(['GHSA-abcd-efgh-ijkl']);
    expect(await ids('2023')).toEqual([]);
    expect(await ids('100%')).toEqual(['CVE-2023-10000']);
    expect(await ids('%')).toEqual(['CVE-2023-10000']);
    expect(await ids('n_t')).toEqual([]);
    expect(await ids('t_this')).toEqual(['CVE-2022-5']);
    expect((await searchVulnerabilities(db, 'cve-2023-1000', 10))[0]).toEqual({
      id: 'CVE-2023-1000',
      description: 'A Heap overflow in curl.',
      severity: 'HIGH',
      cvssScore: 7.5,
      published: '2023-01-01T00:00:00.000Z',
    });
    expect((await searchVulnerabilities(db, 'CVE-2023-1', 10))[0]).toMatchObject({ id: 'CVE-2023-1', description: null, severity: null });
  });

  it('finds package names containing the text from indexes and secfixes: exact, then equal but for case, then shortest', async () => {
    const { db } = store();
    expect(await searchPackages(db, 'curl', 10)).toEqual(['curl', 'Curl', 'libcurl', 'oldcurl', 'curl-extra']);
    expect(await searchPackages(db, 'CURL', 10)).toEqual(['Curl', 'curl', 'libcurl', 'oldcurl', 'curl-extra']);
    expect(await searchPackages(db, 'curl', 2)).toEqual(['curl', 'Curl']);
    expect(await searchPackages(db, 'py3_', 10)).toEqual(['py3_x']);
    expect(await searchPackages(db, '%', 10)).toEqual([]);
  });

  it('folds ASCII letters only, as the databases do', () => {
    expect(foldAscii('CVE-ÄÖ-Straße')).toBe('cve-ÄÖ-straße');
  });
});
