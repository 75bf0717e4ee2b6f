import { describe, expect, it } from 'vitest';
import { parseCpe } from '../formats/cpe.js';
import {
  type PackageUniverse,
  binariesByOrigin,
  buildMappingIndex,
  criterionNameOf,
  mapCriterionToPackages,
  packageUniverse,
  productKey,
  productKeysReaching,
  productRulesOnly,
  sameUniverse,
} from './cpe-mapping.js';
import type { CriterionName, MappingRules } from './cpe-mapping.js';
import { SAMPLE_RULES } from './test-support/alpine-rules.js';
import { loadApkIndex, loadNvd, loadSecdb } from './test-support/alpine-sample.js';

const v316 = packageUniverse(loadApkIndex('v3.16-main-x86_64'));
const v317 = packageUniverse(loadApkIndex('v3.17-main-aarch64'));
const index316 = buildMappingIndex(v316, SAMPLE_RULES);
const index317 = buildMappingIndex(v317, SAMPLE_RULES);
/** No community index exists in the sample; its secdb package names are real origins of v3.16 community. */
const community316 = packageUniverse(loadSecdb('v3.16', 'community').packages.map(({ name }) => ({ name, origin: name })));

const NO_RULES: MappingRules = { products: [], deny: [], vendors: {} };

function criterion(vendor: string | undefined, product: string, targetSw?: string): CriterionName {
  return { vendor, product, ...(targetSw === undefined ? {} : { targetSw }) };
}

describe('criterionNameOf', () => {
  it('reads vendor, product and target software in lower case', () => {
    // CVE-2021-32804's criterion: node-tar, not GNU tar.
    const name = criterionNameOf(parseCpe('cpe:2.3:a:tar_project:tar:*:*:*:*:*:node.js:*:*', 't'));
    expect(name).toEqual({ vendor: 'tar_project', product: 'tar', targetSw: 'node.js' });
    expect(criterionNameOf(parseCpe('cpe:2.3:a:*:Curl:*:*:*:*:*:*:*:*', 't'))).toEqual({ vendor: undefined, product: 'curl' });
  });

  it('names nothing for hardware or a product that is not one exact name', () => {
    // CVE-2007-2768's NetApp hardware entry.
    expect(criterionNameOf(parseCpe('cpe:2.3:h:netapp:hci_storage_node:-:*:*:*:*:*:*:*', 't'))).toBeUndefined();
    expect(criterionNameOf(parseCpe('cpe:2.3:a:haxx:*:*:*:*:*:*:*:*:*', 't'))).toBeUndefined();
    expect(criterionNameOf(parseCpe('cpe:2.3:a:haxx:cur*:*:*:*:*:*:*:*:*', 't'))).toBeUndefined();
  });
});

