import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCriteriaByVulnerabilities, getCve5Affected, getVulnerabilities, listDirty, listVulnerabilityReferences } from '../store/index.js';
import { backends, useTestStore } from '../test-support/databases.js';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { repoPath } from '../test-support/paths.js';
import { importCve5 } from './import-cve5.js';
import { importNvd } from './import-nvd.js';
import { dataDigest } from './test-support/store-digest.js';

const RECORD = repoPath('fixtures', 'cve5', 'vulnrichment', '2024', '3xxx', 'CVE-2024-3931.json');
const dir = mkdtempSync(join(tmpdir(), 'secfix-import-cve5-'));

const SSVC = { exploitation: 'poc', automatable: 'yes', technicalImpact: 'partial', version: '2.0.3', timestamp: '2024-04-22T19:20:06.233Z' };

/** An NVD 2.0 feed holding CVE-2024-3931, with or without an analysis. */
function nvdFeed(name: string, analysed: boolean): string {
  const cve = {
    id: 'CVE-2024-3931',
    published: '2024-04-18T00:15:07.010',
    lastModified: '2024-06-06T20:15:00.000',
    vulnStatus: analysed ? 'Analyzed' : 'Awaiting Analysis',
    descriptions: [{ lang: 'en', value: 'A vulnerability was found in Totara LMS 18.0.1 Build 20231128.01.' }],
    metrics: {
      cvssMetricV31: [
        { source: 'nvd@nist.gov', type: 'Primary', cvssData: { version: '3.1', vectorString: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:N/I:L/A:N', baseScore: 3.5, baseSeverity: 'LOW' } },
      ],
    },
    configurations: analysed
      ? [{ nodes: [{ operator: 'OR', negate: false, cpeMatch: [{ vulnerable: true, criteria: 'cpe:2.3:a:totara:lms:18.0.1:*:*:*:*:*:*:*' }] }] }]
      : [],
    references: [{ url: 'https://vuldb.com/?id.261368', source: 'cna@vuldb.com' }],
  };
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ format: 'NVD_CVE', version: '2.0', vulnerabilities: [{ cve }] }));
  return path;
}

