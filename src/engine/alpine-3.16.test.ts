import { describe, expect, it } from 'vitest';
import { parseRejections } from '../formats/rejections.js';
import { buildMappingIndex, packageUniverse } from './cpe-mapping.js';
import type { MappingRules } from './cpe-mapping.js';
import { evaluateCve, prepareCve } from './configuration.js';
import type { NvdEvaluation, PreparedCve } from './configuration.js';
import { decideStates } from './decide.js';
import type { PairState } from '../base/states.js';
import { SAMPLE_RULES } from './test-support/alpine-rules.js';
import { V316_MAIN_EXPECTED, V316_REJECTIONS_YAML } from './test-support/alpine-3.16-expected.js';
import { loadApkIndex, loadNvd, loadSecdb, newestVersions, secfixLines } from './test-support/alpine-sample.js';

/*
 * The whole engine on v3.16 main: the real x86_64 APKINDEX (what the repo publishes), the real
 * v3.16 secdb (main and community: a package's lines count from every repo of its branch), every
 * NVD record of the sample, and the sample mapping rules. The sample has no rejections file, so
 * the one rejection below is written here and read with the real parser.
 */


const packages = loadApkIndex('v3.16-main-x86_64');
const published = newestVersions(packages);
const secdb = [loadSecdb('v3.16', 'main'), loadSecdb('v3.16', 'community')];
const rejections = parseRejections(V316_REJECTIONS_YAML, 'main.yaml');
const records = loadNvd();

function prepareAll(rules: MappingRules): Map<string, PreparedCve> {
  const index = buildMappingIndex(packageUniverse(packages), rules);
  return new Map([...records].map(([id, record]) => [id, prepareCve(record.configurations, index)]));
}
const prepared = prepareAll(SAMPLE_RULES);

/** Every state of one origin in v3.16 main, as the tracker's update loop computes them. */
function statesOf(origin: string): Map<string, PairState> {
  const version = published.get(origin);
  const nvd = new Map<string, NvdEvaluation>();
  for (const [id, cve] of prepared) {
    const evaluation = evaluateCve(cve, origin, version);
    if (evaluation !== undefined) nvd.set(id, evaluation);
  }
  return decideStates({
    repo: 'main',
    version,
    secfixes: secdb.flatMap((document) => secfixLines(document, origin)),
    rejections: rejections.filter((rejection) => rejection.package === origin).map(({ id, rationale }) => ({ id, source: 'main.yaml', ...(rationale === undefined ? {} : { rationale }) })),
    nvd,
  });
}

describe('v3.16 main, end to end', () => {
  const statesByPackage = new Map<string, Map<string, PairState>>();
  const stateOf = (origin: string, cve: string) => {
    let states = statesByPackage.get(origin);
    if (states === undefined) {
      states = statesOf(origin);
      statesByPackage.set(origin, states);
    }
    return states.get(cve);
  };

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
      { kind: 'no-version', repo: 'main' },
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
