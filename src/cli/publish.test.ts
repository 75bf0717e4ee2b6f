import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChecksums, parsePublicationIndex, readSigningKey } from '../formats/publication.js';
import { parseSecdb } from '../formats/secdb.js';
import { getDataVersion, openDatabase, withWriteLock } from '../store/index.js';
import { type TestStore, backends, openTestStore } from '../test-support/databases.js';
import { runCli } from '../test-support/cli.js';
import { repoPath } from '../test-support/paths.js';
import { PUBLISHED_EXPORTS, type PublishedExport, publish } from '../tracker/publish.js';

/*
 * `secfix publish` and `secfix verify` on the demo data of both databases, with throw-away RSA
 * keys named the way abuild names them; then a publication read back by `scan` (from the folder
 * and over HTTP) and `sync`, and refused by each once tampered with.
 */

const SYFT = repoPath('data', 'alpine-sample', 'apkindex', 'installed', 'syft-multiple-2.installed');
const KEY_NAME = 'security@example.org-5f0c3d21.rsa';

/** An RSA key pair: the private key in `dir/<name>` (PKCS#1 PEM, as older abuild-keygen wrote), the public key in `keys/<name>.pub`. */
function keyPair(dir: string, name: string, keys: string): string {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  mkdirSync(keys, { recursive: true });
  writeFileSync(join(dir, name), privateKey);
  writeFileSync(join(keys, `${name}.pub`), publicKey);
  return join(dir, name);
}

const filesOf = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length;

