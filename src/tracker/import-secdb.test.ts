import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearDirty, listBranches, listDirty, listImportRuns, listSecfixes } from '../store/index.js';
import { backends, useTestStore } from '../test-support/databases.js';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { repoPath } from '../test-support/paths.js';
import { importSecdb } from './import-secdb.js';
import { dataDigest } from './test-support/store-digest.js';

const MAIN = repoPath('data', 'alpine-sample', 'secdb', 'v3.16', 'main.json');
const COMMUNITY = repoPath('data', 'alpine-sample', 'secdb', 'v3.16', 'community.json');
const MAIN_3_17 = repoPath('data', 'alpine-sample', 'secdb', 'v3.17', 'main.json');
const dir = mkdtempSync(join(tmpdir(), 'secfix-import-secdb-'));

interface SecdbFile {
  packages: { pkg: { name: string; secfixes: Record<string, string[] | null> | null } }[];
}

/** `package version id note` for every entry of the file, read with plain JSON.parse. */
function expectedRows(path: string): string[] {
  const document = JSON.parse(readFileSync(path, 'utf8')) as SecdbFile;
  const rows = document.packages.flatMap(({ pkg }) =>
    Object.entries(pkg.secfixes ?? {}).flatMap(([version, ids]) =>
      (ids ?? []).map((entry) => {
        const [id = '', ...note] = entry.trim().split(/\s+/);
        return `${pkg.name} ${version} ${id} ${note.join(' ')}`.trimEnd();
      }),
    ),
  );
  return [...new Set(rows)].sort();
}

describe.each(backends)('%s importSecdb', (backend) => {
  const store = useTestStore(backend);

  it('imports every (package, version, id) of the v3.16 main file, "0" entries and notes included', async () => {
    const summary = await importSecdb(store(), { location: MAIN });
    expect(summary).toMatchObject({ kind: 'secdb', status: 'imported' });
    expect(summary.counts).toMatchObject({ packages: 68, secfixes: 1317, added: 1317, removed: 0, changedPackages: 68 });
    const [branch] = await listBranches(store().db);
    expect(branch).toMatchObject({ name: '3.16', repositories: [{ name: 'main' }] });
    const stored = await listSecfixes(store().db, branch?.repositories[0]?.id ?? -1);
    const rows = stored.map((row) => `${row.package} ${row.version} ${row.vulnerabilityId} ${row.note ?? ''}`.trimEnd()).sort();
    expect(rows).toEqual(expectedRows(MAIN));
    expect(stored.every((row) => row.source === 'secdb')).toBe(true);
    expect(rows).toContain('zlib 0 CVE-2023-45853');
    expect(await listDirty(store().db, 'package')).toContain('3.16:zlib');
  });

  it('creates the repository a file names and skips an unchanged file', async () => {
    await importSecdb(store(), { location: MAIN });
    await importSecdb(store(), { location: COMMUNITY });
    expect((await listBranches(store().db))[0]?.repositories.map((repository) => repository.name)).toEqual(['community', 'main']);
    const before = await dataDigest(store());
    expect(await importSecdb(store(), { location: MAIN })).toMatchObject({ status: 'unchanged', counts: {} });
    expect(await dataDigest(store())).toBe(before);
  });

  /** Every stored secfix of branch 3.16's main repository, as `package version id`. */
  async function mainRows(): Promise<string[]> {
    const main = (await listBranches(store().db)).find((branch) => branch.name === '3.16')?.repositories.find((repo) => repo.name === 'main');
    const stored = await listSecfixes(store().db, main?.id ?? -1);
    return stored.map((row) => `${row.package} ${row.version} ${row.vulnerabilityId}`).sort();
  }

  it('imports a file again when another file replaced its repository since (A, B, A)', async () => {
    const document = JSON.parse(readFileSync(MAIN, 'utf8')) as SecdbFile;
    const trimmed = join(dir, `trimmed-${backend}.json`);
    writeFileSync(trimmed, JSON.stringify({ ...document, packages: document.packages.slice(0, 5) }));

    expect((await importSecdb(store(), { location: MAIN })).counts).toMatchObject({ secfixes: 1317 });
    const rowsOfMain = await mainRows();
    expect(rowsOfMain).toHaveLength(1317);
    const replaced = await importSecdb(store(), { location: trimmed });
    expect(replaced.status).toBe('imported');
    expect(await mainRows()).toHaveLength(replaced.counts['secfixes'] ?? -1);
    expect(replaced.counts['secfixes']).toBeLessThan(1317);

    const again = await importSecdb(store(), { location: MAIN });
    expect(again).toMatchObject({ status: 'imported', counts: { secfixes: 1317 } });
    expect(await mainRows()).toEqual(rowsOfMain);
    expect(await importSecdb(store(), { location: MAIN })).toMatchObject({ status: 'unchanged' });
    expect((await listImportRuns(store().db, 1))[0]).toMatchObject({ status: 'unchanged', target: 'secdb:3.16/main' });
  });

  it('still skips an unchanged file after files of other repositories (A, C, A)', async () => {
    expect((await importSecdb(store(), { location: MAIN })).status).toBe('imported');
    expect((await importSecdb(store(), { location: MAIN })).status).toBe('unchanged');
    expect((await importSecdb(store(), { location: MAIN_3_17 })).status).toBe('imported');
    const before = await dataDigest(store());
    expect(await importSecdb(store(), { location: MAIN })).toMatchObject({ status: 'unchanged', counts: {} });
    expect(await dataDigest(store())).toBe(before);
    expect((await listImportRuns(store().db, 3)).map((run) => run.target)).toEqual(['secdb:3.16/main', 'secdb:3.17/main', 'secdb:3.16/main']);
  });

  it('marks only the packages whose secfixes changed', async () => {
    await importSecdb(store(), { location: MAIN });
    await clearDirty(store().db, 'package', await listDirty(store().db, 'package'));
    const document = JSON.parse(readFileSync(MAIN, 'utf8')) as SecdbFile;
    const zlib = document.packages.find(({ pkg }) => pkg.name === 'zlib')?.pkg;
    if (!zlib?.secfixes) throw new Error('zlib has secfixes in the sample');
    zlib.secfixes['0'] = [];
    const edited = join(dir, `edited-${backend}.json`);
    writeFileSync(edited, JSON.stringify(document));
    const summary = await importSecdb(store(), { location: edited });
    expect(summary.counts).toMatchObject({ added: 0, removed: 1, changedPackages: 1 });
    expect(await listDirty(store().db, 'package')).toEqual(['3.16:zlib']);
  });

  it('reports a bad entry with its JSON path, writes nothing and records the failed run', async () => {
    await importSecdb(store(), { location: COMMUNITY });
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"distroversion":"v3.16","reponame":"main","packages":[{"pkg":{"name":"zlib","secfixes":{"1.2-r0":["CVE-2022-37434",7]}}}]}');
    const before = await dataDigest(store());
    const error = await inputErrorFromAsync(() => importSecdb(store(), { location: broken }));
    expect(error.message).toMatch(new RegExp(`^${broken}: \\$\\.packages\\[0\\]\\.pkg\\.secfixes\\["1\\.2-r0"\\]\\[1\\]: `));
    expect(await dataDigest(store())).toBe(before);
    expect((await listImportRuns(store().db, 1))[0]).toMatchObject({ kind: 'secdb', status: 'failed', error: error.message });
  });
});
