import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { NvdCve } from '../formats/nvd.js';
import { clearDirty, findCriteriaByVulnerabilities, getVulnerabilities, listDirty, listVulnerabilityReferences } from '../store/index.js';
import { backends, useTestStore } from '../test-support/databases.js';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { repoPath } from '../test-support/paths.js';
import { importNvd } from './import-nvd.js';
import { nvdRecord } from './vulnerability-record.js';
import { dataDigest } from './test-support/store-digest.js';

const FEED_11 = repoPath('data', 'alpine-sample', 'nvd', 'feed-1.1');
const FILES_11 = readdirSync(FEED_11).sort().map((name) => join(FEED_11, name));
const SAMPLE_20 = repoPath('data', 'alpine-sample', 'nvd', 'api-2.0', 'nvdcve-2.0-sample.json');
const dir = mkdtempSync(join(tmpdir(), 'secfix-import-nvd-'));

interface Item20 {
  cve: { id: string; lastModified: string; descriptions: { lang: string; value: string }[]; configurations?: { nodes: { cpeMatch: unknown[] }[] }[] };
}
interface Node11 {
  cpe_match?: unknown[];
  children?: Node11[];
}
interface Item11 {
  cve: { CVE_data_meta: { ID: string } };
  configurations: { nodes: Node11[] };
}

const sample20 = JSON.parse(readFileSync(SAMPLE_20, 'utf8')) as { vulnerabilities: Item20[] };

/** Criteria per CVE id as the file lists them, read with plain JSON.parse. */
function criteriaCounts(path: string): Map<string, number> {
  const document = JSON.parse(readFileSync(path, 'utf8')) as { CVE_Items?: Item11[]; vulnerabilities?: Item20[] };
  const count11 = (node: Node11): number => (node.cpe_match ?? []).length + (node.children ?? []).reduce((sum, child) => sum + count11(child), 0);
  if (document.CVE_Items !== undefined) {
    return new Map(document.CVE_Items.map((item) => [item.cve.CVE_data_meta.ID, item.configurations.nodes.reduce((sum, node) => sum + count11(node), 0)]));
  }
  return new Map(
    (document.vulnerabilities ?? []).map(({ cve }) => [
      cve.id,
      (cve.configurations ?? []).reduce((sum, configuration) => sum + configuration.nodes.reduce((inner, node) => inner + node.cpeMatch.length, 0), 0),
    ]),
  );
}