describe('mapCriterionToPackages', () => {
  it('maps a binary package name to its origin: NVD’s libcurl reaches curl', () => {
    // v3.16 APKINDEX: P:libcurl has o:curl.
    expect(mapCriterionToPackages(criterion('haxx', 'libcurl'), index316)).toEqual([{ origin: 'curl', rule: 'binary-name' }]);
    expect(mapCriterionToPackages(criterion('haxx', 'curl'), index316)).toEqual([{ origin: 'curl', rule: 'origin-name' }]);
  });

  it('maps a product to its versioned origins in the branch', () => {
    // openssl3 exists only in v3.16; v3.17's openssl is 3.0 itself.
    expect(mapCriterionToPackages(criterion('openssl', 'openssl'), index316)).toEqual([
      { origin: 'openssl', rule: 'origin-name' },
      { origin: 'openssl3', rule: 'versioned-origin' },
    ]);
    expect(mapCriterionToPackages(criterion('openssl', 'openssl'), index317)).toEqual([{ origin: 'openssl', rule: 'origin-name' }]);
    // v3.16 main builds postgresql13 and postgresql14, v3.17 main postgresql14 and postgresql15;
    // postgresql-common is not a release series and stays out.
    expect(mapCriterionToPackages(criterion('postgresql', 'postgresql'), index316)).toEqual([
      { origin: 'postgresql13', rule: 'versioned-origin' },
      { origin: 'postgresql14', rule: 'versioned-origin' },
    ]);
    expect(mapCriterionToPackages(criterion('postgresql', 'postgresql'), index317).map(({ origin }) => origin)).toEqual(['postgresql14', 'postgresql15']);
    // v3.16 community has php8 and php81 (secdb v3.16 community).
    const community = buildMappingIndex(community316, SAMPLE_RULES);
    expect(mapCriterionToPackages(criterion('php', 'php'), community)).toEqual([
      { origin: 'php8', rule: 'versioned-origin' },
      { origin: 'php81', rule: 'versioned-origin' },
    ]);
  });

  it('finds language modules behind their Alpine prefix', () => {
    // v3.16 main has py3-requests, py3-lxml, perl-carp and lua-posix (binary lua5.4-posix).
    expect(mapCriterionToPackages(criterion('python', 'requests', 'python'), index316)).toEqual([{ origin: 'py3-requests', rule: 'language-prefix' }]);
    // NVD often leaves target_sw out: every prefix is tried when the bare name maps to nothing.
    expect(mapCriterionToPackages(criterion('lxml', 'lxml'), index316)).toEqual([{ origin: 'py3-lxml', rule: 'language-prefix' }]);
    expect(mapCriterionToPackages(criterion(undefined, 'carp', 'perl'), index316)).toEqual([{ origin: 'perl-carp', rule: 'language-prefix' }]);
    expect(mapCriterionToPackages(criterion(undefined, 'posix', 'lua'), index316)).toEqual([{ origin: 'lua-posix', rule: 'language-prefix' }]);
  });

  it('does not read a product Alpine ships under its own name as a binding of it', () => {
    // v3.16 has both curl and lua-curl; haxx:curl is curl. Named as a Lua module, it is lua-curl.
    expect(mapCriterionToPackages(criterion('haxx', 'curl'), index316).map(({ origin }) => origin)).toEqual(['curl']);
    expect(mapCriterionToPackages(criterion(undefined, 'curl', 'lua'), index316).map(({ origin }) => origin)).toEqual(['curl', 'lua-curl']);
  });

  it('tries the other spelling of word separators', () => {
    // CVE-2023-48795 names dropbear_ssh_project:dropbear_ssh; v3.16 has P:dropbear-ssh with o:dropbear.
    expect(mapCriterionToPackages(criterion('dropbear_ssh_project', 'dropbear_ssh'), index316)).toEqual([{ origin: 'dropbear', rule: 'binary-name' }]);
    // Alpine keeps the underscores of py3-sphinx_rtd_theme.
    expect(mapCriterionToPackages(criterion(undefined, 'sphinx-rtd-theme', 'python'), index316)).toEqual([
      { origin: 'py3-sphinx_rtd_theme', rule: 'language-prefix' },
    ]);
  });

  it('drops a product of the same name from another vendor', () => {
    // The rules say curl is made by haxx, so a made-up evilcorp:curl is someone else's curl,
    // through the binary name too (and, named without a language, not lua-curl either).
    expect(mapCriterionToPackages(criterion('evilcorp', 'curl'), index316)).toEqual([]);
    expect(mapCriterionToPackages(criterion('evilcorp', 'libcurl'), index316)).toEqual([]);
    // Without vendor rules the same criterion maps: the check is the rules', not a guess.
    expect(mapCriterionToPackages(criterion('evilcorp', 'curl'), buildMappingIndex(v316, NO_RULES))).toEqual([{ origin: 'curl', rule: 'origin-name' }]);
    // Real cases: node-tar (CVE-2021-32804), Cygwin's git (CVE-2021-29468), libssh (not libssh2,
    // which the versioned-origin rule would reach), Oracle MySQL (mariadb ships a binary "mysql").
    expect(mapCriterionToPackages(criterion('tar_project', 'tar', 'node.js'), index316)).toEqual([]);
    expect(mapCriterionToPackages(criterion('cygwin', 'git'), index316)).toEqual([]);
    expect(mapCriterionToPackages(criterion('libssh', 'libssh'), index316)).toEqual([]);
    expect(mapCriterionToPackages(criterion('oracle', 'mysql'), index316)).toEqual([]);
    // A criterion with vendor ANY cannot collide.
    expect(mapCriterionToPackages(criterion(undefined, 'curl'), index316).map(({ origin }) => origin)).toEqual(['curl']);
  });

  it('denies a listed product, for one vendor or for all', () => {
    // v3.16 main has an origin called "bridge"; Adobe Bridge is a different product.
    const rules: MappingRules = { ...NO_RULES, deny: [{ vendor: 'adobe', product: 'bridge' }, { product: 'linux_kernel' }] };
    const index = buildMappingIndex(v316, rules);
    expect(mapCriterionToPackages(criterion('adobe', 'bridge'), buildMappingIndex(v316, NO_RULES))).toEqual([{ origin: 'bridge', rule: 'origin-name' }]);
    expect(mapCriterionToPackages(criterion('adobe', 'bridge'), index)).toEqual([]);
    expect(mapCriterionToPackages(criterion('linuxfoundation', 'bridge'), index)).toEqual([{ origin: 'bridge', rule: 'origin-name' }]);
  });

  it('lets configured products win over the deny-list, vendor checks and defaults', () => {
    const rules: MappingRules = {
      products: [
        { vendor: 'MIT', product: 'Kerberos', packages: ['krb5'] },
        { vendor: 'openssl', product: 'openssl', packages: ['openssl', 'openssl3'] },
      ],
      deny: [{ product: 'kerberos' }],
      vendors: { krb5: ['nobody'] },
    };
    expect(mapCriterionToPackages(criterion('mit', 'kerberos'), buildMappingIndex(v316, rules))).toEqual([{ origin: 'krb5', rule: 'config-product' }]);
    // A configured package the branch does not build is left out: v3.17 has no openssl3.
    expect(mapCriterionToPackages(criterion('openssl', 'openssl'), buildMappingIndex(v317, rules))).toEqual([{ origin: 'openssl', rule: 'config-product' }]);
    // Another vendor's kerberos is not configured, so the deny-list applies to it.
    expect(mapCriterionToPackages(criterion('other', 'kerberos'), buildMappingIndex(v316, rules))).toEqual([]);
    // The sample rules route pcre:pcre to pcre alone, which the versioned-origin rule would extend to pcre2.
    expect(mapCriterionToPackages(criterion('pcre', 'pcre'), buildMappingIndex(v316, NO_RULES)).map(({ origin }) => origin)).toEqual(['pcre', 'pcre2']);
    expect(mapCriterionToPackages(criterion('pcre', 'pcre'), index316)).toEqual([{ origin: 'pcre', rule: 'config-product' }]);
  });

  it('works each name out once per index', () => {
    const first = mapCriterionToPackages(criterion('openssl', 'openssl'), index316);
    expect(mapCriterionToPackages(criterion('openssl', 'openssl'), index316)).toBe(first);
  });
});