describe.each(backends)('%s secfix publish and verify', (backend) => {
  let store: TestStore;
  const dir = mkdtempSync(join(tmpdir(), `secfix-publish-${backend}-`));
  const keys = join(dir, 'keys');
  const key = keyPair(dir, KEY_NAME, keys);
  // A key the readers do not trust: its public key goes to a folder nobody passes.
  const stranger = keyPair(dir, 'someone@example.org-00000001.rsa', join(dir, 'other-keys'));
  const out = join(dir, 'public');
  const copy = (name: string) => {
    const target = join(dir, name);
    cpSync(out, target, { recursive: true });
    return target;
  };
  const db = () => ['--db', store.url];

  beforeAll(async () => {
    store = await openTestStore(backend, { contents: 'demo' });
    expect(await runCli(['publish', out, '--key', key, '--base-url', 'https://security.example.org/', ...db()])).toMatchObject({ status: 0, stderr: '' });
  });
  afterAll(() => store.dispose());

  it('writes every export, index.json and sha256sum-compatible SHA256SUMS, and verify accepts it', async () => {
    const index = parsePublicationIndex(readFileSync(join(out, 'index.json')), 'index.json');
    expect(index.key).toBe(`${KEY_NAME}.pub`);
    const paths = index.files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['secdb/3.16/main.json', 'secdb/3.17/community.json', 'osv/all.json', 'openvex.json', 'csaf/index.txt', 'csaf/changes.csv', 'security-index/3.16/x86_64.json', 'states.csv', 'states.json']));
    expect(new Set(index.files.map((file) => file.export))).toEqual(new Set(['secdb', 'security-index', 'osv', 'openvex', 'csaf', 'states']));
    const osvIndex = JSON.parse(readFileSync(join(out, 'osv', 'all.json'), 'utf8')) as { id: string }[];
    expect(paths.filter((path) => path.startsWith('osv/'))).toHaveLength(osvIndex.length + 1);
    const csafFiles = readFileSync(join(out, 'csaf', 'index.txt'), 'utf8').split('\n').filter((line) => line !== '');
    expect(csafFiles.length).toBeGreaterThan(0);
    expect(paths.filter((path) => path.startsWith('csaf/')).sort()).toEqual([...csafFiles.map((file) => `csaf/${file}`), 'csaf/changes.csv', 'csaf/index.txt'].sort());
    expect(parseSecdb(readFileSync(join(out, 'secdb', '3.16', 'main.json')), 'main.json').branch).toBe('3.16');
    const sums = readFileSync(join(out, 'SHA256SUMS'), 'utf8');
    expect([...parseChecksums(sums, 'SHA256SUMS').keys()]).toEqual([...paths, 'index.json'].sort());
    // The format sha256sum itself reads.
    expect(execFileSync('sha256sum', ['--check', '--strict', '--quiet', 'SHA256SUMS'], { cwd: out, encoding: 'utf8' })).toBe('');
    expect(filesOf(out)).toBe(paths.length + 3);

    const verified = await runCli(['verify', out, '--keys', keys]);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toBe(
      `verified ${out}: ${paths.length + 3} files, ${verified.stdout.split(', ')[1]!.split(' ')[0]} bytes, signed by ${KEY_NAME}.pub, data version ${index.dataVersion} (${index.generated})\n`,
    );
    expect(verified.stdout.split('\n')).toHaveLength(2);
  });

  it('gives the same bytes for the same data, replacing the older publication in place', async () => {
    const before = { sums: readFileSync(join(out, 'SHA256SUMS')), signature: readFileSync(join(out, 'SHA256SUMS.sig')), index: readFileSync(join(out, 'index.json')) };
    expect((await runCli(['publish', out, '--key', key, '--base-url', 'https://security.example.org', ...db()])).status).toBe(0);
    expect(readFileSync(join(out, 'SHA256SUMS'))).toEqual(before.sums);
    expect(readFileSync(join(out, 'SHA256SUMS.sig'))).toEqual(before.signature);
    expect(readFileSync(join(out, 'index.json'))).toEqual(before.index);
    // Nothing left beside it: no temporary or set-aside folder.
    expect(readdirSync(dir).filter((name) => name.includes('public'))).toEqual(['public']);
  });

  it.each([
    ['a changed file', (pub: string) => writeFileSync(join(pub, 'secdb', '3.16', 'main.json'), '{}\n'), 'secdb/3.16/main.json: SHA-256 '],
    ['a missing file', (pub: string) => rmSync(join(pub, 'openvex.json')), 'openvex.json: missing: SHA256SUMS lists it'],
    ['an extra file', (pub: string) => writeFileSync(join(pub, 'osv', 'EXTRA.json'), '{}'), 'osv/EXTRA.json: extra file not listed in SHA256SUMS'],
    ['a changed index', (pub: string) => writeFileSync(join(pub, 'index.json'), readFileSync(join(pub, 'index.json'), 'utf8').replace('"dataVersion": ', '"dataVersion": 1')), 'index.json: SHA-256 '],
    ['a changed SHA256SUMS', (pub: string) => writeFileSync(join(pub, 'SHA256SUMS'), readFileSync(join(pub, 'SHA256SUMS'), 'utf8').replace(/^./, (c) => (c === '0' ? '1' : '0'))), 'SHA256SUMS.sig: signature does not verify with trusted key'],
  ])('verify exits 2 naming the file for %s', async (what, damage, message) => {
    const pub = copy(`damaged-${what.replaceAll(' ', '-')}`);
    damage(pub);
    const result = await runCli(['verify', pub, '--keys', keys]);
    expect(result.status).toBe(2);
    expect(result.stderr.startsWith(`secfix: ${pub}/${message}`), result.stderr).toBe(true);
    expect(result.stdout).toBe('');
  });

  it('verify exits 2 for a publication signed by a key it does not trust', async () => {
    const pub = join(dir, 'stranger');
    expect((await runCli(['publish', pub, '--key', stranger, ...db()])).status).toBe(0);
    const result = await runCli(['verify', pub, '--keys', keys]);
    expect(result).toMatchObject({ status: 2, stdout: '' });
    expect(result.stderr).toBe(`secfix: ${pub}/SHA256SUMS.sig: signed by an unknown key (the index names someone@example.org-00000001.rsa.pub): no trusted key verifies it\n`);
  });

  it('a publish that fails part-way leaves the previous publication as it was', async () => {
    const sums = readFileSync(join(out, 'SHA256SUMS'));
    const broken = { name: 'broken', write: () => Promise.reject(new Error('export failed')) };
    const options = { store, distribution: 'Alpine Linux', baseUrl: undefined, osvPrefix: 'ALPINE-', purlNamespace: 'alpine', key: readSigningKey(readFileSync(key, 'utf8'), key), keyName: `${KEY_NAME}.pub` };
    // The failing export comes after the others have written their files, which differ from the
    // published ones (no base URL, so no advisory links): written in place, they would show.
    await expect(publish(out, { ...options, exports: [...PUBLISHED_EXPORTS, broken] })).rejects.toThrow('export failed');
    expect(readFileSync(join(out, 'SHA256SUMS'))).toEqual(sums);
    expect(readFileSync(join(out, 'openvex.json'), 'utf8')).toContain('https://security.example.org/export/openvex.json#');
    expect((await runCli(['verify', out, '--keys', keys])).status).toBe(0);
    expect(readdirSync(dir).filter((name) => name.includes('public'))).toEqual(['public']);
  });

  it('refuses to replace a folder that is not a publication, and a key that is not a private key', async () => {
    const other = join(dir, 'documents');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'keep me\n');
    const refused = await runCli(['publish', other, '--key', key, ...db()]);
    expect(refused).toMatchObject({ status: 2, stderr: `secfix: ${other}: is not empty and holds no SHA256SUMS: not a previous publication, so it is left alone\n` });
    expect(readFileSync(join(other, 'notes.txt'), 'utf8')).toBe('keep me\n');
    const publicKey = join(keys, `${KEY_NAME}.pub`);
    expect(await runCli(['publish', join(dir, 'x'), '--key', publicKey, ...db()])).toMatchObject({ status: 2, stderr: `secfix: ${publicKey}: not a PEM private key\n` });
  });

  it('scan reads the secdb files of a published folder, verified with --keys, and refuses a tampered one', async () => {
    const scan = (secdb: string) => runCli(['scan', '--installed', SYFT, '--branch', '3.16', '--secdb', secdb, '--keys', keys, '--format', 'json']);
    const plain = await runCli(['scan', '--installed', SYFT, '--branch', '3.16', '--secdb', join(out, 'secdb'), '--format', 'json']);
    const published = await scan(out);
    expect(published.status).toBe(plain.status);
    const report = JSON.parse(published.stdout) as { findings: unknown[]; securityData: { sources: string[] } };
    expect(report.securityData.sources).toEqual([join(out, 'secdb', '3.16', 'community.json'), join(out, 'secdb', '3.16', 'main.json')]);
    expect(report.findings).toEqual((JSON.parse(plain.stdout) as { findings: unknown[] }).findings);

    const tampered = copy('tampered-for-scan');
    const main = join(tampered, 'secdb', '3.16', 'main.json');
    writeFileSync(main, readFileSync(main, 'utf8').replace(/"secfixes": \{/, '"secfixes": { "99-r0": ["CVE-2099-0001"],'));
    const refused = await scan(tampered);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`^secfix: ${tampered}/secdb/3.16/main.json: SHA-256 [0-9a-f]{64} does not match`));
    const unknownKey = await runCli(['scan', '--installed', SYFT, '--branch', '3.16', '--secdb', join(dir, 'stranger'), '--keys', keys]);
    expect(unknownKey.status).toBe(2);
    expect(unknownKey.stderr).toContain('SHA256SUMS.sig: signed by an unknown key');
  });

  it('scan reads the security index of a published folder, verified with --keys: the upgrades --db advises, and refuses a tampered one', async () => {
    const upgrades = (stdout: string) => (JSON.parse(stdout) as { findings: { kind: string }[] }).findings.filter((finding) => finding.kind === 'upgrade');
    // An older curl than 3.16 publishes, which the published 7.83.1-r4 fixes.
    const installed = join(dir, 'installed-old-curl');
    writeFileSync(installed, ['curl', 'libcurl'].map((name) => `P:${name}\nV:7.83.1-r0\nA:x86_64\no:curl\n`).join('\n'));
    const fromDb = await runCli(['scan', '--installed', installed, '--branch', '3.16', ...db(), '--format', 'json']);
    const fromIndex = await runCli(['scan', '--installed', installed, '--branch', '3.16', '--index-url', out, '--keys', keys, '--format', 'json']);
    expect(fromIndex.stderr).toBe('');
    expect(upgrades(fromIndex.stdout).length).toBeGreaterThan(0);
    expect(upgrades(fromIndex.stdout)).toEqual(upgrades(fromDb.stdout));
    expect((JSON.parse(fromIndex.stdout) as { securityData: { sources: string[] } }).securityData.sources).toEqual([join(out, 'security-index', '3.16', 'x86_64.json')]);

    const tampered = copy('tampered-index');
    const file = join(tampered, 'security-index', '3.16', 'x86_64.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"packages":{', '"packages":{"zzz":{"repo":"main","version":"1-r0","binaries":["zzz"],"fixes":{},"notAffected":[]},'));
    const refused = await runCli(['scan', '--installed', SYFT, '--branch', '3.16', '--index-url', tampered, '--keys', keys]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`^secfix: ${file}: SHA-256 [0-9a-f]{64} does not match`));
  });

  it('scan reads a publication over HTTP', async () => {
    const server = createServer((request, response) => {
      try {
        response.end(readFileSync(join(out, ...decodeURIComponent(new URL(request.url!, 'http://x').pathname).split('/').slice(2))));
      } catch {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const url = `http://127.0.0.1:${port}/pub`;
      const result = await runCli(['scan', '--installed', SYFT, '--branch', '3.16', '--secdb', url, '--keys', keys, '--format', 'json']);
      expect(result.stderr).toBe('');
      expect((JSON.parse(result.stdout) as { securityData: { sources: string[] } }).securityData.sources).toEqual([`${url}/secdb/3.16/community.json`, `${url}/secdb/3.16/main.json`]);
    } finally {
      server.close();
    }
  });

  it('sync imports a repository from a published folder, and refuses it once tampered with', async () => {
    const target = await openTestStore(backend);
    try {
      const config = (publication: string) => {
        const file = join(dir, `sync-${publication.split('/').at(-1)}.yaml`);
        writeFileSync(file, `distribution: Test\nkeys: ${keys}\nbranches:\n  - name: "3.16"\n    architectures: [x86_64]\n    repositories:\n      - name: main\n        secdb: ${publication}\nnvd: []\n`);
        return file;
      };
      const synced = await runCli(['sync', '--config', config(out), '--db', target.url, '--json']);
      expect(synced.stderr).toBe('');
      const summary = JSON.parse(synced.stdout) as { sources: { kind: string; location: string; status: string; counts: { packages: number } }[] };
      const packages = parseSecdb(readFileSync(join(out, 'secdb', '3.16', 'main.json')), 'main.json').packages.length;
      expect(summary.sources).toEqual([expect.objectContaining({ kind: 'secdb', location: out, status: 'imported', counts: expect.objectContaining({ packages }) as unknown })]);

      const tampered = copy('tampered-for-sync');
      const main = join(tampered, 'secdb', '3.16', 'main.json');
      writeFileSync(main, readFileSync(main, 'utf8').replace(/"secfixes": \{/, '"secfixes": { "99-r0": ["CVE-2099-0001"],'));
      const refused = await runCli(['sync', '--config', config(tampered), '--db', target.url, '--json']);
      expect(refused.status).toBe(2);
      const failed = (JSON.parse(refused.stdout) as typeof summary).sources[0] as unknown as { status: string; error: string };
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(new RegExp(`^${main}: SHA-256 [0-9a-f]{64} does not match`));
    } finally {
      await target.dispose();
    }
  });
  it('makes every export from one snapshot: a write committed meanwhile shows in none', async () => {
    const other = await openDatabase(store.url);
    const versionNow = async () => String((await getDataVersion(store.db)).version);
    const before = await versionNow();
    // Each export writes the data version it reads; between them another connection commits a write.
    const reading = (name: string): PublishedExport => ({ name, write: async ({ store: { db } }, file) => file(`${name}.txt`, 'text/plain', String((await getDataVersion(db)).version)) });
    const writing: PublishedExport = { name: 'writer', write: () => withWriteLock(other, () => Promise.resolve()) };
    const options = { store, distribution: 'Alpine Linux', baseUrl: undefined, osvPrefix: 'ALPINE-', purlNamespace: 'alpine', key: readSigningKey(readFileSync(key, 'utf8'), key), keyName: `${KEY_NAME}.pub` };
    const snapshot = join(dir, 'snapshot');
    try {
      await publish(snapshot, { ...options, exports: [reading('first'), writing, reading('second')] });
    } finally {
      await other.close();
    }
    expect(await versionNow()).toBe(String(Number(before) + 1));
    expect([readFileSync(join(snapshot, 'first.txt'), 'utf8'), readFileSync(join(snapshot, 'second.txt'), 'utf8')]).toEqual([before, before]);
    expect(parsePublicationIndex(readFileSync(join(snapshot, 'index.json')), 'index.json').dataVersion).toBe(Number(before));
  });
});
