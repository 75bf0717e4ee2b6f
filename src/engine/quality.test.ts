import { describe, expect, it } from 'vitest';
import { parseSecdb } from '../formats/secdb.js';
import { buildMappingIndex, packageUniverse } from './cpe-mapping.js';
import { prepareCve } from './configuration.js';
import type { PreparedCve } from './configuration.js';
import { BranchQualityCheck, checkSecfixQuality, evidenceNoteFindings, fixesBelowRange, rangesAboveFix } from './quality.js';
import type { QualityFinding } from './quality.js';
import { SAMPLE_RULES } from './test-support/alpine-rules.js';
import { loadApkIndex, loadNvd, loadSecdb } from './test-support/alpine-sample.js';

const nvd = await loadNvd();

/** The quality input for a branch of the sample: its secdb, its one index snapshot, all NVD records. */
function sampleInput(folder: 'v3.16-main-x86_64' | 'v3.17-main-aarch64', branch: 'v3.16' | 'v3.17') {
  const packages = loadApkIndex(folder);
  const index = buildMappingIndex(packageUniverse(packages), SAMPLE_RULES);
  const versionsSeen = new Map<string, Set<string>>();
  for (const { origin, version } of packages) {
    if (version !== undefined) versionsSeen.set(origin, (versionsSeen.get(origin) ?? new Set()).add(version));
  }
  const prepared = new Map<string, PreparedCve>([...nvd].map(([id, record]) => [id, prepareCve(record.configurations, index)]));
  return {
    branch,
    secdb: [loadSecdb(branch, 'main'), loadSecdb(branch, 'community')],
    versionsSeen,
    rangesAboveFix: (_repo: string, pkg: string, version: string, id: string) => {
      const cve = prepared.get(id);
      return cve === undefined ? undefined : rangesAboveFix(cve, pkg, version);
    },
  };
}

const v316 = checkSecfixQuality(sampleInput('v3.16-main-x86_64', 'v3.16'));
const v317 = checkSecfixQuality(sampleInput('v3.17-main-aarch64', 'v3.17'));
const ofKind = (findings: readonly QualityFinding[], kind: QualityFinding['kind']) => findings.filter((finding) => finding.kind === kind);

describe('checkSecfixQuality on the sample', () => {
  it('reports secdb packages no index of the branch has', () => {
    // The sample has only the v3.16 main index, so exactly the 11 community packages are missing.
    expect(ofKind(v316, 'package-not-in-index').map((finding) => `${finding.repo}/${finding.package}`)).toEqual(
      ['containerd', 'docker', 'exim', 'ffmpeg', 'go', 'imagemagick', 'libssh', 'php8', 'php81', 'runc', 'sudo'].map((name) => `community/${name}`),
    );
  });

  it('reports fix versions the index never listed', () => {
    // The v3.16 index lists expat 2.5.0-r0 only. Keys newer than that never appeared in the index
    // history we have; older ones (2.2.0-r1 … 2.4.9-r0) may have been published before it began.
    const expat = ofKind(v316, 'fix-version-not-in-index').filter((finding) => finding.package === 'expat');
    expect(expat.map((finding) => finding.version)).toEqual(['2.6.0-r0', '2.6.2-r0']);
    // Packages that no index has get the package finding, not one per version.
    expect(ofKind(v316, 'fix-version-not-in-index').some((finding) => finding.package === 'sudo')).toBe(false);
  });

  it('reports a fix version apk cannot read', () => {
    // v3.16 community sudo: "1.9.5p2-r0": ["CVE-2021-3156"], upstream's spelling of 1.9.5_p2.
    expect(ofKind(v316, 'invalid-fix-version')).toEqual([
      { kind: 'invalid-fix-version', branch: 'v3.16', repo: 'community', package: 'sudo', version: '1.9.5p2-r0', detail: '1.9.5p2-r0 is not a valid apk version' },
    ]);
  });

  it('reports fixes older than every NVD range for the package', () => {
    const below = (findings: readonly QualityFinding[]) => ofKind(findings, 'fix-below-affected-range').map(({ package: name, id, version }) => `${name} ${id} ${version}`);
    // Each checked against its record: pcre's only criterion is exactly 8.41, above 7.8; NVD lists
    // CVE-2023-39418 for PostgreSQL 15.0–15.4 only; CVE-2022-37967 and CVE-2022-38023 name samba
    // 4.16.x, 4.17.x and "> 4.15.13", none of which holds 4.15.13.
    expect(below(v316)).toEqual([
      'pcre CVE-2017-16231 7.8-r0',
      'postgresql14 CVE-2023-39418 14.9-r0',
      'samba CVE-2022-37967 4.15.13-r0',
      'samba CVE-2022-38023 4.15.13-r0',
    ]);
    // v3.17 fixes busybox CVE-2023-42363 in 1.35.0-r31, but NVD names only 1.36.1: NVD under-specifies.
    expect(below(v317)).toContain('busybox CVE-2023-42363 1.35.0-r31');
    expect(ofKind(v317, 'fix-below-affected-range').find((finding) => finding.package === 'busybox')?.detail).toBe(
      'fix 1.35.0 is older than every NVD range of CVE-2023-42363 for busybox: =1.36.1',
    );
  });

  it('finds no unrecognized ids in the sample, whose ids are all CVE, GHSA or ALPINE', () => {
    expect(ofKind(v316, 'unrecognized-id')).toEqual([]);
  });
});

