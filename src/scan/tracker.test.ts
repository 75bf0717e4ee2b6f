import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MappingRules } from '../engine/index.js';
import { loadMappingRules } from '../sources/config.js';
import { ensureBranch } from '../store/index.js';
import { backends, useTestStore } from '../test-support/databases.js';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { repoPath } from '../test-support/paths.js';
import type { Finding } from '../engine/scan-model.js';
import { listen } from '../web/listen.js';
import { runScan, serverLoader } from './run.js';
import { importV316Tracker } from './test-support/tracker-data.js';
import { type TriageRequest, recordTriage } from '../tracker/triage.js';
import { trackerSecurityData } from './tracker.js';

const S = ['data', 'alpine-sample'];
const SYFT = repoPath(...S, 'apkindex', 'installed', 'syft-multiple-2.installed');
const dir = mkdtempSync(join(tmpdir(), 'secfix-scan-tracker-'));
let rules: MappingRules;
beforeAll(async () => {
  rules = await loadMappingRules();
});

const brief = (findings: readonly Finding[]) => findings.map((finding) => [finding.kind, finding.origin, finding.targetVersion ?? null, finding.vulnerabilities.map((v) => v.id)]);

/** The ten v3.16 openssl ids fixed after syft's 1.1.1q-r0 (advise.test.ts derives them). */
const OPENSSL_IDS = ['CVE-2022-4304', 'CVE-2022-4450', 'CVE-2023-0215', 'CVE-2023-0286', 'CVE-2023-0464', 'CVE-2023-0465', 'CVE-2023-2650', 'CVE-2023-3446', 'CVE-2023-3817', 'CVE-2023-5678'];

describe.each(backends)('%s tracker-backed scan', (backend) => {
  const store = useTestStore(backend);

  const importV316 = (rejections?: string) => importV316Tracker(store(), rules, rejections);

  const scan = (branch = '3.16') =>
    runScan({
      input: { installed: SYFT },
      branch,
      loadSecurityData: (name, origins) => trackerSecurityData(store().db, 'test database', name, origins),
      today: '2026-01-15',
    });

  it('reports published-later fixes from the stored index and the open vulnerability NVD gives', async () => {
    await importV316();
    const report = await scan();
    // The stored index publishes busybox 1.35.0-r17 and openssl 1.1.1s-r0, below every fix
    // syft needs, so both wait. NVD's CVE-2023-0466 record covers openssl 1.1.1s and no v3.16
    // secfix names it: the tracker holds it vulnerable with no fix, so it is `unfixed`.
    expect(brief(report.findings)).toEqual([
      ['fix-not-published', 'busybox', '1.35.0-r18', ['CVE-2023-42366']],
      ['fix-not-published', 'openssl', '1.1.1w-r1', OPENSSL_IDS],
      ['unfixed', 'openssl', null, ['CVE-2023-0466']],
    ]);
    expect(report.findings[2]?.vulnerabilities).toEqual([{ id: 'CVE-2023-0466', state: 'vulnerable' }]);
    // Importing both secdb files created both repositories; listBranches names them in order.
    expect(report.securityData).toEqual({ kind: 'tracker', sources: ['test database'], repos: ['community', 'main'] });
  });

  it('leaves out what the tracker rejected, whether fixed later or open', async () => {
    const rejections = join(dir, `${backend}-rejections.yaml`);
    writeFileSync(rejections, 'busybox:\n  - CVE-2023-42366\nopenssl:\n  - CVE-2023-0466\n');
    await importV316(rejections);
    expect(brief((await scan()).findings)).toEqual([['fix-not-published', 'openssl', '1.1.1w-r1', OPENSSL_IDS]]);
  });

  it("uses the tracker's end-of-support date, never the built-in one, the end day itself still supported", async () => {
    await importV316();
    const warnings = async () => (await scan()).warnings.map((warning) => warning.code);
    // No stored date: the branch has no end (the built-in 2024-05-23 is for secdb files only).
    expect(await warnings()).toEqual(['release-unknown']);
    await ensureBranch(store().db, '3.16', { endOfSupport: '2026-01-15' });
    expect(await warnings()).toEqual(['release-unknown']);
    await ensureBranch(store().db, '3.16', { endOfSupport: '2026-01-14' });
    expect(await warnings()).toEqual(['release-unknown', 'end-of-support']);
  });

  it('reports as unfixed only what is open: triage decides, as on the tracker', async () => {
    await importV316();
    const triage = (status: string, extra: Partial<TriageRequest> = {}) =>
      recordTriage(store(), { packages: ['openssl'], vulnerabilities: ['CVE-2023-0466'], status, ...extra }, 'ann@example.org');
    await triage('under-investigation');
    expect((await scan()).findings.find((finding) => finding.kind === 'unfixed')?.vulnerabilities).toEqual([{ id: 'CVE-2023-0466', state: 'under-investigation' }]);
    await triage('not-affected', { justification: 'vulnerable-code-not-in-execute-path' });
    expect((await scan()).findings.map((finding) => finding.kind)).toEqual(['fix-not-published', 'fix-not-published']);
  });

  it('names the database and the branches it has when the scanned branch is missing', async () => {
    await importV316();
    const error = await inputErrorFromAsync(() => scan('3.17'));
    expect(error.message).toBe('test database: no security data for branch 3.17 (it has 3.16)');
  });

  it("decides the same through the tracker's API as from its database: rejections and end of support included", async () => {
    const rejections = join(dir, `${backend}-api-rejections.yaml`);
    writeFileSync(rejections, 'busybox:\n  - CVE-2023-42366\n');
    await importV316(rejections);
    await ensureBranch(store().db, '3.16', { endOfSupport: '2099-01-01' });
    const server = await listen(store(), { port: 0, host: '127.0.0.1', site: { distribution: 'test' }, rateLimitPerMinute: false });
    try {
      const fromApi = await runScan({ input: { installed: SYFT }, branch: '3.16', loadSecurityData: serverLoader(server.address), today: '2026-01-15' });
      const fromDatabase = await scan();
      expect(fromApi.findings).toEqual(fromDatabase.findings);
      expect(fromApi.warnings).toEqual(fromDatabase.warnings);
      expect(fromApi.securityData).toEqual({ kind: 'tracker', sources: [server.address], repos: ['community', 'main'] });
      // The rejection and the open vulnerability both crossed the wire.
      expect(brief(fromApi.findings)).toEqual([
        ['fix-not-published', 'openssl', '1.1.1w-r1', OPENSSL_IDS],
        ['unfixed', 'openssl', null, ['CVE-2023-0466']],
      ]);
    } finally {
      await server.close();
    }
  });
});
