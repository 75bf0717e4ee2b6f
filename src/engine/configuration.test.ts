import { describe, expect, it } from 'vitest';
import type { NvdConfiguration, NvdCpeMatch } from '../formats/nvd.js';
import { buildMappingIndex, packageUniverse } from './cpe-mapping.js';
import { evaluateCve, prepareCve } from './configuration.js';
import { SAMPLE_RULES } from './test-support/alpine-rules.js';
import { loadApkIndex, loadNvd } from './test-support/alpine-sample.js';

const index = buildMappingIndex(packageUniverse(loadApkIndex('v3.16-main-x86_64')), SAMPLE_RULES);
const nvd = await loadNvd();

function recordOf(id: string): readonly NvdConfiguration[] {
  const record = nvd.get(id);
  if (record === undefined) throw new Error(`${id} is not in the sample`);
  return record.configurations;
}

function evaluate(configurations: readonly NvdConfiguration[], origin: string, version: string | undefined) {
  return evaluateCve(prepareCve(configurations, index), origin, version);
}

type NvdNode = NvdConfiguration['nodes'][number];
type Bounds = Omit<NvdCpeMatch, 'vulnerable' | 'criteria'>;
const vulnerable = (criteria: string, bounds: Bounds = {}): NvdCpeMatch => ({ vulnerable: true, criteria, ...bounds });
const platform = (criteria: string): NvdCpeMatch => ({ vulnerable: false, criteria });
const node = (operator: 'AND' | 'OR', matches: NvdCpeMatch[], negate = false): NvdNode => ({ operator, negate, matches });
const configuration = (operator: 'AND' | 'OR', nodes: NvdNode[], negate = false): NvdConfiguration => ({ operator, negate, nodes });

const OPENSSL_ANY = 'cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*';
const HTTPD_2437 = 'cpe:2.3:a:apache:http_server:2.4.37:*:*:*:*:*:*:*';
const LINUX = 'cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*';

describe('evaluateCve on real records', () => {
  it('reads a CPE with no version and no bounds as every version', () => {
    // CVE-2007-2768: cpe:…:openbsd:openssh:*, no bounds; its second configuration is NetApp's.
    const result = evaluate(recordOf('CVE-2007-2768'), 'openssh', '9.0_p1-r2');
    expect(result).toEqual({
      outcome: 'affected',
      criteria: [
        {
          kind: 'criterion',
          cveConfigurationIndex: 0,
          criteria: 'cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*',
          bounds: {},
          rule: 'origin-name',
          comparedVersion: '9.0_p1',
          outcome: 'affected',
        },
      ],
      platforms: [],
    });
    // Every version includes one the repo does not publish.
    expect(evaluate(recordOf('CVE-2007-2768'), 'openssh', undefined)?.outcome).toBe('affected');
  });

  it('compares OpenSSH p releases with their NVD spelling', () => {
    // CVE-2023-38408: < 9.3, or exactly 9.3 p1, or exactly 9.3 with no update.
    const outcomes = (version: string) => evaluate(recordOf('CVE-2023-38408'), 'openssh', version)?.criteria.map((c) => c.outcome);
    // v3.16's 9.0_p1 is below 9.3, and below both exact 9.3 releases.
    expect(evaluate(recordOf('CVE-2023-38408'), 'openssh', '9.0_p1-r2')?.outcome).toBe('affected');
    expect(outcomes('9.0_p1-r2')).toEqual(['affected', 'before-range', 'before-range']);
    expect(outcomes('9.3_p1-r0')).toEqual(['after-range', 'affected', 'after-range']);
    // 9.3p2 is the upstream fix: past all three, so NVD itself says fixed.
    expect(evaluate(recordOf('CVE-2023-38408'), 'openssh', '9.3_p2-r0')?.outcome).toBe('fixed-upstream');
  });

  it('reaches both OpenSSL series of v3.16 for an unbounded range, and httpd through the config', () => {
    // CVE-2019-0190 (NVD's March-2020 record): one OR node of http_server 2.4.37 and openssl >= 1.1.1.
    const record = recordOf('CVE-2019-0190');
    expect(evaluate(record, 'openssl', '1.1.1s-r0')?.outcome).toBe('affected');
    expect(evaluate(record, 'openssl3', '3.0.7-r0')?.criteria[0]).toMatchObject({ rule: 'versioned-origin', bounds: { startIncluding: '1.1.1' }, outcome: 'affected' });
    // apache2 2.4.54 is past the one exact release NVD lists.
    expect(evaluate(record, 'apache2', '2.4.54-r0')).toMatchObject({ outcome: 'fixed-upstream', criteria: [{ rule: 'config-product', bounds: { exact: '2.4.37' } }] });
    // curl has nothing to do with it.
    expect(evaluate(record, 'curl', '7.83.1-r4')).toBeUndefined();
  });

  it('does not apply an AND configuration whose vulnerable:false platform is Mac OS X', () => {
    // CVE-2008-1033: AND of (vulnerable:false Mac OS X) and apple:cups every version: a Mac OS X-only bug.
    const result = evaluate(recordOf('CVE-2008-1033'), 'cups', '2.4.2-r0');
    expect(result?.outcome).toBe('not-affected');
    expect(result?.criteria.map((c) => c.criteria)).toEqual(['cpe:2.3:a:apple:cups:*:*:*:*:*:*:*:*']);
    expect(result?.platforms.map((p) => p.criteria)).toContain('cpe:2.3:o:apple:mac_os_x:*:*:*:*:*:*:*:*');
    // Without the foreign-platform list every platform holds, as before.
    const plain = buildMappingIndex(packageUniverse(loadApkIndex('v3.16-main-x86_64')), { ...SAMPLE_RULES, foreignPlatforms: [] });
    expect(evaluateCve(prepareCve(recordOf('CVE-2008-1033'), plain), 'cups', '2.4.2-r0')?.outcome).toBe('affected');
  });
});

