import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseApkIndexText } from '../formats/apkindex.js';
import { InputError } from '../base/input-error.js';
import { clearDirty, listBranches, listDirty, listImportRuns, listPublishedVersions } from '../store/index.js';
import { backends, useTestStore } from '../test-support/databases.js';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { repoPath } from '../test-support/paths.js';
import { importApkIndex } from './import-apkindex.js';
import { dataDigest } from './test-support/store-digest.js';

const SAMPLE = repoPath('data', 'alpine-sample', 'apkindex', 'v3.16-main-x86_64');
const ARCHIVE = join(SAMPLE, 'APKINDEX.tar.gz');
const KEYS = repoPath('data', 'alpine-sample', 'keys');
const dir = mkdtempSync(join(tmpdir(), 'secfix-import-apkindex-'));

function stanza(name: string, version: string, origin: string, arch = 'x86_64'): string {
  return `P:${name}\nV:${version}\nA:${arch}\no:${origin}\nm:Jane Doe <jane@example.org>\nt:1667000000\nc:abc123\n\n`;
}

function writeIndex(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe.each(backends)('%s importApkIndex', (backend) => {
  const store = useTestStore(backend);

  it('imports the signed v3.16 index: every origin version as the extracted APKINDEX lists it', async () => {
    const summary = await importApkIndex(store(), { branch: 'v3.16', repo: 'main', location: ARCHIVE, keysDir: KEYS });
    expect(summary).toMatchObject({ kind: 'apkindex', source: ARCHIVE, status: 'imported' });
    // 4929 entries, 1543 distinct (origin, version) pairs, 1543 origins (one version each): the extracted text.
    expect(summary.counts).toMatchObject({ packages: 4929, originVersions: 1543, versionsAdded: 1543, changedOrigins: 1543 });

    const expected = new Map<string, { version: string; maintainer: string | null; buildTime: string | null; commit: string | null }>();
    for (const pkg of parseApkIndexText(readFileSync(join(SAMPLE, 'APKINDEX'), 'utf8'), 'APKINDEX')) {
      expected.set(`${pkg.origin} ${pkg.version ?? ''}`, {
        version: pkg.version ?? '',
        maintainer: pkg.maintainer ?? null,
        buildTime: pkg.buildTime === undefined ? null : new Date(pkg.buildTime * 1000).toISOString(),
        commit: pkg.commit ?? null,
      });
    }
    const [branch] = await listBranches(store().db);
    expect(branch).toMatchObject({ name: '3.16', archs: ['x86_64'], repositories: [{ name: 'main' }] });
    const published = await listPublishedVersions(store().db, branch?.repositories[0]?.id ?? -1);
    expect(published).toHaveLength(expected.size);
    for (const row of published) {
      const { maintainer, buildTime, commit } = row;
      const want = expected.get(`${row.origin} ${row.version}`);
      expect(want, `${row.origin} ${row.version}`).toBeDefined();
      expect({ maintainer, buildTime, commit }).toEqual({ maintainer: want?.maintainer, buildTime: want?.buildTime, commit: want?.commit });
    }
    expect(published.find((row) => row.origin === 'zlib')?.version).toBe('1.2.12-r3');
    const dirty = await listDirty(store().db, 'package');
    expect(dirty).toHaveLength(1543);
    expect(dirty).toContain('3.16:zlib');
  });

  it('skips the same file the second time and writes nothing', async () => {
    await importApkIndex(store(), { branch: '3.16', repo: 'main', location: ARCHIVE, keysDir: KEYS });
    const before = await dataDigest(store());
    const again = await importApkIndex(store(), { branch: '3.16', repo: 'main', location: ARCHIVE, keysDir: KEYS });
    expect(again).toMatchObject({ status: 'unchanged', counts: {} });
    expect(await dataDigest(store())).toBe(before);
    expect((await listImportRuns(store().db, 1))[0]).toMatchObject({ id: again.importRunId, status: 'unchanged' });
  });

  /** What branch 3.16's main repository publishes, as `origin version maintainer build-time commit`. */
  async function published316(): Promise<string[]> {
    const main = (await listBranches(store().db)).find((branch) => branch.name === '3.16')?.repositories.find((repo) => repo.name === 'main');
    const rows = await listPublishedVersions(store().db, main?.id ?? -1);
    return rows.map((row) => [row.origin, row.version, row.maintainer, row.buildTime, row.commit].join(' ')).sort();
  }

  it('imports an index again when another index replaced its repository and architecture since (A, B, A)', async () => {
    const plain = join(SAMPLE, 'APKINDEX');
    const stanzas = readFileSync(plain, 'utf8').split(/\n\n/).filter((text) => text.trim() !== '');
    const trimmed = writeIndex(`trimmed-${backend}`, `${stanzas.slice(0, 40).join('\n\n')}\n\n`);

    expect((await importApkIndex(store(), { branch: '3.16', repo: 'main', location: plain })).counts).toMatchObject({ packages: 4929 });
    const publishedByA = await published316();
    expect(publishedByA).toHaveLength(1543);
    const replaced = await importApkIndex(store(), { branch: '3.16', repo: 'main', location: trimmed });
    expect(replaced).toMatchObject({ status: 'imported', counts: { packages: 40 } });
    expect((await published316()).length).toBeLessThan(1543);

    const again = await importApkIndex(store(), { branch: '3.16', repo: 'main', location: plain });
    expect(again).toMatchObject({ status: 'imported', counts: { packages: 4929 } });
    expect(await published316()).toEqual(publishedByA);
    expect(await importApkIndex(store(), { branch: '3.16', repo: 'main', location: plain })).toMatchObject({ status: 'unchanged' });
    expect((await listImportRuns(store().db, 1))[0]).toMatchObject({ status: 'unchanged', target: 'apkindex:3.16/main/x86_64' });
  });

  it('still skips an unchanged index after indexes of other branches (A, C, A)', async () => {
    const plain = join(SAMPLE, 'APKINDEX');
    const other = repoPath('data', 'alpine-sample', 'apkindex', 'v3.17-main-aarch64', 'APKINDEX');
    expect((await importApkIndex(store(), { branch: '3.16', repo: 'main', location: plain })).status).toBe('imported');
    expect((await importApkIndex(store(), { branch: '3.16', repo: 'main', location: plain })).status).toBe('unchanged');
    expect((await importApkIndex(store(), { branch: '3.17', repo: 'main', location: other })).status).toBe('imported');
    const before = await dataDigest(store());
    expect(await importApkIndex(store(), { branch: '3.16', repo: 'main', location: plain })).toMatchObject({ status: 'unchanged', counts: {} });
    expect(await dataDigest(store())).toBe(before);
    expect((await listImportRuns(store().db, 2)).map((run) => run.target)).toEqual(['apkindex:3.16/main/x86_64', 'apkindex:3.17/main/aarch64']);
  });

  it('imports the same file for another branch: the branch is part of what was imported', async () => {
    await importApkIndex(store(), { branch: '3.16', repo: 'main', location: ARCHIVE, keysDir: KEYS });
    const other = await importApkIndex(store(), { branch: '3.17', repo: 'main', location: ARCHIVE, keysDir: KEYS });
    expect(other.status).toBe('imported');
    expect((await listBranches(store().db)).map((branch) => branch.name)).toEqual(['3.16', '3.17']);
  });

  it('refuses a signature that does not verify and writes nothing', async () => {
    // A key file under the name the index was signed with, holding another key: a bad signature.
    const keys = join(dir, `bad-keys-${backend}`);
    mkdirSync(keys, { recursive: true });
    copyFileSync(repoPath('fixtures', 'apk-tools', 'derived', 'signed-index', 'test@example.org-1234.rsa.pub'), join(keys, 'alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub'));
    const before = await dataDigest(store());
    const error = await inputErrorFromAsync(() => importApkIndex(store(), { branch: '3.16', repo: 'main', location: ARCHIVE, keysDir: keys }));
    expect(error.source).toBe(ARCHIVE);
    expect(error.problem).toMatch(/signature/i);
    expect(await dataDigest(store())).toBe(before);
    expect((await listImportRuns(store().db, 1))[0]).toMatchObject({ status: 'failed', error: error.message });
  });

  it('refuses a signed index without keys or --allow-untrusted, and accepts it with --allow-untrusted', async () => {
    await expect(importApkIndex(store(), { branch: '3.16', repo: 'main', location: ARCHIVE })).rejects.toThrow(/--keys DIR/);
    const accepted = await importApkIndex(store(), { branch: '3.16', repo: 'main', location: ARCHIVE, allowUntrusted: true });
    expect(accepted.counts['packages']).toBe(4929);
  });

  it('marks only the origins whose versions or binaries changed, keeps invalid versions and counts them', async () => {
    const first = writeIndex(
      'first',
      stanza('zlib', '1.2.12-r3', 'zlib') + stanza('zlib-dev', '1.2.12-r3', 'zlib') + stanza('musl', '1.2.3-r2', 'musl') + stanza('xz', '5.2.5-r1', 'xz'),
    );
    await importApkIndex(store(), { branch: 'edge', repo: 'community', location: first });
    await clearDirty(store().db, 'package', await listDirty(store().db, 'package'));
    // musl moves to another version, zlib drops zlib-dev at the same version, xz stays as it was.
    const second = writeIndex('second', stanza('zlib', '1.2.12-r3', 'zlib') + stanza('musl', '1.2.3_bad!-r2', 'musl') + stanza('xz', '5.2.5-r1', 'xz'));
    const summary = await importApkIndex(store(), { branch: 'edge', repo: 'community', location: second });
    expect(summary.counts).toMatchObject({ packages: 3, originVersions: 3, versionsAdded: 1, versionsRemoved: 1, invalidVersions: 1 });
    expect(await listDirty(store().db, 'package')).toEqual(['edge:musl', 'edge:zlib']);
    const [branch] = await listBranches(store().db);
    const published = await listPublishedVersions(store().db, branch?.repositories[0]?.id ?? -1);
    expect(published.map((row) => [row.origin, row.version])).toEqual([['musl', '1.2.3_bad!-r2'], ['xz', '5.2.5-r1'], ['zlib', '1.2.12-r3']]);
  });

  it('refuses an index with several architectures, naming the file', async () => {
    const mixed = writeIndex('mixed', stanza('zlib', '1.2.12-r3', 'zlib') + stanza('zlib', '1.2.12-r3', 'zlib', 'aarch64'));
    const before = await dataDigest(store());
    const error = await inputErrorFromAsync(() => importApkIndex(store(), { branch: 'edge', repo: 'main', location: mixed }));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(`${mixed}: lists packages of several architectures (aarch64, x86_64); import one index per architecture`);
    expect(await dataDigest(store())).toBe(before);
  });
});
