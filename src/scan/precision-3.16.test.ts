import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../engine/scan-model.js';
import { type TestStore, backends, openTestStore } from '../test-support/databases.js';
import { secdbExport } from '../tracker/export.js';
import { V316_MAIN_SECDB, bundledRules, importV316 } from '../tracker/test-support/v316-sample.js';
import { recordTriage } from '../tracker/triage.js';
import { updateStates } from '../tracker/update.js';
import { listen } from '../web/listen.js';
import { type SecurityDataLoader, runScan, secdbLoader, serverLoader } from './run.js';
import { trackerSecurityData } from './tracker.js';

/*
 * What the tracker decided not affected on the real v3.16 main sample (all NVD files, the
 * bundled rules) is never advised by a scan, whichever way the scan reads the tracker's data.
 * curl 7.83.1-r4 as the index publishes it: NVD dates CVE-2023-38039 from 7.84.0, so the
 * 8.3.0-r0 secfixes line records an upgrade, not a fix the installed curl needs.
 */

const dir = mkdtempSync(join(tmpdir(), 'secfix-scan-precision-'));
const INSTALLED = join(dir, 'installed');
writeFileSync(INSTALLED, ['curl', 'libcurl'].map((name) => `P:${name}\nV:7.83.1-r4\nA:x86_64\no:curl\n`).join('\n'));

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
  const scan = (loadSecurityData: SecurityDataLoader) => runScan({ input: { installed: INSTALLED }, branch: '3.16', loadSecurityData, today: '2024-01-15' });
  const fromDatabase = () => scan((branch, origins) => trackerSecurityData(store.db, 'test database', branch, origins));

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
});
