import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearDirty, listDirty, listRejectionsFromSource } from '../store/index.js';
import { backends, useTestStore } from '../test-support/databases.js';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { importRejections } from './import-rejections.js';
import { dataDigest } from './test-support/store-digest.js';

const REJECTIONS = `# Windows only
curl:
  - CVE-2023-38546
  # not built with the SMB backend
  - CVE-2023-28319 see upstream advisory
zlib:
  - CVE-2018-25032
`;

describe.each(backends)('%s importRejections', (backend) => {
  const store = useTestStore(backend);
  const dir = mkdtempSync(join(tmpdir(), `secfix-import-rejections-${backend}-`));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('stores each listed id with its rationale, for every branch by default', async () => {
    const file = write('all.yaml', REJECTIONS);
    const summary = await importRejections(store(), { location: file });
    expect(summary.counts).toMatchObject({ rejections: 3, added: 3, changedPackages: 2 });
    const stored = await listRejectionsFromSource(store().db, file);
    expect(stored.map((row) => [row.package, row.vulnerabilityId, row.branches, row.rationale])).toEqual([
      ['curl', 'CVE-2023-28319', null, 'Windows only\nnot built with the SMB backend\nsee upstream advisory'],
      ['curl', 'CVE-2023-38546', null, 'Windows only'],
      ['zlib', 'CVE-2018-25032', null, null],
    ]);
    expect(await listDirty(store().db, 'package')).toEqual(['*:curl', '*:zlib']);
  });

  it('limits rejections to the given branches, marking those branches and the ones they held before', async () => {
    const file = write('branches.yaml', REJECTIONS);
    await importRejections(store(), { location: file, branches: ['v3.16'] });
    expect((await listRejectionsFromSource(store().db, file))[0]?.branches).toEqual(['3.16']);
    expect(await listDirty(store().db, 'package')).toEqual(['3.16:curl', '3.16:zlib']);
    await clearDirty(store().db, 'package', await listDirty(store().db, 'package'));
    await importRejections(store(), { location: file, branches: ['3.17'] });
    expect(await listDirty(store().db, 'package')).toEqual(['3.16:curl', '3.16:zlib', '3.17:curl', '3.17:zlib']);
  });

  it('skips an unchanged file; an edited file keeps the first-import time of the rejections it still lists', async () => {
    const file = write('edited.yaml', REJECTIONS);
    await importRejections(store(), { location: file });
    const before = await dataDigest(store());
    expect((await importRejections(store(), { location: file })).status).toBe('unchanged');
    expect(await dataDigest(store())).toBe(before);

    const firstTimes = new Map((await listRejectionsFromSource(store().db, file)).map((row) => [row.vulnerabilityId, row.createdAt]));
    await clearDirty(store().db, 'package', await listDirty(store().db, 'package'));
    writeFileSync(file, REJECTIONS.replace('zlib:\n  - CVE-2018-25032\n', ''));
    const summary = await importRejections(store(), { location: file });
    expect(summary.counts).toMatchObject({ added: 0, removed: 1, updated: 0, changedPackages: 1 });
    expect(await listDirty(store().db, 'package')).toEqual(['*:zlib']);
    for (const row of await listRejectionsFromSource(store().db, file)) expect(row.createdAt).toBe(firstTimes.get(row.vulnerabilityId));
  });

  it('names the line of bad YAML and writes nothing', async () => {
    const file = write('bad.yaml', 'curl: CVE-2023-38546\n');
    const before = await dataDigest(store());
    const error = await inputErrorFromAsync(() => importRejections(store(), { location: file }));
    expect(error.message).toBe(`${file}: line 1: expected a list of ids for "curl", found a string`);
    expect(await dataDigest(store())).toBe(before);
  });
});