describe('platforms in AND configurations', () => {
  const CUPS = 'cpe:2.3:a:apple:cups:*:*:*:*:*:*:*:*';
  const andOn = (...platforms: string[]) => [configuration('AND', [node('OR', [vulnerable(CUPS)]), node('OR', platforms.map(platform))])];
  const outcomeOn = (...platforms: string[]) => evaluate(andOn(...platforms), 'cups', '2.4.2-r0')?.outcome;

  it('holds on Linux, on a Linux distribution and on an unknown or wildcard platform', () => {
    expect(outcomeOn(LINUX)).toBe('affected');
    expect(outcomeOn('cpe:2.3:o:debian:debian_linux:11.0:*:*:*:*:*:*:*')).toBe('affected');
    expect(outcomeOn('cpe:2.3:o:alpinelinux:alpine_linux:3.16:*:*:*:*:*:*:*')).toBe('affected');
    expect(outcomeOn('cpe:2.3:o:haiku:haiku:-:*:*:*:*:*:*:*')).toBe('affected');
    expect(outcomeOn('cpe:2.3:o:*:*:*:*:*:*:*:*:*:*')).toBe('affected');
  });

  it('does not hold on another operating system or on hardware', () => {
    expect(outcomeOn('cpe:2.3:o:microsoft:windows_10:-:*:*:*:*:*:*:*')).toBe('not-affected');
    expect(outcomeOn('cpe:2.3:o:apple:iphone_os:-:*:*:*:*:*:*:*')).toBe('not-affected');
    expect(outcomeOn('cpe:2.3:h:netapp:h500s:-:*:*:*:*:*:*:*')).toBe('not-affected');
  });

  it('holds when any platform of the OR holds, and when the foreign platform is negated', () => {
    expect(outcomeOn('cpe:2.3:o:apple:mac_os_x:-:*:*:*:*:*:*:*', LINUX)).toBe('affected');
    const notOnWindows = [configuration('AND', [node('OR', [vulnerable(CUPS)]), node('OR', [platform('cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*')], true)])];
    expect(evaluate(notOnWindows, 'cups', '2.4.2-r0')?.outcome).toBe('affected');
  });

  it('still lets another configuration apply', () => {
    const tree = [...andOn('cpe:2.3:o:apple:mac_os_x:-:*:*:*:*:*:*:*'), configuration('OR', [node('OR', [vulnerable(CUPS, { versionEndExcluding: '2.4.3' })])])];
    expect(evaluate(tree, 'cups', '2.4.2-r0')?.outcome).toBe('affected');
  });
});

