import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseApkIndexText } from '../formats/apkindex.js';
import { parseInstalledDb } from '../formats/installed.js';
import { repoPath } from '../test-support/paths.js';
import { type ScannedPackage, advise } from './upgrades.js';
import type { FixLine, SecurityData } from './scan-model.js';
import { parseSecdb } from '../formats/secdb.js';
import { type SecdbFile, readSecdbSources, secdbSecurityData } from '../scan/secdb-files.js';

const SAMPLE = ['data', 'alpine-sample'];
const installedDb = (...path: string[]) => parseInstalledDb(readFileSync(repoPath(...path), 'utf8'), path.join('/'));
const TODAY = '2026-01-15';

function pkg(name: string, version: string | undefined, origin = name, line = 1): ScannedPackage {
  return { name, version, origin, arch: 'x86_64', line };
}

function data(fixes: Record<string, [version: string, id: string][]>, extra: Partial<SecurityData> = {}): SecurityData {
  const map = new Map<string, FixLine[]>(Object.entries(fixes).map(([origin, lines]) => [origin, lines.map(([version, id]) => ({ version, id, repo: 'main' }))]));
  return { kind: 'secdb', branch: 'edge', sources: ['test'], repos: ['main'], fixes: map, ...extra };
}

describe('advise: the rules', () => {
  it('compares -rN too: 1.35.0-r17 needs the 1.35.0-r18 fix, 1.35.0-r18 does not', () => {
    const fixes = data({ busybox: [['1.35.0-r18', 'CVE-2023-42366']] });
    const old = advise({ packages: [pkg('busybox', '1.35.0-r17')], data: fixes, today: TODAY });
    expect(old.findings).toEqual([
      {
        kind: 'upgrade',
        origin: 'busybox',
        installedVersion: '1.35.0-r17',
        packages: [{ name: 'busybox', arch: 'x86_64', line: 1 }],
        targetVersion: '1.35.0-r18',
        newestPublished: undefined,
        vulnerabilities: [{ id: 'CVE-2023-42366', fixedVersion: '1.35.0-r18' }],
      },
    ]);
    expect(advise({ packages: [pkg('busybox', '1.35.0-r18')], data: fixes, today: TODAY }).findings).toEqual([]);
  });

  it('never makes a finding from a `0` (not affected) line', () => {
    const result = advise({ packages: [pkg('zlib', '1.2.12-r3')], data: data({ zlib: [['0', 'CVE-2023-45853']] }), today: TODAY });
    expect(result.findings).toEqual([]);
  });

  it('counts only the newest fix of an id listed twice (a regression re-fix)', () => {
    // Installed r3 is past the first fix (r1) but not the re-fix (r5): still affected.
    const result = advise({ packages: [pkg('curl', '8.0.1-r3')], data: data({ curl: [['8.0.1-r1', 'CVE-1'], ['8.0.1-r5', 'CVE-1']] }), today: TODAY });
    expect(result.findings.map((finding) => finding.vulnerabilities)).toEqual([[{ id: 'CVE-1', fixedVersion: '8.0.1-r5' }]]);
  });

  it("takes fix evidence only from the package's own origin", () => {
    // libcrypto3 is built from openssl; fixes recorded for the origin openssl3 are another package's.
    const result = advise({ packages: [pkg('libcrypto3', '3.0.8-r0', 'openssl')], data: data({ openssl3: [['3.0.9-r0', 'CVE-2023-2650']] }), today: TODAY });
    expect(result.findings).toEqual([]);
  });

  it('with an index: upgrade to the newest published version when it reaches the fix, else the fix is not published', () => {
    const fixes = data({ openssl: [['1.1.1s-r0', 'CVE-A'], ['1.1.1t-r0', 'CVE-B']] });
    const result = advise({
      packages: [pkg('libssl1.1', '1.1.1q-r0', 'openssl', 7), pkg('libcrypto1.1', '1.1.1q-r0', 'openssl', 3)],
      data: fixes,
      published: new Map([['openssl', '1.1.1s-r0']]),
      today: TODAY,
    });
    // One origin, one installed version, so both binaries share each finding.
    expect(result.findings.map(({ kind, targetVersion, newestPublished, vulnerabilities, packages }) => ({ kind, targetVersion, newestPublished, ids: vulnerabilities.map((v) => v.id), names: packages.map((p) => p.name) }))).toEqual([
      { kind: 'upgrade', targetVersion: '1.1.1s-r0', newestPublished: '1.1.1s-r0', ids: ['CVE-A'], names: ['libssl1.1', 'libcrypto1.1'] },
      { kind: 'fix-not-published', targetVersion: '1.1.1t-r0', newestPublished: '1.1.1s-r0', ids: ['CVE-B'], names: ['libssl1.1', 'libcrypto1.1'] },
    ]);
  });

  it('treats an origin the index does not carry as if no index were known', () => {
    const result = advise({ packages: [pkg('sudo', '1.9.5-r0')], data: data({ sudo: [['1.9.12-r1', 'CVE-2023-22809']] }), published: new Map([['busybox', '1.0-r0']]), today: TODAY });
    expect(result.findings.map((finding) => [finding.kind, finding.targetVersion])).toEqual([['upgrade', '1.9.12-r1']]);
  });

  it('reports tracker-open vulnerabilities as unfixed and drops rejected ids from every finding', () => {
    const result = advise({
      packages: [pkg('busybox', '1.35.0-r17')],
      data: data(
        { busybox: [['1.35.0-r18', 'CVE-2023-42366'], ['1.35.0-r19', 'CVE-REJECTED']] },
        {
          kind: 'tracker',
          open: new Map([['busybox', [{ id: 'CVE-2023-42363', state: 'vulnerable' }, { id: 'CVE-REJECTED', state: 'vulnerable' }]]]),
          rejected: new Map([['busybox', new Set(['CVE-REJECTED'])]]),
        },
      ),
      today: TODAY,
    });
    expect(result.findings.map((finding) => [finding.kind, finding.vulnerabilities])).toEqual([
      ['upgrade', [{ id: 'CVE-2023-42366', fixedVersion: '1.35.0-r18' }]],
      ['unfixed', [{ id: 'CVE-2023-42363', state: 'vulnerable' }]],
    ]);
  });

  it("warns past the branch's end of support: the data's date first, the built-in table only for secdb files", () => {
    const warningsOf = (branch: string, endOfSupport?: string, today = '2024-06-01', kind: SecurityData['kind'] = 'secdb') =>
      advise({ packages: [], data: data({}, { kind, branch, ...(endOfSupport === undefined ? {} : { endOfSupport }) }), today }).warnings.map((warning) => warning.code);
    // Built-in: 3.16 ended 2024-05-23, 3.17 on 2024-11-22; edge never ends.
    expect(warningsOf('3.16')).toEqual(['end-of-support']);
    expect(warningsOf('3.17')).toEqual([]);
    expect(warningsOf('edge')).toEqual([]);
    expect(warningsOf('3.17', '2024-01-01')).toEqual(['end-of-support']);
    // The end day itself is still supported; the day after is not.
    expect(warningsOf('3.16', undefined, '2024-05-23')).toEqual([]);
    expect(warningsOf('3.16', undefined, '2024-05-24')).toEqual(['end-of-support']);
    // A tracker branch without a date has no end: the table does not speak for it.
    expect(warningsOf('3.16', undefined, '2024-06-01', 'tracker')).toEqual([]);
    expect(warningsOf('3.16', '2024-05-23', '2024-06-01', 'tracker')).toEqual(['end-of-support']);
  });

  it('warns about packages whose version cannot be judged and about invalid fix versions', () => {
    const result = advise({
      packages: [pkg('nover', undefined, 'nover', 23), pkg('bad', '1..2', 'bad', 40), pkg('musl', '1.2.3-r0')],
      data: data({ musl: [['not-a-version', 'CVE-X']] }),
      today: TODAY,
    });
    expect(result.warnings).toEqual([
      { code: 'package-without-version', message: 'package nover (line 23) has no version: not checked' },
      { code: 'invalid-version', message: 'package bad (line 40) has the invalid version "1..2": not checked' },
      { code: 'invalid-version', message: 'edge/main secfixes of musl list the invalid version "not-a-version": ignored' },
    ]);
    expect(result.findings).toEqual([]);
  });
});

