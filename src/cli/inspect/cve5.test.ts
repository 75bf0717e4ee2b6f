import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cve5Record } from '../../formats/cve5.js';
import { InputError } from '../../base/input-error.js';
import { repoPath } from '../../test-support/paths.js';
import { cve5Reader } from './cve5.js';

const FIXTURE = repoPath('fixtures', 'cve5', 'vulnrichment', '2024', '3xxx', 'CVE-2024-3931.json');
const options = { keysDir: undefined, allowUntrusted: false };

async function run(path: string): Promise<{ readonly records: Cve5Record[]; readonly summary: string[] }> {
  const records: Cve5Record[] = [];
  const summary = await cve5Reader.inspect(path, options, (record) => records.push(record as Cve5Record));
  return { records, summary };
}

describe('cve5 inspect kind', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'secfix-cve5-'));
    const real = await readFile(FIXTURE, 'utf8');
    const withKev = JSON.parse(real) as {
      cveMetadata: { cveId: string };
      containers: { adp: { metrics: unknown[] }[] };
    };
    withKev.cveMetadata.cveId = 'CVE-2023-1000';
    withKev.containers.adp[0]?.metrics.push({
      other: { type: 'kev', content: { dateAdded: '2024-01-15', reference: 'https://www.cisa.gov/known-exploited-vulnerabilities-catalog' } },
    });
    const rejected = {
      dataType: 'CVE_RECORD',
      dataVersion: '5.0',
      cveMetadata: { cveId: 'CVE-2024-0001', state: 'REJECTED' },
      containers: { cna: { providerMetadata: { orgId: 'x' }, rejectedReasons: [{ lang: 'en', value: 'Withdrawn.' }] } },
    };
    await mkdir(join(root, '2024', '3xxx'), { recursive: true });
    await mkdir(join(root, '2024', '0xxx'), { recursive: true });
    await mkdir(join(root, '2023', '1xxx'), { recursive: true });
    await writeFile(join(root, '2024', '3xxx', 'CVE-2024-3931.json'), real);
    await writeFile(join(root, '2024', '0xxx', 'CVE-2024-0001.json'), JSON.stringify(rejected));
    await writeFile(join(root, '2023', '1xxx', 'CVE-2023-1000.json'), JSON.stringify(withKev));
    // Not records by name: must be skipped, although they would not parse.
    await writeFile(join(root, 'README.md'), '# not a record');
    await writeFile(join(root, '2024', 'delta.json'), '[]');
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads one file', async () => {
    const { records, summary } = await run(FIXTURE);
    expect(records.map((record) => record.id)).toEqual(['CVE-2024-3931']);
    // The fixture has a CISA SSVC decision and a CISA affected entry with a CPE, no KEV listing.
    expect(summary).toEqual(['1 CVE records (1 published, 0 rejected)', '1 with SSVC, 0 with KEV listing, 1 with affected CPEs']);
  });

  it('walks a directory recursively, only CVE-*.json, sorted by path', async () => {
    const { records, summary } = await run(root);
    expect(records.map((record) => record.id)).toEqual(['CVE-2023-1000', 'CVE-2024-0001', 'CVE-2024-3931']);
    expect(records[1]?.rejectedReason).toBe('Withdrawn.');
    expect(records[0]?.kev?.dateAdded).toBe('2024-01-15');
    expect(summary).toEqual(['3 CVE records (2 published, 1 rejected)', '2 with SSVC, 1 with KEV listing, 2 with affected CPEs']);
  });

  it('names the bad file in a directory', async () => {
    const bad = join(root, '2024', '3xxx', 'CVE-2024-3999.json');
    await writeFile(bad, '{"dataType": "CVE_RECORD"');
    try {
      const error = await run(root).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).source).toBe(bad);
    } finally {
      await rm(bad);
    }
  });

  it('reports a missing path as InputError', async () => {
    const missing = join(root, 'nothing-here.json');
    const error = await run(missing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problem).toBe('no such file');
  });
});