describe('evaluateCve on hand-built trees', () => {
  it('lets another product in an AND be context, never a decision', () => {
    // CVE-2019-0190 as the brief describes it: httpd 2.4.37 AND openssl >= 1.1.1.
    const asTwoNodes = [configuration('AND', [node('OR', [vulnerable(HTTPD_2437)]), node('OR', [vulnerable(OPENSSL_ANY, { versionStartIncluding: '1.1.1' })])])];
    const asOneNode = [configuration('OR', [node('AND', [vulnerable(HTTPD_2437), vulnerable(OPENSSL_ANY, { versionStartIncluding: '1.1.1' })])])];
    for (const tree of [asTwoNodes, asOneNode]) {
      expect(evaluate(tree, 'openssl', '1.1.1s-r0')?.outcome).toBe('affected');
      // 1.1.0l is below the range; httpd does not make it true.
      expect(evaluate(tree, 'openssl', '1.1.0l-r0')?.outcome).toBe('not-affected');
    }
  });

  it('does not let another product in an OR make the package affected', () => {
    const tree = [configuration('OR', [node('OR', [vulnerable(HTTPD_2437), vulnerable(OPENSSL_ANY, { versionStartIncluding: '3.0.0' })])])];
    expect(evaluate(tree, 'openssl', '1.1.1s-r0')?.outcome).toBe('not-affected');
  });

  it('ignores a configuration whose only mention of the package is a platform', () => {
    const tree = [configuration('AND', [node('OR', [vulnerable(HTTPD_2437)]), node('OR', [platform(OPENSSL_ANY)])])];
    expect(evaluate(tree, 'openssl', '1.1.1s-r0')).toBeUndefined();
  });

  it('inverts a negated node that concerns the package, and leaves unknown unknown', () => {
    // Every OpenSSL except the 3.x series.
    const tree = [configuration('AND', [node('OR', [vulnerable(OPENSSL_ANY)]), node('OR', [vulnerable(OPENSSL_ANY, { versionStartIncluding: '3.0.0' })], true)])];
    expect(evaluate(tree, 'openssl', '1.1.1s-r0')?.outcome).toBe('affected');
    expect(evaluate(tree, 'openssl', '3.0.7-r0')?.outcome).toBe('not-affected');
    // An unreadable package version: the range is unknown, and so is its negation.
    const negatedRange = [configuration('OR', [node('OR', [vulnerable(OPENSSL_ANY, { versionStartIncluding: '3.0.0' })], true)])];
    expect(evaluate(negatedRange, 'openssl', '3.0.7p2-r0')?.outcome).toBe('unknown');
  });

  it('does not flip a negated platform node into a decision', () => {
    const tree = [configuration('AND', [node('OR', [platform(LINUX)], true), node('OR', [vulnerable(OPENSSL_ANY, { versionEndExcluding: '1.1.1t' })])])];
    expect(evaluate(tree, 'openssl', '1.1.1s-r0')?.outcome).toBe('affected');
    expect(evaluate(tree, 'openssl', '1.1.1t-r0')?.outcome).toBe('fixed-upstream');
  });

  it('combines three-valued answers: true beats unknown in OR, false beats unknown in AND', () => {
    // CVE-2021-29468's bound 2.31.1-1 leaves git 2.31.1 undecided.
    const git = 'cpe:2.3:a:git-scm:git:*:*:*:*:*:*:*:*';
    const undecided = vulnerable(git, { versionEndIncluding: '2.31.1-1' });
    const inRange = vulnerable(git, { versionStartIncluding: '2.30.0', versionEndExcluding: '2.32.0' });
    const outOfRange = vulnerable(git, { versionStartIncluding: '2.32.0' });
    const outcome = (operator: 'AND' | 'OR', second: NvdCpeMatch) =>
      evaluate([configuration('OR', [node(operator, [undecided, second])])], 'git', '2.31.1-r0')?.outcome;
    expect(outcome('OR', outOfRange)).toBe('unknown');
    expect(outcome('OR', inRange)).toBe('affected');
    expect(outcome('AND', outOfRange)).toBe('not-affected');
    expect(outcome('AND', inRange)).toBe('unknown');
  });

  it('says unknown for a NA version or a repo that publishes none', () => {
    expect(evaluate([configuration('OR', [node('OR', [vulnerable('cpe:2.3:a:openssl:openssl:-:*:*:*:*:*:*:*')])])], 'openssl', '1.1.1s-r0')?.outcome).toBe('unknown');
    expect(evaluate([configuration('OR', [node('OR', [vulnerable(OPENSSL_ANY, { versionEndExcluding: '1.1.1t' })])])], 'openssl', undefined)).toMatchObject({
      outcome: 'unknown',
      criteria: [{ comparedVersion: null, outcome: 'unknown' }],
    });
  });

  it('tells fixed upstream (past every range) from not affected (before one, or between)', () => {
    const ranges = [
      vulnerable(OPENSSL_ANY, { versionStartIncluding: '1.0.2', versionEndExcluding: '1.0.2u' }),
      vulnerable(OPENSSL_ANY, { versionStartIncluding: '1.1.1', versionEndExcluding: '1.1.1k' }),
    ];
    const tree = [configuration('OR', [node('OR', ranges)])];
    expect(evaluate(tree, 'openssl', '1.1.1s-r0')?.outcome).toBe('fixed-upstream');
    expect(evaluate(tree, 'openssl', '1.0.1u-r0')?.outcome).toBe('not-affected');
    // After the 1.0.2 range but before the 1.1.1 one: not a release that got the fix.
    expect(evaluate(tree, 'openssl', '1.1.0l-r0')?.outcome).toBe('not-affected');
  });

  it('reads the configurations together: affected, then unknown, then fixed upstream', () => {
    const single = (match: NvdCpeMatch) => configuration('OR', [node('OR', [match])]);
    const affected = single(vulnerable(OPENSSL_ANY, { versionStartIncluding: '1.1.1' }));
    const unknown = single(vulnerable(OPENSSL_ANY, { versionEndExcluding: '1.0.2zh' }));
    const fixedUpstream = single(vulnerable(OPENSSL_ANY, { versionEndExcluding: '1.1.1k' }));
    const notAffected = single(vulnerable(OPENSSL_ANY, { versionStartIncluding: '3.0.0' }));
    // 1.0.2zh cannot be read, and 1.0.2z begins with its readable part, so that one stays unknown.
    const outcome = (...configurations: NvdConfiguration[]) => evaluate(configurations, 'openssl', '1.0.2z-r0')?.outcome;
    expect(outcome(notAffected, unknown)).toBe('unknown');
    expect(outcome(unknown, single(vulnerable(OPENSSL_ANY, { versionStartIncluding: '1.0.2' })))).toBe('affected');
    const at111s = (...configurations: NvdConfiguration[]) => evaluate(configurations, 'openssl', '1.1.1s-r0');
    expect(at111s(notAffected, fixedUpstream)?.outcome).toBe('fixed-upstream');
    expect(at111s(fixedUpstream, affected)?.outcome).toBe('affected');
    // Criteria from every configuration are kept, with the configuration they came from.
    expect(at111s(notAffected, fixedUpstream)?.criteria.map((c) => [c.cveConfigurationIndex, c.outcome])).toEqual([
      [0, 'before-range'],
      [1, 'after-range'],
    ]);
  });
});