describe('checkSecfixQuality on hand-written secdb', () => {
  // Junk ids the old tracker stored (prior art §8.1), and one id listed as both 0 and fixed.
  const secdb = parseSecdb(
    JSON.stringify({
      distroversion: 'v3.16',
      reponame: 'main',
      packages: [
        { pkg: { name: 'xen', secfixes: { '4.16.1-r0': ['XSA-252', 'CVE_2019-2426', 'CVE-2022-26356'] } } },
        { pkg: { name: 'curl', secfixes: { '0': ['CVE-2021-22897'], '7.83.1-r4': ['CVE-2021-22897'] } } },
      ],
    }),
    'main.json',
  );
  const findings = checkSecfixQuality({
    branch: 'v3.16',
    secdb: [secdb],
    versionsSeen: new Map([
      ['xen', new Set(['4.16.1-r0'])],
      ['curl', new Set(['7.83.1-r4'])],
    ]),
    rangesAboveFix: () => undefined,
  });

  it('reports ids that are not CVE, GHSA or ALPINE ids', () => {
    // CVE_2019-2426 is read as CVE-2019-2426 (src/formats/secfix-id.ts repairs that spelling), so only XSA-252 is left.
    expect(ofKind(findings, 'unrecognized-id').map((finding) => finding.id)).toEqual(['XSA-252']);
  });

  it('reports an id listed as never affecting and as fixed', () => {
    expect(ofKind(findings, 'not-affected-and-fixed')).toEqual([
      { kind: 'not-affected-and-fixed', branch: 'v3.16', repo: 'main', package: 'curl', id: 'CVE-2021-22897', version: '7.83.1-r4', detail: 'CVE-2021-22897 is listed under 0 and as fixed in 7.83.1-r4' },
    ]);
    // Every version is in its index, so nothing else is reported.
    expect(findings).toHaveLength(2);
  });
});

describe('BranchQualityCheck', () => {
  const line = (pkg: string, version: string, vulnerabilityId: string) => ({ package: pkg, version, vulnerabilityId, note: null });
  const configurations = new Map([...nvd].map(([id, record]) => [id, record.configurations]));

  it('checks a repository with an index, and skips one without, as the stored rows give them', () => {
    const check = new BranchQualityCheck(
      '3.16',
      [
        { name: 'main', seen: [{ origin: 'busybox', version: '1.35.0-r17' }], secfixes: [line('busybox', '1.35.0-r99', 'CVE-2022-28391'), line('busybox', '0', 'NOT-AN-ID')], binaries: [{ binary: 'busybox', origin: 'busybox' }] },
        { name: 'community', seen: [], secfixes: [line('sudo', '1.9.5p2-r0', 'CVE-2021-3156')], binaries: [] },
      ],
      SAMPLE_RULES,
    );
    check.addNvd(new Map([...configurations].filter(([id]) => check.ids.has(id))));
    const quality = check.result();
    expect(quality.skipped).toEqual(['community']);
    expect(quality.findings.map(({ kind, repo, package: pkg }) => ({ kind, repo, package: pkg }))).toEqual([
      { kind: 'fix-version-not-in-index', repo: 'main', package: 'busybox' },
      { kind: 'unrecognized-id', repo: 'main', package: 'busybox' },
    ]);
  });

  it('judges fix lines against NVD data given a batch of ids at a time, in any order', () => {
    const seen = [{ origin: 'samba', version: '4.15.13-r0' }, { origin: 'pcre', version: '7.8-r0' }];
    const secfixes = [line('samba', '4.15.13-r0', 'CVE-2022-37967'), line('samba', '4.15.13-r0', 'CVE-2022-38023'), line('pcre', '7.8-r0', 'CVE-2017-16231')];
    const binaries = [{ binary: 'samba', origin: 'samba' }, { binary: 'pcre', origin: 'pcre' }];
    const check = new BranchQualityCheck('3.16', [{ name: 'main', seen, secfixes, binaries }], SAMPLE_RULES);
    expect([...check.ids].sort()).toEqual(['CVE-2017-16231', 'CVE-2022-37967', 'CVE-2022-38023']);
    for (const batch of [['CVE-2022-38023'], ['CVE-2017-16231', 'CVE-2022-37967']]) check.addNvd(new Map(batch.map((id) => [id, configurations.get(id)!])));
    expect(check.result().findings.map(({ kind, package: pkg, id }) => `${kind} ${pkg} ${id}`)).toEqual([
      'fix-below-affected-range samba CVE-2022-37967',
      'fix-below-affected-range samba CVE-2022-38023',
      'fix-below-affected-range pcre CVE-2017-16231',
    ]);
  });
});

