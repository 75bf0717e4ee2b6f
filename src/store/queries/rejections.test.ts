import { describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import type { VexJustification } from '../schema.js';
import { type RejectionEntry, listRejections, listRejectionsFromSource, replaceRejections } from './rejections.js';

const reject = (pkg: string, vulnerabilityId: string, overrides: Partial<RejectionEntry> = {}): RejectionEntry => ({
  package: pkg,
  vulnerabilityId,
  branches: null,
  justification: 'vulnerable_code_not_present',
  rationale: 'Windows-only code',
  author: 'alice',
  createdAt: '2024-01-01T00:00:00.000Z',
  ...overrides,
});

const FILE = [reject('curl', 'CVE-2023-1'), reject('zlib', 'CVE-2023-2', { branches: ['3.17', '3.18'] })];

describe.each(backends)('%s rejections', (backend) => {
  const store = useTestStore(backend);

  it('replaces a source, and the same file again changes nothing', async () => {
    const { db } = store();
    expect(await replaceRejections(db, 'rejections.yaml', FILE)).toEqual({
      changedPackages: ['curl', 'zlib'],
      added: 2,
      removed: 0,
      updated: 0,
    });
    expect(await replaceRejections(db, 'rejections.yaml', FILE)).toEqual({
      changedPackages: [],
      added: 0,
      removed: 0,
      updated: 0,
    });
    const next = [reject('zlib', 'CVE-2023-2', { branches: null, justification: null }), reject('musl', 'CVE-2023-3')];
    expect(await replaceRejections(db, 'rejections.yaml', next)).toEqual({
      changedPackages: ['curl', 'musl', 'zlib'],
      added: 1,
      removed: 1,
      updated: 1,
    });
    const [zlib] = await listRejections(db, ['zlib']);
    expect(zlib).toMatchObject({ branches: null, justification: null, source: 'rejections.yaml' });
  });

  it('keeps other sources and lists every source per package', async () => {
    const { db } = store();
    await replaceRejections(db, 'rejections.yaml', FILE);
    await replaceRejections(db, 'web', [reject('curl', 'CVE-2023-1', { author: 'bob' })]);
    await replaceRejections(db, 'rejections.yaml', []);
    const rows = await listRejections(db, ['curl', 'zlib']);
    expect(rows.map((row) => [row.package, row.source, row.author])).toEqual([['curl', 'web', 'bob']]);
  });

  it('reads branch lists back as arrays', async () => {
    const { db } = store();
    await replaceRejections(db, 'rejections.yaml', FILE);
    const [zlib] = await listRejections(db, ['zlib']);
    expect(zlib?.branches).toEqual(['3.17', '3.18']);
  });

  it('refuses a justification outside the VEX list', async () => {
    const { db } = store();
    const invalid = reject('curl', 'CVE-1', { justification: 'because' as VexJustification });
    await expect(replaceRejections(db, 'rejections.yaml', [invalid])).rejects.toThrow();
  });
  it('lists the rejections of one source only', async () => {
    const { db } = store();
    await replaceRejections(db, 'rejections.yaml', FILE);
    await replaceRejections(db, 'web', [reject('musl', 'CVE-2023-3')]);
    const rows = await listRejectionsFromSource(db, 'rejections.yaml');
    expect(rows.map((row) => [row.package, row.vulnerabilityId, row.branches])).toEqual([
      ['curl', 'CVE-2023-1', null],
      ['zlib', 'CVE-2023-2', ['3.17', '3.18']],
    ]);
    expect(await listRejectionsFromSource(db, 'absent.yaml')).toEqual([]);
  });
});
