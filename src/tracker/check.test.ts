import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MappingRules, QualityFinding } from '../engine/index.js';
import { parseApkIndexText } from '../formats/apkindex.js';
import { backends, useTestStore } from '../test-support/databases.js';
import { compareVersions } from '../version/index.js';
import { checkData } from './check.js';
import { importCve5 } from './import-cve5.js';
import { updateStates } from './update.js';
import { importApkIndex, importSecdb } from './import.js';
import { V316_COMMUNITY_SECDB, V316_INDEX_TEXT, V316_MAIN_SECDB, bundledRules, importV316, importV316Index, indexWithVersion, writeText } from './test-support/v316-sample.js';

const dir = mkdtempSync(join(tmpdir(), 'secfix-check-'));
let rules: MappingRules;
beforeAll(async () => {
  rules = await bundledRules();
});

interface SecdbFile {
  packages: { pkg: { name: string; secfixes: Record<string, string[] | null> | null } }[];
}

/** The one version the v3.16 index publishes of each origin (the sample has one per origin). */
function publishedVersions(): Map<string, string> {
  const published = new Map<string, string>();
  for (const pkg of parseApkIndexText(readFileSync(V316_INDEX_TEXT, 'utf8'), V316_INDEX_TEXT)) published.set(pkg.origin, pkg.version ?? '');
  return published;
}

/**
 * `package version` of every v3.16 main fix version that no index listed, read from the raw files:
 * with one snapshot, the index history is just the published version, so only fix versions above
 * it count (older ones may predate what the tracker saw).
 */
function fixVersionsNotInIndex(): string[] {
  const published = publishedVersions();
  const document = JSON.parse(readFileSync(V316_MAIN_SECDB, 'utf8')) as SecdbFile;
  return document.packages.flatMap(({ pkg }) => {
    const version = published.get(pkg.name);
    if (version === undefined) throw new Error(`every main secdb package is in the v3.16 index, ${pkg.name} too`);
    return Object.keys(pkg.secfixes ?? {})
      .filter((key) => key !== '0' && key !== version && compareVersions(key, version) > 0)
      .map((key) => `${pkg.name} ${key}`);
  });
}

const ofKind = (findings: readonly QualityFinding[], kind: QualityFinding['kind']) => findings.filter((finding) => finding.kind === kind);
const describeFinding = ({ package: name, version }: QualityFinding) => `${name} ${version}`;

