import { describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import {
  listVulnerableCriterionNames,
  type CpeCriterion,
  type VulnerabilityRecord,
  findCriteriaByProducts,
  findCriteriaByVulnerabilities,
  getVulnerabilities,
  getVulnerabilityAnnotations,
  listVulnerabilityReferences,
  upsertVulnerabilities,
} from './vulnerabilities.js';

function criterion(product: string, matchIndex: number, range: Partial<CpeCriterion> = {}): CpeCriterion {
  const base: CpeCriterion = {
    configurationIndex: 0,
    nodeIndex: 0,
    matchIndex,
    vulnerable: true,
    criteria: `cpe:2.3:a:haxx:${product}:*:*:*:*:*:*:*:*`,
    vendor: 'haxx',
    product,
    targetSw: null,
    version: '*',
    startIncluding: null,
    startExcluding: null,
    endIncluding: null,
    endExcluding: null,
  };
  return { ...base, ...range };
}

function vulnerability(id: string, overrides: Partial<VulnerabilityRecord> = {}): VulnerabilityRecord {
  return {
    id,
    source: 'nvd',
    status: 'Analyzed',
    description: `${id}: heap overflow in SOCKS5 proxy handshake`,
    published: '2023-10-18T04:15:11.077Z',
    lastModified: '2024-01-26T17:15:09.000Z',
    cvssScore: 9.8,
    cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    cvssVersion: '3.1',
    severity: 'CRITICAL',
    cwes: ['CWE-787'],
    aliases: [],
    kev: null,
    ssvc: null,
    configurations: [{ operator: 'OR', negate: false, nodes: [{ operator: 'OR', negate: false, matches: [] }] }],
    references: [{ url: `https://curl.se/docs/${id}.html`, tags: ['Vendor Advisory'] }],
    criteria: [
      criterion('curl', 0, { startIncluding: '7.69.0', endExcluding: '8.4.0' }),
      criterion('libcurl', 1, { startIncluding: '7.69.0', endExcluding: '8.4.0' }),
    ],
    ...overrides,
  };
}

describe.each(backends)('%s vulnerabilities', (backend) => {
  const store = useTestStore(backend);

  it('stores records and reads them back as they were given', async () => {
    const { db } = store();
    const record = vulnerability('CVE-2023-38545', { kev: { dateAdded: '2024-01-01' }, aliases: ['GHSA-xxxx'] });
    expect(await upsertVulnerabilities(db, [record])).toEqual({ changed: ['CVE-2023-38545'], unchanged: 0 });
    const { references, criteria, ...stored } = record;
    expect(await getVulnerabilities(db, ['CVE-2023-38545', 'CVE-0000-0000'])).toEqual([stored]);
    expect(await listVulnerabilityReferences(db, 'CVE-2023-38545')).toEqual(references);
    const found = await findCriteriaByVulnerabilities(db, ['CVE-2023-38545']);
    expect(found.map(({ id: _id, vulnerabilityId: _vulnerabilityId, ...rest }) => rest)).toEqual(criteria);
  });

  it('skips records whose content has not changed', async () => {
    const { db } = store();
    const records = [vulnerability('CVE-2023-38545'), vulnerability('CVE-2023-38546')];
    await upsertVulnerabilities(db, records);
    const idsBefore = (await findCriteriaByProducts(db, ['curl'])).map((row) => row.id);
    expect(await upsertVulnerabilities(db, records)).toEqual({ changed: [], unchanged: 2 });
    expect((await findCriteriaByProducts(db, ['curl'])).map((row) => row.id)).toEqual(idsBefore);
  });

  it('replaces the criteria and references of a changed record and touches no other', async () => {
    const { db } = store();
    await upsertVulnerabilities(db, [vulnerability('CVE-2023-38545'), vulnerability('CVE-2023-38546')]);
    const otherBefore = await findCriteriaByVulnerabilities(db, ['CVE-2023-38546']);
    const modified = vulnerability('CVE-2023-38545', {
      lastModified: '2024-02-01T00:00:00.000Z',
      references: [{ url: 'https://example.org/new', tags: [] }],
      criteria: [criterion('curl', 0, { endExcluding: '8.4.1' })],
    });
    expect(await upsertVulnerabilities(db, [modified])).toEqual({ changed: ['CVE-2023-38545'], unchanged: 0 });
    const criteria = await findCriteriaByVulnerabilities(db, ['CVE-2023-38545']);
    expect(criteria.map((row) => [row.product, row.endExcluding])).toEqual([['curl', '8.4.1']]);
    expect(await listVulnerabilityReferences(db, 'CVE-2023-38545')).toEqual([{ url: 'https://example.org/new', tags: [] }]);
    expect((await getVulnerabilities(db, ['CVE-2023-38545']))[0]?.lastModified).toBe('2024-02-01T00:00:00.000Z');
    expect(await findCriteriaByVulnerabilities(db, ['CVE-2023-38546'])).toEqual(otherBefore);
  });

  it('lists the distinct names of vulnerable criteria, with target_sw', async () => {
    const { db } = store();
    await upsertVulnerabilities(db, [
      vulnerability('CVE-2023-0001', { criteria: [criterion('curl', 0), criterion('curl', 1, { targetSw: 'python' }), criterion('libcurl', 2, { vulnerable: false })] }),
      vulnerability('CVE-2023-0002', { criteria: [criterion('curl', 0)] }),
    ]);
    const names = await listVulnerableCriterionNames(db);
    const sorted = names.map((name) => `${name.vendor}:${name.product}:${name.targetSw ?? '-'}`).sort();
    expect(sorted).toEqual(['haxx:curl:-', 'haxx:curl:python']);
  });

  it('finds candidate criteria by product', async () => {
    const { db } = store();
    await upsertVulnerabilities(db, [
      vulnerability('CVE-2023-38545'),
      vulnerability('CVE-2022-37434', { criteria: [criterion('zlib', 0, { endIncluding: '1.2.12' })] }),
    ]);
    const found = await findCriteriaByProducts(db, ['zlib', 'libcurl', 'openssl']);
    expect(found.map((row) => [row.vulnerabilityId, row.product])).toEqual([
      ['CVE-2022-37434', 'zlib'],
      ['CVE-2023-38545', 'libcurl'],
    ]);
    expect(found[0]).toMatchObject({ vulnerable: true, endIncluding: '1.2.12', version: '*' });
  });

  it('merges repeated reference URLs and keeps the last of repeated ids', async () => {
    const { db } = store();
    const repeated = vulnerability('CVE-2023-38545', {
      references: [
        { url: 'https://a.example', tags: ['Patch'] },
        { url: 'https://a.example', tags: ['Third Party Advisory', 'Patch'] },
      ],
    });
    const result = await upsertVulnerabilities(db, [
      vulnerability('CVE-2023-38545', { description: 'first' }),
      repeated,
    ]);
    expect(result.changed).toEqual(['CVE-2023-38545']);
    expect((await getVulnerabilities(db, ['CVE-2023-38545']))[0]?.description).toBe(repeated.description);
    expect(await listVulnerabilityReferences(db, 'CVE-2023-38545')).toEqual([
      { url: 'https://a.example', tags: ['Patch', 'Third Party Advisory'] },
    ]);
  });

  it('imports thousands of records in batches', async () => {
    const { db } = store();
    const records = Array.from({ length: 4_500 }, (_, index) => vulnerability(`CVE-2024-${10_000 + index}`));
    expect((await upsertVulnerabilities(db, records)).changed.length).toBe(4_500);
    const half = records.map((record, index) =>
      index % 2 === 0 ? { ...record, description: 'rewritten' } : record,
    );
    expect(await upsertVulnerabilities(db, half)).toMatchObject({ unchanged: 2_250 });
    expect((await findCriteriaByProducts(db, ['curl'])).length).toBe(4_500);
  });
  it('reads the annotations importers merge on, without the configuration tree', async () => {
    const { db } = store();
    await upsertVulnerabilities(db, [
      vulnerability('CVE-2023-38545', { kev: { dateAdded: '2023-10-20' } }),
      vulnerability('CVE-2024-3931', { source: 'cve5', configurations: [], criteria: [], ssvc: { exploitation: 'poc' } }),
    ]);
    const annotations = await getVulnerabilityAnnotations(db, ['CVE-2024-3931', 'CVE-2023-38545', 'CVE-0000-0000']);
    expect([...annotations.keys()].sort()).toEqual(['CVE-2023-38545', 'CVE-2024-3931']);
    expect(annotations.get('CVE-2023-38545')).toEqual({ source: 'nvd', hasConfigurations: true, kev: { dateAdded: '2023-10-20' }, ssvc: null });
    expect(annotations.get('CVE-2024-3931')).toEqual({ source: 'cve5', hasConfigurations: false, kev: null, ssvc: { exploitation: 'poc' } });
  });
});
