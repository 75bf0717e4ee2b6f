import { describe, expect, it } from 'vitest';
import { parseRejections } from '../formats/rejections.js';
import { type BranchSecfixLine, decideBranch, publishedVersions } from './branch.js';
import { buildMappingIndex, packageUniverse } from './cpe-mapping.js';
import type { MappingRules } from './cpe-mapping.js';
import { prepareCve } from './configuration.js';
import type { PreparedCve } from './configuration.js';
import type { PairState } from '../base/states.js';
import { SAMPLE_RULES } from './test-support/alpine-rules.js';
import { V316_MAIN_EXPECTED, V316_REJECTIONS_YAML } from './test-support/alpine-3.16-expected.js';
import { loadApkIndex, loadNvd, loadSecdb, secfixLines } from './test-support/alpine-sample.js';

/*
 * The whole engine on v3.16: main publishes what the real x86_64 APKINDEX lists, community has no
 * index; the real v3.16 secdb of both (a package's lines count from every repo of its branch),
 * every NVD record of the sample, and the sample mapping rules, decided by `decideBranch` as the
 * tracker's update does. The sample has no rejections file, so the one rejection below is written
 * here and read with the real parser.
 */

const MAIN = { id: 1, name: 'main' };
const COMMUNITY = { id: 2, name: 'community' };
const packages = loadApkIndex('v3.16-main-x86_64');
const published = publishedVersions(
  [MAIN.id, COMMUNITY.id],
  packages.flatMap(({ origin, version }) => (version === undefined ? [] : [{ repositoryId: MAIN.id, origin, version }])),
);
const secdb = [
  { repository: MAIN, document: loadSecdb('v3.16', 'main') },
  { repository: COMMUNITY, document: loadSecdb('v3.16', 'community') },
];
const rejections = parseRejections(V316_REJECTIONS_YAML, 'main.yaml');
const records = await loadNvd();

function prepareAll(rules: MappingRules): Map<string, PreparedCve> {
  const index = buildMappingIndex(packageUniverse(packages), rules);
  return new Map([...records].map(([id, record]) => [id, prepareCve(record.configurations, index)]));
}
const prepared = prepareAll(SAMPLE_RULES);

/**
 * Every state of the given origins in v3.16, by origin and id, from the repository each lives
 * in: every CVE whose configurations concern an origin is its candidate, and nothing is stored yet.
 */
function statesOf(origins: readonly string[]): Map<string, Map<string, PairState>> {
  const secfixes = new Map(origins.map((origin) => [origin, secdb.flatMap(({ repository, document }): BranchSecfixLine[] => secfixLines(document, origin).map((line) => ({ ...line, repositoryId: repository.id })))]));
  const decision = decideBranch({
    repositories: [MAIN, COMMUNITY],
    published,
    scopes: new Map(origins.map((origin) => [origin, 'all'])),
    secfixes,
    rejections: new Map(origins.map((origin) => [origin, rejections.filter((rejection) => rejection.package === origin).map(({ id, rationale }) => ({ id, source: 'main.yaml', ...(rationale === undefined ? {} : { rationale }) }))])),
    candidates: new Map(origins.map((origin) => [origin, new Set([...prepared].filter(([, cve]) => cve.origins.has(origin)).map(([id]) => id))])),
    prepared,
    stored: new Map(),
  });
  const states = new Map<string, Map<string, PairState>>();
  for (const { package: origin, vulnerabilityId, state, fixedVersion, evidence } of decision.records) {
    states.set(origin, (states.get(origin) ?? new Map<string, PairState>()).set(vulnerabilityId, { state, fixedVersion, evidence }));
  }
  return states;
}

describe('v3.16 main, end to end', () => {
  const statesByPackage = statesOf([...new Set([...V316_MAIN_EXPECTED.map((row) => row.package), 'python3', 'cups', 'krb5', 'sudo', 'libssh2'])]);
  const stateOf = (origin: string, cve: string) => statesByPackage.get(origin)?.get(cve);

  it.each(V316_MAIN_EXPECTED)('$package $cve is $state: $why', (row) => {
    const state = stateOf(row.package, row.cve);
    expect({ state: state?.state, fixedVersion: state?.fixedVersion }).toEqual({ state: row.state, fixedVersion: row.fixedVersion });
  });

  it('keeps the evidence behind each kind of decision', () => {
    expect(stateOf('python3', 'CVE-2007-4559')?.evidence).toEqual([
      { kind: 'rejection', id: 'CVE-2007-4559', source: 'main.yaml', rationale: 'tarfile extracting outside the target is documented behaviour; callers must filter' },
    ]);
    // Only apple:cups concerned cups; the AND's Mac OS X platforms kept the configuration from applying.
    expect(stateOf('cups', 'CVE-2008-1033')?.evidence).toEqual([
      { kind: 'published-version', repo: 'main', version: '2.4.2-r0' },
      { kind: 'criterion', cveConfigurationIndex: 0, criteria: 'cpe:2.3:a:apple:cups:*:*:*:*:*:*:*:*', bounds: {}, rule: 'origin-name', comparedVersion: '2.4.2', outcome: 'affected' },
      ...['cpe:2.3:o:apple:mac_os_x:*:*:*:*:*:*:*:*', 'cpe:2.3:o:apple:mac_os_x_server:10.5:*:*:*:*:*:*:*', 'cpe:2.3:o:apple:mac_os_x_server:10.5.1:*:*:*:*:*:*:*', 'cpe:2.3:o:apple:mac_os_x_server:10.5.2:*:*:*:*:*:*:*'].map(
        (criteria) => ({ kind: 'foreign-platform', cveConfigurationIndex: 0, criteria }),
      ),
    ]);
    // mit:kerberos < 4.0 (Kerberos 4) is outside the rule's version line: only the kerberos_5 criteria speak.
    expect(stateOf('krb5', 'CVE-2000-0546')?.evidence.filter((evidence) => evidence.kind === 'criterion').map((evidence) => evidence.criteria)).toEqual([
      'cpe:2.3:a:mit:kerberos_5:1.1:*:*:*:*:*:*:*',
      'cpe:2.3:a:mit:kerberos_5:1.1.1:*:*:*:*:*:*:*',
      'cpe:2.3:a:mit:kerberos_5:*:*:*:*:*:*:*:*',
    ]);
    expect(stateOf('sudo', 'CVE-2021-3156')?.evidence).toEqual([
      { kind: 'secfix', repo: 'community', version: '1.9.5p2-r0', text: 'CVE-2021-3156' },
      // sudo lives in community, whose secfixes list it: no index, so no version there.
      { kind: 'no-version', repo: 'community' },
      { kind: 'incomparable-version', version: '1.9.5p2-r0' },
    ]);
  });

  it('creates no pair where only a vendor collision would have tied the CVE to the package', () => {
    // Without vendor rules each of these reaches the package by name; with them, none does.
    const unchecked = prepareAll({ ...SAMPLE_RULES, vendors: {} });
    const collisions = [
      ['tar', 'CVE-2021-32804'], // tar_project:tar (node-tar)
      ['git', 'CVE-2021-29468'], // cygwin:git
      ['libssh2', 'CVE-2019-14889'], // libssh:libssh, a versioned-origin match for libssh2
      ['mariadb', 'CVE-2018-0735'], // oracle:mysql, the name of a mariadb binary package
    ] as const;
    for (const [origin, cve] of collisions) {
      expect(unchecked.get(cve)?.origins.has(origin)).toBe(true);
      expect(prepared.get(cve)?.origins.has(origin)).toBe(false);
    }
    expect(stateOf('libssh2', 'CVE-2019-14889')).toBeUndefined();
  });
});
