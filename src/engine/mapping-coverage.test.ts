import { describe, expect, it } from 'vitest';
import { packageUniverse } from './cpe-mapping.js';
import { findUnmappedProducts, resemblanceKey } from './mapping-coverage.js';
import { SAMPLE_RULES } from './test-support/alpine-rules.js';
import { loadApkIndex } from './test-support/alpine-sample.js';

const v316 = packageUniverse(loadApkIndex('v3.16-main-x86_64'));
const count = (vendor: string, product: string, vulnerabilities = 1) => ({ vendor, product, vulnerabilities });

describe('resemblanceKey', () => {
  it('takes out case, separators, lib and language prefixes, release digits and a daemon d', () => {
    expect(['libexpat', 'expat', 'lua5.4-expat', 'EXPAT'].map(resemblanceKey)).toEqual(['expat', 'expat', 'expat', 'expat']);
    expect(resemblanceKey('libgcrypt20')).toBe(resemblanceKey('libgcrypt'));
    expect(resemblanceKey('dhcpd')).toBe(resemblanceKey('dhcp'));
    expect(resemblanceKey('http_server')).toBe('httpserver');
  });
});

describe('findUnmappedProducts on the v3.16 index', () => {
  const noRules = { products: [], deny: [], vendors: {} };

  it('lists products that reach nothing but resemble an index name, most vulnerabilities first', () => {
    const found = findUnmappedProducts([count('isc', 'dhcpd'), count('libexpat_project', 'libexpat', 11), count('acme', 'rocket_engine')], [{ branch: '3.16', universe: v316 }], noRules);
    expect(found.map(({ vendor, product, vulnerabilities }) => `${vendor}:${product} ${vulnerabilities}`)).toEqual(['libexpat_project:libexpat 11', 'isc:dhcpd 1']);
    expect(found[0]?.resembles).toContain('expat');
  });

  it('leaves out what the bundled rules map, and what they keep away on purpose', () => {
    const products = [count('libexpat_project', 'libexpat', 11), count('isc', 'dhcpd'), count('tar_project', 'tar'), count('haxx', 'curl')];
    expect(findUnmappedProducts(products, [{ branch: '3.16', universe: v316 }], SAMPLE_RULES)).toEqual([]);
  });

  it('names only the branches whose index holds a resembling name, and only their names', () => {
    const other = packageUniverse([{ name: 'libexpat-tools', origin: 'expat-extra' }, { name: 'zlib', origin: 'zlib' }]);
    const bare = packageUniverse([{ name: 'zlib', origin: 'zlib' }]);
    const branches = [{ branch: '3.16', universe: v316 }, { branch: 'bare', universe: bare }, { branch: 'other', universe: other }];
    const [expat] = findUnmappedProducts([count('libexpat_project', 'libexpat', 11)], branches, noRules);
    expect(expat?.branches).toEqual(['3.16']);
    expect(expat?.resembles).toEqual(findUnmappedProducts([count('libexpat_project', 'libexpat', 11)], [branches[0]!], noRules)[0]?.resembles);
    const [tools] = findUnmappedProducts([count('acme', 'expat_tools')], branches, noRules);
    expect(tools).toMatchObject({ branches: ['other'], resembles: ['libexpat-tools'] });
  });
});