function writeFeed(name: string, items: readonly unknown[], gzip = false): string {
  const path = join(dir, name);
  const text = JSON.stringify({ format: 'NVD_CVE', version: '2.0', totalResults: items.length, vulnerabilities: items });
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

/** `count` copies of the sample records with fresh ids. */
function generatedItems(count: number): Item20[] {
  return Array.from({ length: count }, (_, index) => {
    const item = structuredClone(sample20.vulnerabilities[index % sample20.vulnerabilities.length]) as Item20;
    item.cve.id = `CVE-2030-${String(100_000 + index)}`;
    return item;
  });
}

describe.each(backends)('%s importNvd', (backend) => {
  const store = useTestStore(backend);

  async function importAll(): Promise<void> {
    for (const file of [...FILES_11, SAMPLE_20]) await importNvd(store(), { location: file });
  }

  it('imports the 1.1 and 2.0 samples: every record with its criteria, as the files list them', async () => {
    let records = 0;
    for (const file of [...FILES_11, SAMPLE_20]) {
      const summary = await importNvd(store(), { location: file });
      const expected = criteriaCounts(file);
      expect(summary.counts['records']).toBe(expected.size);
      records += expected.size;
      const stored = await findCriteriaByVulnerabilities(store().db, [...expected.keys()]);
      for (const [id, count] of expected) expect(stored.filter((row) => row.vulnerabilityId === id).length, id).toBe(count);
    }
    // 259 1.1 records and 6 2.0 records, two CVEs in both: data/alpine-sample/README.md.
    expect(records).toBe(265);
    const { rows } = await sql<{ n: number }>`select count(*) as n from vulnerability`.execute(store().db);
    expect(Number(rows[0]?.n)).toBe(263);
    expect((await listDirty(store().db, 'vulnerability')).length).toBe(263);

    const [curl] = await getVulnerabilities(store().db, ['CVE-2023-38545']);
    const raw = sample20.vulnerabilities.find(({ cve }) => cve.id === 'CVE-2023-38545')?.cve;
    expect(curl).toMatchObject({
      source: 'nvd',
      description: raw?.descriptions.find((description) => description.lang === 'en')?.value,
      cvssScore: 9.8,
      cvssVersion: '3.1',
      cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      severity: 'CRITICAL',
      kev: null,
      ssvc: null,
      lastModified: `${raw?.lastModified}Z`,
    });
    expect(curl?.configurations).toHaveLength(raw?.configurations?.length ?? -1);
    expect((await listVulnerabilityReferences(store().db, 'CVE-2023-38545')).map((reference) => reference.url)).toEqual([
      'https://curl.se/docs/CVE-2023-38545.html',
      'https://lists.fedoraproject.org/archives/list/package-announce@lists.fedoraproject.org/message/OGMXNRNSJ4ETDK6FRNU3J7SABXPWCHSQ/',
      'https://security.netapp.com/advisory/ntap-20231027-0009/',
      'https://www.secpod.com/blog/high-severity-heap-buffer-overflow-vulnerability/',
    ]);
    const criteria = await findCriteriaByVulnerabilities(store().db, ['CVE-2023-38545']);
    expect(criteria[0]).toMatchObject({ vendor: 'haxx', product: 'libcurl', targetSw: null, version: '*', startIncluding: '7.69.0', endExcluding: '8.4.0' });
    expect(criteria.find((row) => row.product === 'active_iq_unified_manager')).toMatchObject({ version: '-', targetSw: 'vmware_vsphere' });
  });

  it('skips the same file the second time and writes nothing', async () => {
    await importAll();
    const before = await dataDigest(store());
    for (const file of [...FILES_11, SAMPLE_20]) expect((await importNvd(store(), { location: file })).status).toBe('unchanged');
    expect(await dataDigest(store())).toBe(before);
  });

  it('touches only the CVEs a modified feed holds, and marks only the changed one', async () => {
    await importAll();
    await clearDirty(store().db, 'vulnerability', await listDirty(store().db, 'vulnerability'));
    const modified = structuredClone(sample20.vulnerabilities.find(({ cve }) => cve.id === 'CVE-2023-38545')) as Item20;
    modified.cve.lastModified = '2024-10-01T00:00:00.000';
    modified.cve.descriptions = [{ lang: 'en', value: 'SOCKS5 heap overflow, reanalysed' }];
    const same = sample20.vulnerabilities.find(({ cve }) => cve.id === 'CVE-2023-0466');
    const others = async () => {
      const result = await Promise.all(
        ['vulnerability', 'cpe_criterion'].map(async (table) => {
          const column = table === 'vulnerability' ? 'id' : 'vulnerability_id';
          const { rows } = await sql`select * from ${sql.table(table)} where ${sql.ref(column)} <> 'CVE-2023-38545'`.execute(store().db);
          return rows.map((row) => JSON.stringify(row)).sort();
        }),
      );
      return result;
    };
    const before = await others();
    const summary = await importNvd(store(), { location: writeFeed(`modified-${backend}.json`, [modified, same]) });
    expect(summary.counts).toMatchObject({ records: 2, changed: 1, unchanged: 1 });
    expect(await listDirty(store().db, 'vulnerability')).toEqual(['CVE-2023-38545']);
    expect(await others()).toEqual(before);
    expect((await getVulnerabilities(store().db, ['CVE-2023-38545']))[0]?.description).toBe('SOCKS5 heap overflow, reanalysed');
  });

  it('rolls back everything when a record near the end of a long feed has a bad criterion', async () => {
    await importNvd(store(), { location: SAMPLE_20 });
    const items = generatedItems(2_500);
    const broken = items[2_490]?.cve.configurations?.[0]?.nodes[0];
    if (broken === undefined) throw new Error('the generated record has a configuration');
    broken.cpeMatch[0] = { vulnerable: true, criteria: 'cpe:2.3:a:busybox:busybox:1.0' };
    const before = await dataDigest(store());
    const progress: number[] = [];
    const error = await inputErrorFromAsync(() =>
      importNvd(store(), { location: writeFeed(`bad-criterion-${backend}.json`, items), progress: (done) => progress.push(done) }),
    );
    expect(progress).toEqual([2_000]);
    expect(error.place).toBe('$.vulnerabilities[2490].cve.configurations[0].nodes[0].cpeMatch[0].criteria');
    expect(error.problem).toMatch(/^criteria "cpe:2\.3:a:busybox:busybox:1\.0": expected 13 colon-separated fields/);
    expect(await dataDigest(store())).toBe(before);
  });

  it('rolls back a feed whose JSON breaks near the end, and a truncated .gz', async () => {
    await importNvd(store(), { location: SAMPLE_20 });
    const before = await dataDigest(store());
    const valid = JSON.stringify({ format: 'NVD_CVE', version: '2.0', vulnerabilities: generatedItems(2_200) });
    const cut = join(dir, `cut-${backend}.json`);
    writeFileSync(cut, valid.slice(0, valid.length - 500));
    const syntax = await inputErrorFromAsync(() => importNvd(store(), { location: cut }));
    expect(syntax.source).toBe(cut);
    expect(await dataDigest(store())).toBe(before);

    const gzipped = gzipSync(valid);
    const truncated = join(dir, `truncated-${backend}.json.gz`);
    writeFileSync(truncated, gzipped.subarray(0, gzipped.length - 200));
    const gzipError = await inputErrorFromAsync(() => importNvd(store(), { location: truncated }));
    expect(gzipError.message).toMatch(new RegExp(`^${truncated}: byte \\d+: truncated gzip data$`));
    expect(await dataDigest(store())).toBe(before);
  });

  it('reads a gzipped feed like a plain one', async () => {
    const summary = await importNvd(store(), { location: writeFeed(`sample-${backend}.json.gz`, sample20.vulnerabilities, true) });
    expect(summary.counts).toMatchObject({ records: 6, changed: 6 });
  });
});

describe('nvdRecord', () => {
  const base: NvdCve = {
    id: 'CVE-2024-0001',
    published: '2024-01-01T00:00:00.000Z',
    lastModified: '2024-01-02T00:00:00.000Z',
    descriptions: [{ lang: 'es', value: 'desbordamiento' }, { lang: 'en', value: 'overflow' }],
    cvss: [],
    cwes: ['CWE-787'],
    references: [{ url: 'https://b.example', tags: ['Patch'] }, { url: 'https://a.example', tags: [] }, { url: 'https://b.example', tags: ['Vendor Advisory'] }],
    configurations: [],
  };
  const score = (version: '2.0' | '3.0' | '3.1' | '4.0', source: string, type: 'Primary' | 'Secondary') =>
    ({ version, source, type, vector: `v${version}-${source}`, baseScore: 5, baseSeverity: 'MEDIUM' }) as const;

  it("prefers NVD's Primary score, newest CVSS 3 first, over any other scorer's", () => {
    const cvss = [score('3.1', 'cna@example.org', 'Secondary'), score('2.0', 'nvd@nist.gov', 'Primary'), score('3.0', 'nvd@nist.gov', 'Primary')];
    expect(nvdRecord({ ...base, cvss }, 'feed', () => '$').cvssVector).toBe('v3.0-nvd@nist.gov');
    expect(nvdRecord({ ...base, cvss: [score('4.0', 'cna@example.org', 'Secondary'), score('3.1', 'cna@example.org', 'Secondary')] }, 'feed', () => '$').cvssVersion).toBe('3.1');
  });

  it('keeps the English description and merges references by URL, sorted', () => {
    const record = nvdRecord(base, 'feed', () => '$');
    expect(record.description).toBe('overflow');
    expect(record.references).toEqual([{ url: 'https://a.example', tags: [] }, { url: 'https://b.example', tags: ['Patch', 'Vendor Advisory'] }]);
  });

  it('flattens criteria with lower-case names, a literal target_sw and the bounds', () => {
    const record = nvdRecord(
      {
        ...base,
        configurations: [
          {
            operator: 'AND',
            negate: false,
            nodes: [
              { operator: 'OR', negate: false, matches: [{ vulnerable: true, criteria: 'cpe:2.3:a:Python:Pillow:*:*:*:*:*:python:*:*', versionEndExcluding: '9.0.1' }] },
              { operator: 'OR', negate: false, matches: [{ vulnerable: false, criteria: 'cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*' }] },
            ],
          },
        ],
      },
      'feed',
      () => '$',
    );
    expect(record.criteria).toEqual([
      expect.objectContaining({ nodeIndex: 0, vendor: 'python', product: 'pillow', targetSw: 'python', version: '*', endExcluding: '9.0.1', vulnerable: true }),
      expect.objectContaining({ nodeIndex: 1, vendor: 'linux', product: 'linux_kernel', targetSw: null, version: '-', vulnerable: false }),
    ]);
  });
});