describe.each(backends)('%s checkData', (backend) => {
  const store = useTestStore(backend);

  it('reports the problems of v3.16 main and skips community, which has no index', async () => {
    await importV316(store());
    const report = await checkData(store(), rules);
    // Community's secfixes (sudo's 1.9.5p2-r0 among them) cannot be checked without its index.
    expect(report.skipped).toEqual([{ branch: '3.16', repo: 'community' }]);
    expect(report.findings.every((finding) => finding.branch === '3.16' && finding.repo === 'main')).toBe(true);
    // Each fix below its CVE's NVD ranges: pcre's only criterion is exactly 8.41, above 7.8; NVD
    // lists CVE-2023-39418 for PostgreSQL 15.0 to 15.4 only; CVE-2022-37967 and CVE-2022-38023
    // name samba 4.16.x, 4.17.x and "> 4.15.13", none of which holds 4.15.13.
    expect(ofKind(report.findings, 'fix-below-affected-range').map(({ package: name, id, version }) => `${name} ${id} ${version}`)).toEqual([
      'pcre CVE-2017-16231 7.8-r0',
      'postgresql14 CVE-2023-39418 14.9-r0',
      'samba CVE-2022-37967 4.15.13-r0',
      'samba CVE-2022-38023 4.15.13-r0',
    ]);
    expect(ofKind(report.findings, 'fix-below-affected-range')[0]?.detail).toBe('fix 7.8 is older than every NVD range of CVE-2017-16231 for pcre: =8.41');
    const notInIndex = ofKind(report.findings, 'fix-version-not-in-index').map(describeFinding);
    expect(notInIndex.sort()).toEqual(fixVersionsNotInIndex().sort());
    // expat publishes 2.5.0-r0; its 2.6.0-r0 and 2.6.2-r0 lines are newer than anything the index had.
    expect(notInIndex.filter((finding) => finding.startsWith('expat '))).toEqual(['expat 2.6.0-r0', 'expat 2.6.2-r0']);
    // Every main package is in the index and every id is a CVE, GHSA or ALPINE id: those two kinds
    // and the community-only invalid version never show up, so these are all the findings.
    expect(report.findings).toHaveLength(4 + notInIndex.length);
  });

  it('counts every version an index snapshot ever listed, not just the current one', async () => {
    await importV316Index(store());
    await importSecdb(store(), { location: V316_MAIN_SECDB });
    const expat = async () => ofKind((await checkData(store(), rules)).findings, 'fix-version-not-in-index').filter((finding) => finding.package === 'expat').map(describeFinding);
    expect(await expat()).toEqual(['expat 2.6.0-r0', 'expat 2.6.2-r0']);
    // A later snapshot publishes expat 2.6.0-r0: now seen, it is no longer a problem, while
    // 2.6.2-r0 still is. The 2.5.0-r0 that left stays in the history.
    const snapshot = writeText(dir, `${backend}-APKINDEX`, indexWithVersion('expat', '2.5.0-r0', '2.6.0-r0'));
    expect((await importApkIndex(store(), { branch: '3.16', repo: 'main', location: snapshot })).counts).toMatchObject({ versionsAdded: 1, versionsRemoved: 1 });
    expect(await expat()).toEqual(['expat 2.6.2-r0']);
  });

  it('skips every repository when no index was imported, and reports nothing', async () => {
    await importSecdb(store(), { location: V316_MAIN_SECDB });
    await importSecdb(store(), { location: V316_COMMUNITY_SECDB });
    // Without an index no fix version or package can be checked: both repos are listed as skipped.
    expect(await checkData(store(), rules)).toEqual({
      findings: [],
      skipped: [
        { branch: '3.16', repo: 'community' },
        { branch: '3.16', repo: 'main' },
      ],
    });
  });

  it('lists a pair NVD and CVE 5 disagree on as a note, after an import and an update', async () => {
    await importV316(store());
    await updateStates(store(), { full: false, rules });
    // A CVE 5 record written for the test (the shared data has none for an Alpine package): for CVE-2023-38039 its CNA says curl from 7.50.0 to 8.3.0 (by CPE, as CISA writes them); NVD says
    // 7.84.0 <= v < 8.3.0, so v3.16's 7.83.1 is not affected although the secdb lists the CVE at the 8.3.0 upgrade.
    const record = {
      dataType: 'CVE_RECORD',
      dataVersion: '5.1',
      cveMetadata: { cveId: 'CVE-2023-38039', state: 'PUBLISHED', assignerShortName: 'mitre', datePublished: '2023-07-20T00:00:00.000Z' },
      containers: {
        cna: {
          providerMetadata: { orgId: '8254265b-2729-46b6-b9e3-3dfca2d5bfca', shortName: 'mitre' },
          descriptions: [{ lang: 'en', value: 'curl can be told to save cookies, HSTS and/or alt-svc data to files.' }],
          affected: [{ vendor: 'curl', product: 'curl', cpes: ['cpe:2.3:a:haxx:curl:*:*:*:*:*:*:*:*'], defaultStatus: 'unaffected', versions: [{ version: '7.50.0', lessThan: '8.3.0', status: 'affected', versionType: 'semver' }] }],
          references: [{ url: 'https://curl.se/docs/CVE-2023-38039.html' }],
        },
      },
    };
    const path = join(dir, `CVE-2023-38039-${backend}.json`);
    writeFileSync(path, JSON.stringify(record));
    await importCve5(store(), { location: path });
    await updateStates(store(), { full: false, rules });
    const notes = ofKind((await checkData(store(), rules)).findings, 'sources-disagree');
    expect(notes.map(({ package: name, id }) => `${name} ${id}`)).toEqual(['curl CVE-2023-38039']);
    expect(notes[0]?.detail).toContain('CVE 5 from mitre (curl curl: >=7.50.0 <8.3.0 affected, otherwise unaffected) affects it');
  });
});