describe('version lines of mapping rules', () => {
  const rules = { ...SAMPLE_RULES, products: [{ vendor: 'mit', product: 'kerberos', packages: ['krb5'], versions: '<4' }] };
  const lined = buildMappingIndex(packageUniverse(loadApkIndex('v3.16-main-x86_64')), rules);
  const reaches = (match: NvdCpeMatch) => prepareCve([configuration('OR', [node('OR', [match])])], lined).origins.has('krb5');
  const KERBEROS = 'cpe:2.3:a:mit:kerberos:*:*:*:*:*:*:*:*';

  it('leaves out a criterion whose every version lies outside the line', () => {
    expect(reaches(vulnerable(KERBEROS, { versionEndExcluding: '4.0' }))).toBe(false);
    expect(reaches(vulnerable('cpe:2.3:a:mit:kerberos:4.0:patch10:*:*:*:*:*:*'))).toBe(false);
  });

  it('keeps a criterion with no version, one in the line, one across it, or one it cannot read', () => {
    expect(reaches(vulnerable(KERBEROS))).toBe(true);
    expect(reaches(vulnerable(KERBEROS, { versionEndExcluding: '1.19.5' }))).toBe(true);
    expect(reaches(vulnerable(KERBEROS, { versionStartIncluding: '1.0', versionEndExcluding: '5.0' }))).toBe(true);
    expect(reaches(vulnerable('cpe:2.3:a:mit:kerberos:5-1.2.1:*:*:*:*:*:*:*'))).toBe(true);
  });
});
