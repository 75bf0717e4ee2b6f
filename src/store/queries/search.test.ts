import { beforeEach, describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import { indexedOrigin } from '../test-support/records.js';
import { ensureBranch, ensureRepository } from './branches.js';
import { replaceIndexSnapshot } from './packages.js';
import { replaceRejections } from './rejections.js';
import { foldAscii, listMaintainerTexts, listPackageNames, namesContaining, searchVulnerabilities } from './search.js';
import { replaceSecfixes } from './secfixes.js';

const origin = (name: string) => indexedOrigin(name, '1-r0', name === 'curl' ? { maintainer: 'Jane Doe <jane@example.org>' } : {});

/** A feed record with this id and description. */
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

describe.each(backends)('%s search queries', (backend) => {
  const store = useTestStore(backend);

  beforeEach(async () => {
    const { db } = store();
    const repositoryId = await ensureRepository(db, await ensureBranch(db, 'edge'), 'main');
    await replaceIndexSnapshot(db, { repositoryId, arch: 'x86_64', packages: ['curl', 'curl-extra', 'libcurl', 'Curl', 'py3_x', 'py3-y'].map(origin) });
    await db
      .insertInto('vulnerability')
      .values([record('CVE-2023-1000', 'A Heap overflow in curl.'), record('CVE-2023-10000', 'Uses 100% CPU.'), record('CVE-2022-5', 'Not_this one.'), record('CVE-2021-7', 'Also known as CVE 2021 7.')])
      .execute();
    // Ids with no feed record still have pages: from secfixes (a package only secdb knows, too) and rejections.
    await replaceSecfixes(db, { repositoryId, source: 'secdb' }, [{ package: 'oldcurl', version: '1-r1', vulnerabilityId: 'GHSA-abcd-efgh-ijkl', note: null }], null);
    await replaceRejections(db, 'test', [{ package: 'curl', vulnerabilityId: 'CVE-2023-1', branches: null, justification: null, rationale: null, author: null, createdAt: '2024-01-01T00:00:00.000Z' }]);
  });

  it('finds vulnerabilities by id start and by every word of the description in any order, ignoring case, exact id first then newest id', async () => {
    const { db } = store();
    const ids = async (text: string, limit = 10, offset = 0) => (await searchVulnerabilities(db, text, { limit, offset })).hits.map((hit) => hit.id);
    expect(await ids('cve-2023-1')).toEqual(['CVE-2023-1', 'CVE-2023-10000', 'CVE-2023-1000']);
    expect(await ids('cve-2023-1', 2)).toEqual(['CVE-2023-1', 'CVE-2023-10000']);
    expect(await ids('cve-2023-1', 2, 2)).toEqual(['CVE-2023-1000']);
    expect(await ids('HEAP OVERFLOW')).toEqual(['CVE-2023-1000']);
    expect(await ids('overflow heap')).toEqual(['CVE-2023-1000']);
    expect(await ids('curl, "heap"')).toEqual(['CVE-2023-1000']);
    // Query syntax of either database is only a separator: quotes, `-`, `*`.
    expect(await ids('"heap" -overflow* "curl')).toEqual(['CVE-2023-1000']);
    expect(await ids('*-"')).toEqual([]);
    expect(await ids('heap stack')).toEqual([]);
    expect(await ids('ghsa-ABCD')).toEqual(['GHSA-abcd-efgh-ijkl']);
    expect(await ids('2023')).toEqual([]);
    expect(await ids('100%')).toEqual(['CVE-2023-10000']);
    expect(await ids('%')).toEqual([]);
    expect(await ids('this Not')).toEqual(['CVE-2022-5']);
    // Matched by its id and by its description, CVE-2021-7 is listed once.
    expect(await ids('cve')).toEqual(['CVE-2023-10000', 'CVE-2023-1000', 'CVE-2023-1', 'CVE-2022-5', 'CVE-2021-7']);
    expect((await searchVulnerabilities(db, 'cve', { limit: 10, offset: 0 })).total).toBe(5);
    expect(await searchVulnerabilities(db, 'heap curl', { limit: 10, offset: 0 })).toEqual({
      hits: [{ id: 'CVE-2023-1000', description: 'A Heap overflow in curl.', severity: 'HIGH', cvssScore: 7.5, published: '2023-01-01T00:00:00.000Z' }],
      total: 1,
      moreThanTotal: false,
    });
    expect((await searchVulnerabilities(db, 'CVE-2023-1', { limit: 10, offset: 0 })).hits[0]).toMatchObject({ id: 'CVE-2023-1', description: null, severity: null });
  });

  it('pages a word most descriptions hold newest id first, as it pages a rare one, counting up to 1,000 hits and paging past them', async () => {
    const { db } = store();
    // Enough records that a rare word's page is sorted and a common word's is walked newest first (on SQLite).
    const added = Array.from({ length: 1_200 }, (_, index) => record(`CVE-2020-${index + 1}`, `common text ${index === 7 ? 'rare' : 'plain'}`));
    for (let start = 0; start < added.length; start += 200) await db.insertInto('vulnerability').values(added.slice(start, start + 200)).execute();
    const newestFirst = added.map((row) => row.id).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    const ids = async (text: string, limit: number, offset: number) => {
      const result = await searchVulnerabilities(db, text, { limit, offset });
      return { ids: result.hits.map((hit) => hit.id), total: result.total, moreThanTotal: result.moreThanTotal };
    };
    expect(await ids('common', 50, 0)).toEqual({ ids: newestFirst.slice(0, 50), total: 1_000, moreThanTotal: true });
    expect(await ids('TEXT common', 50, 1_150)).toEqual({ ids: newestFirst.slice(1_150), total: 1_000, moreThanTotal: true });
    expect(await ids('common', 50, 1_200)).toEqual({ ids: [], total: 1_000, moreThanTotal: true });
    expect(await ids('rare common', 50, 0)).toEqual({ ids: ['CVE-2020-8'], total: 1, moreThanTotal: false });
    // Id matches take the other way; their count stops at the same limit.
    expect(await ids('cve-2020', 50, 1_150)).toEqual({ ids: newestFirst.slice(1_150), total: 1_000, moreThanTotal: true });
    expect((await searchVulnerabilities(db, 'common', { limit: 1, offset: 0 })).hits).toEqual([
      { id: newestFirst[0], description: 'common text plain', severity: 'HIGH', cvssScore: 7.5, published: '2023-01-01T00:00:00.000Z' },
    ]);
  });

  it('counts every hit, on a page past the last one too', async () => {
    const { db } = store();
    expect((await searchVulnerabilities(db, 'cve-2023-1', { limit: 1, offset: 0 })).total).toBe(3);
    expect(await searchVulnerabilities(db, 'cve-2023-1', { limit: 1, offset: 5 })).toEqual({ hits: [], total: 3, moreThanTotal: false });
  });

  it('keeps the description index current when a description changes or a record goes', async () => {
    const { db } = store();
    await db.updateTable('vulnerability').set({ description: 'A stack smash in wget.' }).where('id', '=', 'CVE-2023-1000').execute();
    expect((await searchVulnerabilities(db, 'heap', { limit: 10, offset: 0 })).hits).toEqual([]);
    expect((await searchVulnerabilities(db, 'wget smash', { limit: 10, offset: 0 })).hits.map((hit) => hit.id)).toEqual(['CVE-2023-1000']);
    await db.deleteFrom('vulnerability').where('id', '=', 'CVE-2023-1000').execute();
    expect((await searchVulnerabilities(db, 'wget', { limit: 10, offset: 0 })).total).toBe(0);
  });

  it('treats query syntax of either database as plain words', async () => {
    const { db } = store();
    for (const text of ['"', '""', "'", '-heap', 'heap OR curl', 'heap*', '*', 'NEAR(heap curl)', 'heap AND', '(', 'a:b', '^heap', '!', '&', '|', '<->', '\\']) {
      const result = await searchVulnerabilities(db, text, { limit: 10, offset: 0 });
      expect(result.total, text).toBe(result.hits.length);
    }
    expect((await searchVulnerabilities(db, '-heap', { limit: 10, offset: 0 })).hits.map((hit) => hit.id)).toEqual(['CVE-2023-1000']);
    expect((await searchVulnerabilities(db, 'heap OR stack', { limit: 10, offset: 0 })).hits).toEqual([]);
  });

  it('lists package names from indexes, secfixes and binary packages, and maintainers of published packages', async () => {
    const { db } = store();
    expect(await listPackageNames(db)).toEqual(['Curl', 'curl', 'curl-extra', 'libcurl', 'oldcurl', 'py3-y', 'py3_x']);
    expect(await listMaintainerTexts(db)).toEqual(['Jane Doe <jane@example.org>']);
  });

  it('finds names containing the text: exact, then equal but for case, then shortest', () => {
    const names = ['Curl', 'curl', 'curl-extra', 'libcurl', 'oldcurl', 'py3-y', 'py3_x'];
    expect(namesContaining(names, 'curl')).toEqual(['curl', 'Curl', 'libcurl', 'oldcurl', 'curl-extra']);
    expect(namesContaining(names, 'CURL')).toEqual(['Curl', 'curl', 'libcurl', 'oldcurl', 'curl-extra']);
    expect(namesContaining(names, 'py3_')).toEqual(['py3_x']);
    expect(namesContaining(names, '%')).toEqual([]);
  });

  it('folds ASCII letters only, as the databases do', () => {
    expect(foldAscii('CVE-ÄÖ-Straße')).toBe('cve-ÄÖ-straße');
  });
});
