import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../base/input-error.js';
import type { NvdCve } from '../../formats/nvd.js';
import { repoPath } from '../../test-support/paths.js';
import { nvdReader } from './nvd.js';

const NVD = repoPath('data', 'alpine-sample', 'nvd');
const options = { keysDir: undefined, allowUntrusted: false };

async function inspect(file: string) {
  const records: NvdCve[] = [];
  const summary = await nvdReader.inspect(file, options, (record) => records.push(record as NvdCve));
  return { records, summary };
}

describe('secfix inspect nvd', () => {
  const temp = mkdtempSync(join(tmpdir(), 'secfix-inspect-nvd-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('summarizes the 2.0 sample, gzipped or not', async () => {
    const plain = join(NVD, 'api-2.0', 'nvdcve-2.0-sample.json');
    const gz = join(temp, 'sample.json.gz');
    writeFileSync(gz, gzipSync(readFileSync(plain)));
    for (const file of [plain, gz]) {
      const { records, summary } = await inspect(file);
      expect(records).toHaveLength(6);
      // Oldest lastModified is CVE-2023-28484's, newest CVE-2023-38545's; all six have configurations.
      expect(summary).toEqual([
        'NVD 2.0 feed / API page, version 2.0',
        '6 CVE records',
        'lastModified 2023-06-01T14:15:11.220Z to 2024-01-21T02:23:03.223Z',
        '6 with configurations, 0 rejected',
      ]);
    }
  });

  it('summarizes a 1.1 feed, counting records without configurations', async () => {
    const file = join(NVD, 'feed-1.1', 'nvdcve-1.1-2021.json');
    const items = (JSON.parse(readFileSync(file, 'utf8')) as { CVE_Items: { configurations: { nodes: unknown[] } }[] }).CVE_Items;
    const { records, summary } = await inspect(file);
    expect(records).toHaveLength(52);
    expect(summary[0]).toBe('NVD 1.1 feed (legacy), version 4.0');
    expect(summary[3]).toBe(`${items.filter((item) => item.configurations.nodes.length > 0).length} with configurations, 0 rejected`);
  });

  it('reads one raw cve file', async () => {
    const { records, summary } = await inspect(join(NVD, 'api-2.0', 'raw', '2023', 'CVE-2023-42363.json'));
    expect(records.map((record) => record.id)).toEqual(['CVE-2023-42363']);
    expect(summary.slice(0, 2)).toEqual(['one NVD 2.0 cve record', '1 CVE record']);
  });

  it('throws InputError for a file that is not NVD JSON', async () => {
    const file = join(temp, 'other.json');
    writeFileSync(file, '{"schema_version":"1.6.0","id":"GHSA-xxxx"}');
    await expect(inspect(file)).rejects.toBeInstanceOf(InputError);
  });
});