describe('fixesBelowRange', () => {
  const line = (pkg: string, version: string, vulnerabilityId: string) => ({ package: pkg, version, vulnerabilityId, note: null });
  const seen = [{ origin: 'samba', version: '4.15.13-r0' }, { origin: 'pcre', version: '7.8-r0' }];
  const secfixes = [line('samba', '4.15.13-r0', 'CVE-2022-37967'), line('samba', '0', 'CVE-2022-38023'), line('pcre', '7.8-r0', 'CVE-2017-16231'), line('pcre', '7.8-r0', 'CVE-2022-37967')];
  const binaries = [{ binary: 'samba', origin: 'samba' }, { binary: 'pcre', origin: 'pcre' }];
  const universe = packageUniverse([...binaries.map(({ binary, origin }) => ({ name: binary, origin })), ...seen.map(({ origin }) => ({ name: origin, origin }))]);
  const index = buildMappingIndex(universe, SAMPLE_RULES);
  // What a round holds: lines by package, and the CVEs prepared against the branch's index.
  const byPackage = new Map(['samba', 'pcre'].map((pkg) => [pkg, secfixes.filter((entry) => entry.package === pkg).map((entry) => ({ repo: 'main', version: entry.version, id: entry.vulnerabilityId, text: entry.vulnerabilityId }))]));
  const prepared = new Map([...new Set(secfixes.map((entry) => entry.vulnerabilityId))].map((id) => [id, prepareCve(nvd.get(id)!.configurations, index)]));

  it('finds of fix lines what the check finds from NVD data, skipping not-affected lines and CVEs of other packages', () => {
    const below = fixesBelowRange(byPackage, prepared);
    expect(below.map(({ package: pkg, id }) => `${pkg} ${id}`)).toEqual(['samba CVE-2022-37967', 'pcre CVE-2017-16231']);
    const fromNvd = new BranchQualityCheck('3.16', [{ name: 'main', seen, secfixes, binaries }], SAMPLE_RULES);
    fromNvd.addNvd(new Map([...fromNvd.ids].map((id) => [id, nvd.get(id)!.configurations])));
    const judged = new BranchQualityCheck('3.16', [{ name: 'main', seen, secfixes, binaries }], SAMPLE_RULES, { judged: { universe, below } });
    expect(judged.ids.size).toBe(0);
    expect(judged.result()).toEqual(fromNvd.result());
    expect(judged.result().findings.filter((finding) => finding.kind === 'fix-below-affected-range')).toHaveLength(2);
  });

  it('is not taken over another universe: the check then wants NVD data', () => {
    const other = packageUniverse([...universe.originOfBinary].map(([name, origin]) => ({ name, origin })).filter(({ origin }) => origin !== 'pcre'));
    const check = new BranchQualityCheck('3.16', [{ name: 'main', seen, secfixes, binaries }], SAMPLE_RULES, { judged: { universe: other, below: fixesBelowRange(byPackage, prepared) } });
    expect([...check.ids].sort()).toEqual(['CVE-2017-16231', 'CVE-2022-37967', 'CVE-2022-38023']);
    expect(check.result().findings.filter((finding) => finding.kind === 'fix-below-affected-range')).toEqual([]);
  });
});

describe('evidenceNoteFindings', () => {
  it('lists the pairs whose state rests on NVD starting above the published version, and no other', () => {
    const at = { branch: '3.16', repo: 'main', package: 'curl', version: '7.83.1-r4' };
    const text = 'NVD: >=7.84.0 <8.3.0; 7.83.1 is older than the first affected version';
    const findings = evidenceNoteFindings([
      { ...at, vulnerabilityId: 'CVE-2023-38039', evidence: [{ kind: 'published-version', repo: 'main', version: '7.83.1-r4' }, { kind: 'introduced-after-published', version: '7.83.1', text }] },
      { ...at, vulnerabilityId: 'CVE-2023-38545', evidence: [{ kind: 'secfix', repo: 'main', version: '8.4.0-r0', text: 'CVE-2023-38545' }] },
    ]);
    expect(findings).toEqual([
      { kind: 'introduced-after-published', ...at, id: 'CVE-2023-38039', detail: `${text}; the secfixes line is taken as an upgrade record` },
    ]);
  });
});
