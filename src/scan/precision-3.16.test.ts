import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../engine/scan-model.js';
import { type TestStore, backends, openTestStore } from '../test-support/databases.js';
import { parseSecurityIndex } from '../formats/security-index.js';
import { repoPath } from '../test-support/paths.js';
import { secdbExport } from '../tracker/export.js';
import { securityIndex } from '../tracker/security-index.js';
import { V316_MAIN_SECDB, bundledRules, importV316 } from '../tracker/test-support/v316-sample.js';
import { recordTriage } from '../tracker/triage.js';
import { updateStates } from '../tracker/update.js';
import { listen } from '../web/listen.js';
import { type SecurityDataLoader, runScan, secdbLoader, serverLoader } from './run.js';
import { securityIndexLoader } from './security-index.js';
import { trackerSecurityData } from './tracker.js';

/*
 * What the tracker decided not affected on the real v3.16 main sample (all NVD files, the
 * bundled rules) is never advised by a scan, whichever way the scan reads the tracker's data.
 * curl 7.83.1-r4 as the index publishes it: NVD dates CVE-2023-38039 from 7.84.0, so the
 * 8.3.0-r0 secfixes line records an upgrade, not a fix the installed curl needs.
 */

const dir = mkdtempSync(join(tmpdir(), 'secfix-scan-precision-'));
const INSTALLED = join(dir, 'installed');
const installedCurl = (version: string) => ['curl', 'libcurl'].map((name) => `P:${name}\nV:${version}\nA:x86_64\no:curl\n`).join('\n');
writeFileSync(INSTALLED, installedCurl('7.83.1-r4'));
/** An older curl, which the published 7.83.1-r4 fixes. */
const INSTALLED_OLD = join(dir, 'installed-old');
writeFileSync(INSTALLED_OLD, installedCurl('7.83.1-r0'));
const SAMPLE_INSTALLED = ['go-apk-root', 'syft-multiple-2', 'trivy-apk'].map((name) => repoPath('data', 'alpine-sample', 'apkindex', 'installed', `${name}.installed`));

/** The ids every finding names, by kind. */
const idsByKind = (findings: readonly Finding[]) => Object.fromEntries(findings.map((finding) => [finding.kind, finding.vulnerabilities.map((v) => v.id)]));
const allIds = (findings: readonly Finding[]) => findings.flatMap((finding) => finding.vulnerabilities.map((v) => v.id));

describe.each(backends)('%s v3.16 main: scans leave out what the tracker holds not affected', (backend) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(backend);
    await importV316(store);
    await updateStates(store, { full: false, rules: await bundledRules() });
  });
  afterAll(async () => {
    await store?.dispose();
  });
  const scan = (loadSecurityData: SecurityDataLoader, installed = INSTALLED) => runScan({ input: { installed }, branch: '3.16', loadSecurityData, today: '2024-01-15' });
  const databaseLoader: SecurityDataLoader = (branch, origins) => trackerSecurityData(store.db, 'test database', branch, origins);
  const fromDatabase = () => scan(databaseLoader);

  it('does not advise the introduced-after fixes of curl, from the database or the API, and still advises the later real ones', async () => {
    const report = await fromDatabase();
    const ids = allIds(report.findings);
    for (const id of ['CVE-2023-27537', 'CVE-2023-38039', 'CVE-2023-46219']) expect(ids, id).not.toContain(id);
    // 7.83.1-r5 fixes CVE-2022-43551 for 7.83.1: the index does not publish it yet.
    expect(idsByKind(report.findings)['fix-not-published']).toContain('CVE-2022-43551');
    const server = await listen(store, { port: 0, host: '127.0.0.1', site: { distribution: 'test' }, rateLimitPerMinute: false });
    try {
      expect((await scan(serverLoader(server.address))).findings).toEqual(report.findings);
    } finally {
      await server.close();
    }
  });

  it('leaves out a triage not-affected decision, and a secdb exported from the tracker says the same under "0"', async () => {
    const before = allIds((await fromDatabase()).findings);
    expect(before).toContain('CVE-2022-43551');
    await recordTriage(store, { packages: ['curl'], vulnerabilities: ['CVE-2022-43551'], status: 'not-affected', justification: 'vulnerable-code-not-present' }, 'ann@example.org');
    const after = await fromDatabase();
    expect(allIds(after.findings).sort()).toEqual(before.filter((id) => id !== 'CVE-2022-43551').sort());
    // The exported secdb writes the decision under "0" in place of its fix line; a secdb scan honours it.
    const secdb = join(dir, `${backend}-main.json`);
    writeFileSync(secdb, await secdbExport(store, '3.16', 'main'));
    expect(allIds((await scan(secdbLoader([V316_MAIN_SECDB]))).findings)).toContain('CVE-2022-43551');
    const fromSecdb = await scan(secdbLoader([secdb]));
    expect(fromSecdb.findings.length).toBeGreaterThan(0);
    expect(allIds(fromSecdb.findings)).not.toContain('CVE-2022-43551');
  });

  it("lists the same security upgrades from the tracker's security index, served or exported, as from the database", async () => {
    const upgrades = (findings: readonly Finding[]) => findings.filter((finding) => finding.kind === 'upgrade');
    const server = await listen(store, { port: 0, host: '127.0.0.1', site: { distribution: 'test' }, rateLimitPerMinute: false });
    try {
      const url = `${server.address}/api/branch/3.16/security-index?arch=x86_64`;
      const served = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
      expect(served.status).toBe(200);
      expect(served.headers.get('etag')).toMatch(/^W\/"\d+-security-index"$/);
      const text = await served.text();
      const file = join(dir, `${backend}-security-index.json`);
      writeFileSync(file, await securityIndex(store.db, '3.16', 'x86_64'));
      expect(readFileSync(file, 'utf8')).toBe(text);
      const curl = parseSecurityIndex(text, url).packages.get('curl');
      // Only published fixes: curl's 7.83.1-r5 and 8.x lines are not in the index; CVE-2023-38039 is not affected.
      expect(curl).toMatchObject({ repo: 'main', version: '7.83.1-r4' });
      expect(curl?.binaries).toEqual(expect.arrayContaining(['curl', 'libcurl']));
      expect(curl?.fixes.get('7.83.1-r4')).toEqual(['CVE-2022-32221', 'CVE-2022-42915', 'CVE-2022-42916']);
      expect([...(curl?.fixes.keys() ?? [])].filter((version) => version.startsWith('8.') || version === '7.83.1-r5')).toEqual([]);
      expect(curl?.notAffected).toEqual(expect.arrayContaining(['CVE-2021-22897', 'CVE-2022-43551', 'CVE-2023-38039']));
      let upgradesSeen = 0;
      for (const installed of [INSTALLED_OLD, INSTALLED, ...SAMPLE_INSTALLED]) {
        const fromDb = upgrades((await scan(databaseLoader, installed)).findings);
        upgradesSeen += fromDb.length;
        expect(upgrades((await scan(securityIndexLoader(url), installed)).findings), installed).toEqual(fromDb);
        expect(upgrades((await scan(securityIndexLoader(file), installed)).findings), installed).toEqual(fromDb);
      }
      expect(upgradesSeen).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});
