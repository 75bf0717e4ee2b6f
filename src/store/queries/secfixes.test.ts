import { beforeEach, describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import { ensureBranch, ensureRepository } from './branches.js';
import { startImportRun } from './import-runs.js';
import { type SecfixEntry, listSecfixes, listSecfixesByVulnerability, replaceSecfixes } from './secfixes.js';

const fix = (pkg: string, version: string, vulnerabilityId: string, note: string | null = null): SecfixEntry => ({
  package: pkg,
  version,
  vulnerabilityId,
  note,
});

const SECDB = [
  fix('curl', '8.4.0-r0', 'CVE-2023-38545'),
  fix('curl', '8.4.0-r0', 'CVE-2023-38546'),
  fix('zlib', '1.2.12-r2', 'CVE-2022-37434'),
  fix('zlib', '0', 'CVE-2023-45853', 'only affects minizip'),
];

describe.each(backends)('%s secfixes', (backend) => {
  const store = useTestStore(backend);
  let repositoryId: number;
  let runId: number;
  beforeEach(async () => {
    const { db } = store();
    repositoryId = await ensureRepository(db, await ensureBranch(db, '3.18'), 'main');
    runId = await startImportRun(db, { source: 'main.json', kind: 'secdb' });
  });

  it('replaces a repository from secdb, and the same file again changes nothing', async () => {
    const { db } = store();
    const scope = { repositoryId, source: 'secdb' as const };
    expect(await replaceSecfixes(db, scope, SECDB, runId)).toEqual({
      changedPackages: ['curl', 'zlib'],
      added: 4,
      removed: 0,
    });
    expect(await replaceSecfixes(db, scope, SECDB, null)).toEqual({ changedPackages: [], added: 0, removed: 0 });
    const rows = await db.selectFrom('secfix').select('import_run_id').execute();
    expect(rows.every((row) => row.import_run_id === runId)).toBe(true);

    const next = [...SECDB.slice(0, 2), fix('zlib', '0', 'CVE-2023-45853', 'minizip is not built'), fix('musl', '1.2.4-r2', 'CVE-2025-26519')];
    expect(await replaceSecfixes(db, scope, next, null)).toEqual({
      changedPackages: ['musl', 'zlib'],
      added: 1,
      removed: 1,
    });
    expect(await listSecfixes(db, repositoryId, ['zlib'])).toEqual([
      { repositoryId, package: 'zlib', version: '0', vulnerabilityId: 'CVE-2023-45853', note: 'minizip is not built', source: 'secdb' },
    ]);
  });

  it('replaces the aports rows of a repository without touching its secdb rows', async () => {
    const { db } = store();
    await replaceSecfixes(db, { repositoryId, source: 'secdb' }, SECDB, runId);
    const aports = { repositoryId, source: 'aports' as const };
    await replaceSecfixes(db, aports, [fix('zlib', '1.2.12-r2', 'CVE-2022-37434')], null);
    expect(await replaceSecfixes(db, aports, [fix('curl', '8.4.0-r0', 'CVE-2023-38545')], null)).toMatchObject({
      changedPackages: ['curl', 'zlib'],
      added: 1,
      removed: 1,
    });

    const all = await listSecfixes(db, repositoryId);
    expect(all.filter((row) => row.source === 'secdb')).toHaveLength(4);
    expect(all.filter((row) => row.source === 'aports').map((row) => row.package)).toEqual(['curl']);
  });

  it('lists secfixes by vulnerability across repositories', async () => {
    const { db } = store();
    const edgeMain = await ensureRepository(db, await ensureBranch(db, 'edge'), 'main');
    await replaceSecfixes(db, { repositoryId, source: 'secdb' }, SECDB, null);
    await replaceSecfixes(db, { repositoryId: edgeMain, source: 'secdb' }, SECDB.slice(0, 1), null);
    const found = await listSecfixesByVulnerability(db, ['CVE-2023-38545']);
    expect(found.map((row) => [row.repositoryId, row.package, row.version])).toEqual([
      [repositoryId, 'curl', '8.4.0-r0'],
      [edgeMain, 'curl', '8.4.0-r0'],
    ]);
  });
});