describe('advise: the real installed databases against the real secdb files', () => {
  let secdb: SecdbFile[];
  beforeAll(async () => {
    secdb = (await readSecdbSources([repoPath(...SAMPLE, 'secdb')])).map(({ path, bytes }) => ({ path, document: parseSecdb(bytes, path) }));
  });
  const branchData = (branch: string) => {
    const found = secdbSecurityData(secdb, branch);
    if (found === undefined) throw new Error(`the sample has secdb files for ${branch}`);
    return found;
  };
  const brief = (findings: ReturnType<typeof advise>['findings']) =>
    findings.map((finding) => ({
      kind: finding.kind,
      origin: finding.origin,
      installed: finding.installedVersion,
      target: finding.targetVersion,
      packages: finding.packages.map((p) => p.name),
      ids: finding.vulnerabilities.map((v) => v.id),
    }));

  /*
   * syft-multiple-2 (alpine 3.16 base, x86_64) against secdb v3.16 main+community, by hand:
   * - busybox 1.35.0-r17 (busybox, ssl_client): the v3.16 busybox keys above r17 are only
   *   1.35.0-r18 [CVE-2023-42366]; 1.35.0-r15 and older are reached; `0` lines never count.
   * - openssl 1.1.1q-r0 (libcrypto1.1, libssl1.1): keys above q-r0 are 1.1.1t-r0 [CVE-2022-4304,
   *   CVE-2022-4450, CVE-2023-0215, CVE-2023-0286], t-r1 [CVE-2023-0464], t-r2 [CVE-2023-0465],
   *   u-r0 [CVE-2023-2650], u-r2 [CVE-2023-3446], v-r0 [CVE-2023-3817], w-r1 [CVE-2023-5678]:
   *   ten ids, newest fix 1.1.1w-r1. 1.1.1q-r0 itself fixed CVE-2022-2097, so that one is not
   *   listed. The `openssl3` entries belong to another origin.
   * - zlib 1.2.12-r3: its only fixes are 1.2.11-r4 and 1.2.12-r2 (reached) and `0` CVE-2023-45853.
   * - musl 1.2.3-r0 (fixes up to 1.2.2_pre2-r0) and apk-tools 2.12.9-r3 (up to 2.12.6-r0): reached.
   * - alpine-baselayout, alpine-keys, ca-certificates, pax-utils, libc-dev: not in the sample secdb.
   */
  const SYFT_OPENSSL_IDS = ['CVE-2022-4304', 'CVE-2022-4450', 'CVE-2023-0215', 'CVE-2023-0286', 'CVE-2023-0464', 'CVE-2023-0465', 'CVE-2023-2650', 'CVE-2023-3446', 'CVE-2023-3817', 'CVE-2023-5678'];

  it('syft-multiple-2 without an index: upgrade busybox to 1.35.0-r18 and openssl to 1.1.1w-r1', () => {
    const result = advise({ packages: installedDb(...SAMPLE, 'apkindex', 'installed', 'syft-multiple-2.installed'), data: branchData('3.16'), today: TODAY });
    expect(brief(result.findings)).toEqual([
      { kind: 'upgrade', origin: 'busybox', installed: '1.35.0-r17', target: '1.35.0-r18', packages: ['busybox', 'ssl_client'], ids: ['CVE-2023-42366'] },
      { kind: 'upgrade', origin: 'openssl', installed: '1.1.1q-r0', target: '1.1.1w-r1', packages: ['libcrypto1.1', 'libssl1.1'], ids: SYFT_OPENSSL_IDS },
    ]);
    // 3.16 ended on 2024-05-23 (built-in table), before TODAY.
    expect(result.warnings.map((warning) => warning.code)).toEqual(['end-of-support']);
  });

  it('syft-multiple-2 with the real v3.16 index: neither fix is published in that November 2022 snapshot', () => {
    // The index publishes busybox 1.35.0-r17 (< r18) and openssl 1.1.1s-r0 (< 1.1.1t-r0, the oldest
    // fix needed), so every id waits for an unpublished fix and nothing can be upgraded yet.
    const published = new Map<string, string>();
    for (const entry of parseApkIndexText(readFileSync(repoPath(...SAMPLE, 'apkindex', 'v3.16-main-x86_64', 'APKINDEX'), 'utf8'), 'APKINDEX')) {
      if (entry.origin === 'busybox' || entry.origin === 'openssl') published.set(entry.origin, entry.version ?? '');
    }
    expect(Object.fromEntries(published)).toEqual({ busybox: '1.35.0-r17', openssl: '1.1.1s-r0' });
    const result = advise({ packages: installedDb(...SAMPLE, 'apkindex', 'installed', 'syft-multiple-2.installed'), data: branchData('3.16'), published, today: TODAY });
    expect(brief(result.findings)).toEqual([
      { kind: 'fix-not-published', origin: 'busybox', installed: '1.35.0-r17', target: '1.35.0-r18', packages: ['busybox', 'ssl_client'], ids: ['CVE-2023-42366'] },
      { kind: 'fix-not-published', origin: 'openssl', installed: '1.1.1q-r0', target: '1.1.1w-r1', packages: ['libcrypto1.1', 'libssl1.1'], ids: SYFT_OPENSSL_IDS },
    ]);
  });

  it('go-apk-root (the same 3.16 set on aarch64) against v3.17 would need busybox 1.35.0-r31', () => {
    // v3.17 busybox keys above 1.35.0-r17: r30 [CVE-2023-42366] and r31 [CVE-2023-42363,
    // CVE-2023-42364, CVE-2023-42365]; r17 itself fixed CVE-2022-30065 there.
    const result = advise({ packages: installedDb(...SAMPLE, 'apkindex', 'installed', 'go-apk-root.installed'), data: branchData('3.17'), today: TODAY });
    const busybox = result.findings.find((finding) => finding.origin === 'busybox');
    expect(busybox?.targetVersion).toBe('1.35.0-r31');
    expect(busybox?.vulnerabilities.map((v) => v.id)).toEqual(['CVE-2023-42363', 'CVE-2023-42364', 'CVE-2023-42365', 'CVE-2023-42366']);
    expect(busybox?.packages.map((p) => p.arch)).toEqual(['aarch64', 'aarch64']);
  });

  it('trivy-apk (3.4-era, edited) scanned as 3.14: warns about the versionless stanza, and skips `0` ids', () => {
    const result = advise({ packages: installedDb(...SAMPLE, 'apkindex', 'installed', 'trivy-apk.installed'), data: branchData('3.14'), today: TODAY });
    expect(result.warnings).toEqual([
      // The stanza at line 23 is only `P:invalidPackageWithoutAVersion`.
      { code: 'package-without-version', message: 'package invalidPackageWithoutAVersion (line 23) has no version: not checked' },
      { code: 'end-of-support', message: 'branch 3.14 reached its end of support on 2023-05-01: it no longer gets security fixes; upgrade to a supported release' },
    ]);
    const byOrigin = new Map(result.findings.map((finding) => [finding.origin, finding]));
    // zlib 1.2.8-r2 is below both v3.14 zlib fixes, 1.2.12-r0 [CVE-2018-25032] and 1.2.12-r2 [CVE-2022-37434].
    expect(byOrigin.get('zlib')?.vulnerabilities).toEqual([
      { id: 'CVE-2018-25032', fixedVersion: '1.2.12-r0' },
      { id: 'CVE-2022-37434', fixedVersion: '1.2.12-r2' },
    ]);
    // openssl 1.0.2h-r1 is below every v3.14 openssl key: all 24 ids except the `0` ones.
    const openssl = byOrigin.get('openssl');
    expect(openssl?.targetVersion).toBe('1.1.1t-r2');
    expect(openssl?.vulnerabilities).toHaveLength(24);
    expect(openssl?.vulnerabilities.map((v) => v.id)).not.toContain('CVE-2022-1292');
    // busybox's `0` ids (CVE-2021-42373, -42376, -42377) are not findings; its newest fix is 1.33.1-r7.
    expect(byOrigin.get('busybox')?.targetVersion).toBe('1.33.1-r7');
    expect(byOrigin.get('busybox')?.vulnerabilities.map((v) => v.id)).not.toContain('CVE-2021-42373');
    // The made-up `test` package (origin test-parent) and ada have no secdb entry.
    expect([...byOrigin.keys()].sort()).toEqual(['apk-tools', 'busybox', 'musl', 'openssl', 'sqlite', 'zlib']);
  });

  it('query-installed.data is a 3.21 system, and no sample secdb covers 3.21', () => {
    // So the scan cannot judge it; run.ts turns this into exit 2 rather than "nothing to do".
    expect(secdbSecurityData(secdb, '3.21')).toBeUndefined();
    expect([...new Set(secdb.map((file) => file.document.branch))].sort()).toEqual(['3.14', '3.16', '3.17']);
  });
});