describe.each(backends)('%s importCve5', (backend) => {
  const store = useTestStore(backend);

  async function stored(id: string) {
    const [vulnerability] = await getVulnerabilities(store().db, [id]);
    const criteria = (await findCriteriaByVulnerabilities(store().db, [id])).map(({ id: _id, ...rest }) => rest);
    return { vulnerability, criteria, references: await listVulnerabilityReferences(store().db, id) };
  }

  it('imports the vulnrichment record: CNA data, CISA SSVC, and configurations from the ADP CPE', async () => {
    const summary = await importCve5(store(), { location: RECORD });
    expect(summary).toMatchObject({ kind: 'cve5', status: 'imported', counts: { records: 1, changed: 1 } });
    const { vulnerability, criteria, references } = await stored('CVE-2024-3931');
    expect(vulnerability).toMatchObject({
      source: 'cve5',
      status: 'Published',
      published: '2024-04-18T00:00:04.983Z',
      lastModified: '2024-06-06T19:44:53.040Z',
      cvssScore: 3.5,
      cvssVersion: '3.1',
      severity: 'LOW',
      cwes: ['CWE-79'],
      ssvc: SSVC,
      kev: null,
    });
    expect(vulnerability?.description).toMatch(/^A vulnerability was found in Totara LMS/);
    expect(vulnerability?.configurations).toEqual([
      {
        operator: 'OR',
        negate: false,
        nodes: [
          {
            operator: 'OR',
            negate: false,
            matches: [{ vulnerable: true, criteria: 'cpe:2.3:a:totara:enterprise_lms:*:*:*:*:*:*:*:*', versionEndIncluding: '18.0.1 Build 20231128.01' }],
          },
        ],
      },
    ]);
    expect(criteria).toEqual([
      expect.objectContaining({ vendor: 'totara', product: 'enterprise_lms', version: '*', startIncluding: null, endIncluding: '18.0.1 Build 20231128.01' }),
    ]);
    expect(references.map((reference) => reference.url)).toEqual(['https://vuldb.com/?ctiid.261368', 'https://vuldb.com/?id.261368']);
    expect(await listDirty(store().db, 'vulnerability')).toEqual(['CVE-2024-3931']);
  });

  it('imports a folder of records at any depth in one go, and skips it when unchanged', async () => {
    const folder = join(dir, `tree-${backend}`);
    mkdirSync(join(folder, '2024', '3xxx'), { recursive: true });
    copyFileSync(RECORD, join(folder, '2024', '3xxx', 'CVE-2024-3931.json'));
    const other = JSON.parse(readFileSync(RECORD, 'utf8')) as { cveMetadata: { cveId: string } };
    other.cveMetadata.cveId = 'CVE-2024-3932';
    writeFileSync(join(folder, '2024', '3xxx', 'CVE-2024-3932.json'), JSON.stringify(other));
    writeFileSync(join(folder, 'README.json'), '{}');
    const progress: [number, number | undefined][] = [];
    const summary = await importCve5(store(), { location: folder, progress: (done, total) => progress.push([done, total]) });
    expect(summary.counts).toMatchObject({ records: 2, changed: 2 });
    expect(progress).toEqual([[2, 2]]);
    const before = await dataDigest(store());
    expect((await importCve5(store(), { location: folder })).status).toBe('unchanged');
    expect(await dataDigest(store())).toBe(before);
  });

  it('follows no symlink in a folder: two `..` links neither loop nor import a record twice, a linked record is skipped', async () => {
    const folder = join(dir, `links-${backend}`);
    mkdirSync(join(folder, '2024', '3xxx'), { recursive: true });
    copyFileSync(RECORD, join(folder, '2024', '3xxx', 'CVE-2024-3931.json'));
    symlinkSync('..', join(folder, '2024', 'up'));
    symlinkSync('../..', join(folder, '2024', '3xxx', 'top'));
    const outside = join(dir, `CVE-2024-3932-${backend}.json`);
    const other = JSON.parse(readFileSync(RECORD, 'utf8')) as { cveMetadata: { cveId: string } };
    other.cveMetadata.cveId = 'CVE-2024-3932';
    writeFileSync(outside, JSON.stringify(other));
    symlinkSync(outside, join(folder, '2024', 'CVE-2024-3932.json'));
    const summary = await importCve5(store(), { location: folder });
    expect(summary.counts).toMatchObject({ records: 1, changed: 1, skippedLinks: 3 });
    expect((await getVulnerabilities(store().db, ['CVE-2024-3932'])).length).toBe(0);
  }, 20_000);

  it('rolls the folder back when one record is bad, naming the file and the JSON path', async () => {
    const folder = join(dir, `broken-${backend}`);
    mkdirSync(folder, { recursive: true });
    copyFileSync(RECORD, join(folder, 'CVE-2024-3931.json'));
    writeFileSync(join(folder, 'CVE-2024-9999.json'), '{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2024-9999","state":"DRAFT"}}');
    const before = await dataDigest(store());
    const error = await inputErrorFromAsync(() => importCve5(store(), { location: folder }));
    expect(error.message).toBe(`${join(folder, 'CVE-2024-9999.json')}: $.cveMetadata.state: expected one of PUBLISHED, REJECTED, found "DRAFT"`);
    expect(await dataDigest(store())).toBe(before);
  });

  it("never erases NVD's analysis: both orders store NVD's record with CISA's SSVC", async () => {
    const nvd = nvdFeed(`analysed-${backend}.json`, true);
    await importNvd(store(), { location: nvd });
    const enriched = await importCve5(store(), { location: RECORD });
    expect(enriched.counts).toMatchObject({ enrichedNvd: 1, changed: 1 });
    const nvdFirst = await stored('CVE-2024-3931');
    expect(nvdFirst.vulnerability).toMatchObject({ source: 'nvd', status: 'Analyzed', ssvc: SSVC });
    expect(nvdFirst.criteria.map((criterion) => criterion.product)).toEqual(['lms']);
    // The enriched record reads back exactly as imported: the same NVD record again changes nothing.
    const again = await importNvd(store(), { location: nvdFeed(`analysed-again-${backend}.json`, true) });
    expect(again.counts).toMatchObject({ changed: 0, unchanged: 1 });

    await store().reset();
    await importCve5(store(), { location: RECORD });
    await importNvd(store(), { location: nvd });
    expect(await stored('CVE-2024-3931')).toEqual(nvdFirst);
  });

  it("keeps the record's affected entries beside NVD's record, in both orders, and rewrites nothing on a second import", async () => {
    const record = JSON.parse(readFileSync(RECORD, 'utf8')) as { containers: { cna: { affected: { vendor: string; product: string }[] } } };
    const cna = record.containers.cna.affected[0]!;
    await importNvd(store(), { location: nvdFeed(`affected-${backend}.json`, true) });
    await importCve5(store(), { location: RECORD });
    const kept = (await getCve5Affected(store().db, ['CVE-2024-3931'])).get('CVE-2024-3931');
    expect(kept?.find((entry) => entry.source !== 'CISA-ADP')).toMatchObject({ vendor: cna.vendor, product: cna.product });
    // The ADP container's entry (with its CPE) is kept too: CISA's opinion beside the CNA's.
    expect(kept?.some((entry) => entry.source === 'CISA-ADP' && entry.cpes.length > 0)).toBe(true);
    await store().db.deleteFrom('dirty').execute();
    // The same record from another place is a new import run, which finds nothing to write.
    const copy = join(dir, `again-${backend}`);
    mkdirSync(copy, { recursive: true });
    copyFileSync(RECORD, join(copy, 'CVE-2024-3931.json'));
    await importCve5(store(), { location: copy });
    expect(await listDirty(store().db, 'vulnerability')).toEqual([]);
    // An NVD import after it leaves them alone.
    await importNvd(store(), { location: nvdFeed(`affected-again-${backend}.json`, true) });
    expect((await getCve5Affected(store().db, ['CVE-2024-3931'])).get('CVE-2024-3931')).toEqual(kept);

    await store().reset();
    await importCve5(store(), { location: RECORD });
    await importNvd(store(), { location: nvdFeed(`affected-later-${backend}.json`, true) });
    expect((await getCve5Affected(store().db, ['CVE-2024-3931'])).get('CVE-2024-3931')).toEqual(kept);
  });

  it('keeps a CVE 5 analysis over an NVD record that has none, in both orders', async () => {
    const nvd = nvdFeed(`awaiting-${backend}.json`, false);
    await importNvd(store(), { location: nvd });
    await importCve5(store(), { location: RECORD });
    const nvdFirst = await stored('CVE-2024-3931');
    expect(nvdFirst.vulnerability).toMatchObject({ source: 'cve5', ssvc: SSVC });
    expect(nvdFirst.criteria.map((criterion) => criterion.product)).toEqual(['enterprise_lms']);

    await store().reset();
    await importCve5(store(), { location: RECORD });
    const kept = await importNvd(store(), { location: nvd });
    expect(kept.counts).toMatchObject({ keptCve5: 1, changed: 0 });
    expect(await stored('CVE-2024-3931')).toEqual(nvdFirst);
  });
});