describe('productKeysReaching', () => {
  const keysReaching = (origin: string, universe: PackageUniverse, index = buildMappingIndex(universe, SAMPLE_RULES)) =>
    productKeysReaching(origin, binariesByOrigin(universe).get(origin) ?? [], index);

  it('lists the key of every product that maps to an origin, for every criterion of the sample', async () => {
    // The incremental update maps only the criteria whose product key reaches a changed package,
    // so a mapping outside these keys would be a missed vulnerability.
    const names = [...(await loadNvd()).values()].flatMap((cve) =>
      cve.configurations.flatMap((configuration) => configuration.nodes.flatMap((node) => node.matches.map((match) => criterionNameOf(parseCpe(match.criteria, cve.id))))),
    );
    const extra = [criterion('haxx', 'libcurl'), criterion(undefined, 'sphinx_rtd_theme', 'python'), criterion('openssl', 'openssl'), criterion('mozilla', 'network_security_services')];
    let checked = 0;
    for (const [universe, index] of [[v316, index316], [v317, index317], [v316, buildMappingIndex(v316, NO_RULES)]] as const) {
      for (const name of [...names, ...extra]) {
        if (name === undefined) continue;
        for (const match of mapCriterionToPackages(name, index)) {
          expect(keysReaching(match.origin, universe, index).has(productKey(name.product)), `${name.product} -> ${match.origin}`).toBe(true);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('covers binaries, release series, language prefixes and configured products', () => {
    // curl's binary libcurl; openssl3 is a release of openssl; py3-* modules; tiff is libtiff by the rules.
    expect(keysReaching('curl', v316)).toContain('libcurl');
    expect(keysReaching('openssl3', v316)).toContain('openssl');
    const python = [...v316.origins].find((origin) => origin.startsWith('py3-'));
    expect(python).toBeDefined();
    expect(keysReaching(python!, v316)).toContain(python!.slice('py3-'.length));
    expect(keysReaching('tiff', v316)).toContain('libtiff');
  });
});

describe('sameUniverse', () => {
  it('holds for the same origins and binaries in any order, not when an origin or a binary differs', () => {
    const rows = [{ name: 'curl', origin: 'curl' }, { name: 'libcurl', origin: 'curl' }, { name: 'zlib', origin: 'zlib' }];
    expect(sameUniverse(packageUniverse(rows), packageUniverse([...rows].reverse()))).toBe(true);
    expect(sameUniverse(packageUniverse(rows), packageUniverse([...rows, { name: 'expat', origin: 'expat' }]))).toBe(false);
    expect(sameUniverse(packageUniverse(rows), packageUniverse([...rows.slice(0, 2), { name: 'zlib', origin: 'zlib-ng' }]))).toBe(false);
    expect(sameUniverse(packageUniverse(rows), packageUniverse([...rows.slice(0, 2), { name: 'zlib', origin: 'curl' }]))).toBe(false);
  });
});

describe('productRulesOnly', () => {
  it('maps as an index built by the rules without deny list and vendors', () => {
    const built = buildMappingIndex(v316, { products: SAMPLE_RULES.products, deny: [], vendors: {} });
    const derived = productRulesOnly(index316);
    // Denied (alpine-base), another vendor's curl, a configured product (http_server) and a plain name.
    const names = [criterion(undefined, 'alpine-base'), criterion('acme', 'curl'), criterion('apache', 'http_server'), criterion('haxx', 'curl'), criterion('isc', 'bind')];
    expect(names.map((name) => mapCriterionToPackages(name, derived))).toEqual(names.map((name) => mapCriterionToPackages(name, built)));
    expect(mapCriterionToPackages(criterion('acme', 'curl'), derived)).not.toEqual(mapCriterionToPackages(criterion('acme', 'curl'), index316));
  });
});
