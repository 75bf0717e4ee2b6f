import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../base/input-error.js';
import { rejectionsReader } from './rejections.js';

const options = { keysDir: undefined, allowUntrusted: false };
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'secfix-inspect-rejections-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('rejectionsReader', () => {
  it('emits one record per rejected id and counts them', async () => {
    // Shape of prior-art-secfixes-tracker.md section 9.3.
    const file = join(directory, 'main.yaml');
    await writeFile(file, '# CVE is for the unrelated web admin plugin\ndnsmasq:\n  - CVE-2021-45951\n  - CVE-2021-45952\nnginx:\n  - ALPINE-1\n');
    const records: unknown[] = [];
    const summary = await rejectionsReader.inspect(file, options, (record) => records.push(record));
    expect(records).toEqual([
      { package: 'dnsmasq', id: 'CVE-2021-45951', kind: 'cve', rationale: 'CVE is for the unrelated web admin plugin' },
      { package: 'dnsmasq', id: 'CVE-2021-45952', kind: 'cve', rationale: 'CVE is for the unrelated web admin plugin' },
      { package: 'nginx', id: 'ALPINE-1', kind: 'alpine' },
    ]);
    expect(summary).toEqual(['3 rejected ids for 2 packages (1 non-CVE ids)', '2 with a rationale comment']);
  });

  it('reports the old tracker test input that crashed it (prior-art 3.3) as InputError with a line', async () => {
    const file = join(directory, 'bad.yaml');
    await writeFile(file, 'sample_package: CVE-1234\ninvalid_syntax:\n');
    const error: unknown = await rejectionsReader.inspect(file, options, () => undefined).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ source: file, place: 'line 1' });
  });
});
