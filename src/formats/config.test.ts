import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectParsedOrInputError, inputErrorFrom } from '../test-support/input-errors.js';
import { repoPath } from '../test-support/paths.js';
import { parseConfig, parseMappingConfig } from './config.js';

const read = (...segments: string[]) => readFileSync(repoPath(...segments), 'utf8');

describe('parseConfig', () => {
  it('reads the bundled Alpine configuration', () => {
    const config = parseConfig(read('config', 'alpine.yaml'), 'alpine.yaml');
    expect(config.distribution).toBe('Alpine Linux');
    expect(config.branches.map((branch) => branch.name)).toEqual(['edge', '3.22', '3.21']);
    const edge = config.branches[0]!;
    expect(edge.endOfSupport).toBeUndefined();
    expect(edge.architectures).toEqual(['x86_64', 'aarch64']);
    expect(edge.repositories.map((repo) => repo.name)).toEqual(['main', 'community']);
    expect(edge.repositories[0]!.index).toBe('https://dl-cdn.alpinelinux.org/alpine/edge/main/{arch}/APKINDEX.tar.gz');
    expect(config.branches[1]!.endOfSupport).toBe('2027-05-01');
    expect(config.rejections).toHaveLength(2);
    expect(config.rejections[0]!.branches).toBeUndefined();
    expect(config.mappingFile).toBe('alpine-mapping.yaml');
  });

  it('reads the demo configuration, whose sources are files in data/', () => {
    const config = parseConfig(read('data', 'demo.yaml'), 'demo.yaml');
    expect(config.branches.map((branch) => branch.name)).toEqual(['3.17', '3.16', '3.14']);
    expect(config.keys).toBe('alpine-sample/keys');
    expect(config.nvd).toHaveLength(12);
    expect(config.mappingFile).toBe('../config/alpine-mapping.yaml');
  });

  it('takes inline mapping rules, lower-casing CPE names', () => {
    const config = parseConfig(
      'mapping:\n  products:\n    - { vendor: Mozilla, product: NSS, packages: [nss] }\n  deny:\n    - { product: bridge }\n  vendors:\n    curl: [Haxx]\n  foreignPlatforms:\n    - { part: o, vendor: Apple }\n    - { part: h }\n',
      'inline.yaml',
    );
    expect(config.mapping).toEqual({
      products: [{ vendor: 'mozilla', product: 'nss', packages: ['nss'] }],
      deny: [{ product: 'bridge' }],
      vendors: { curl: ['haxx'] },
      foreignPlatforms: [{ part: 'o', vendor: 'apple' }, { part: 'h' }],
    });
    expect(config.mappingFile).toBeUndefined();
  });

  it('takes a version line on a product rule and names a malformed one', () => {
    const config = parseConfig('mapping:\n  products:\n    - { vendor: mit, product: kerberos, packages: [krb5], versions: "<4" }\n', 'c.yaml');
    expect(config.mapping.products).toEqual([{ vendor: 'mit', product: 'kerberos', packages: ['krb5'], versions: '<4' }]);
    const error = inputErrorFrom(() => parseConfig('mapping:\n  products:\n    - { product: kerberos, packages: [krb5], versions: "before 4" }\n', 'c.yaml'));
    expect(error.place).toBe('line 3 ($.mapping.products[0].versions)');
    expect(error.problem).toBe('"before" is not an operator (<, <=, >, >=, =) followed by an apk version');
  });

  it('names a foreign platform whose part is not o or h', () => {
    const error = inputErrorFrom(() => parseConfig('mapping:\n  foreignPlatforms:\n    - { part: a, vendor: apple }\n', 'c.yaml'));
    expect(error.place).toBe('line 3 ($.mapping.foreignPlatforms[0].part)');
    expect(error.problem).toBe('expected o (operating system) or h (hardware)');
  });

  it('strips the v of secdb-style branch names', () => {
    expect(parseConfig('branches:\n  - name: v3.20\n', 'c.yaml').branches[0]!.name).toBe('3.20');
  });

  it('names the line of an unknown setting', () => {
    const error = inputErrorFrom(() => parseConfig('branches:\n  - name: edge\n    archs: [x86_64]\n', 'c.yaml'));
    expect(error.place).toBe('line 3 ($.branches[0].archs)');
    expect(error.problem).toMatch(/unknown setting "archs"/);
  });

  it('refuses an unquoted branch number that YAML turned into a number', () => {
    const error = inputErrorFrom(() => parseConfig('branches:\n  - name: 3.20\n', 'c.yaml'));
    expect(error.place).toBe('line 2 ($.branches[0].name)');
    expect(error.problem).toMatch(/quote it \("3.2"\)/);
  });

  it('refuses a bad date, a repeated branch and malformed YAML', () => {
    expect(inputErrorFrom(() => parseConfig('branches:\n  - name: edge\n    endOfSupport: soon\n', 'c.yaml')).problem).toMatch(/YYYY-MM-DD/);
    expect(inputErrorFrom(() => parseConfig('branches:\n  - name: edge\n  - name: edge\n', 'c.yaml')).place).toBe('line 3 ($.branches[1].name)');
    expect(inputErrorFrom(() => parseConfig('branches: [\n', 'c.yaml')).problem).toMatch(/malformed YAML/);
    expect(inputErrorFrom(() => parseConfig('- a\n- b\n', 'c.yaml')).problem).toBe('expected a mapping, found a list');
  });

  it('reads who holds which role from `auth`, lower-casing addresses, and nobody without it', () => {
    const config = parseConfig('auth:\n  securityTeam:\n    emails: [Sec@Example.org]\n    groups: [alpine/security]\n  admins:\n    emails: [root@example.org]\n', 'c.yaml');
    expect(config.auth).toEqual({
      securityTeam: { emails: ['sec@example.org'], groups: ['alpine/security'] },
      admins: { emails: ['root@example.org'], groups: [] },
    });
    expect(parseConfig('distribution: X\n', 'c.yaml').auth).toEqual({ securityTeam: { emails: [], groups: [] }, admins: { emails: [], groups: [] } });
    expect(inputErrorFrom(() => parseConfig('auth:\n  securityTeam:\n    emails: [alpine/security]\n', 'c.yaml'))).toMatchObject({
      place: 'line 3 ($.auth.securityTeam.emails[0])',
      problem: '"alpine/security" is not an e-mail address',
    });
    expect(inputErrorFrom(() => parseConfig('auth:\n  security: {}\n', 'c.yaml')).problem).toMatch(/unknown setting "security"/);
  });

  it('reads the purl namespace, alpine unless told, and refuses one a purl cannot carry', () => {
    expect(parseConfig('distribution: X\n', 'c.yaml').purlNamespace).toBe('alpine');
    expect(parseConfig('purlNamespace: wolfi\n', 'c.yaml').purlNamespace).toBe('wolfi');
    const error = inputErrorFrom(() => parseConfig('purlNamespace: Wolfi/OS\n', 'c.yaml'));
    expect(error.place).toBe('line 1 ($.purlNamespace)');
    expect(error.problem).toMatch(/not a purl namespace/);
  });

  it('reads the gitlab section with its defaults, and names a bad field', () => {
    const config = parseConfig('gitlab:\n  url: https://gitlab.example.org/\n  project: alpine/aports\n  tokenEnv: GITLAB_TOKEN\n', 'c.yaml');
    expect(config.gitlab).toEqual({ url: 'https://gitlab.example.org', project: 'alpine/aports', tokenEnv: 'GITLAB_TOKEN', labels: [], minSeverity: null, graceHours: 24, maxPerRun: 50, baseUrl: undefined });
    expect(parseConfig('gitlab:\n  url: http://g.test\n  project: 42\n  tokenEnv: T\n  minSeverity: HIGH\n  maxPerRun: 3\n', 'c.yaml').gitlab).toMatchObject({ project: '42', minSeverity: 'high', maxPerRun: 3 });
    expect(parseConfig('distribution: X\n', 'c.yaml').gitlab).toBeUndefined();
    expect(inputErrorFrom(() => parseConfig('gitlab:\n  url: ftp://g.test\n  project: p\n  tokenEnv: T\n', 'c.yaml')).problem).toBe('expected an http(s) URL, found "ftp://g.test"');
    expect(inputErrorFrom(() => parseConfig('gitlab:\n  url: http://g.test\n  project: p\n  tokenEnv: T\n  minSeverity: severe\n', 'c.yaml')).place).toBe('line 5 ($.gitlab.minSeverity)');
  });

  it('gives InputError or a config for mutated text', () => {
    const text = read('data', 'demo.yaml');
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 20 }), fc.string({ maxLength: 4 }), (at, removed, inserted) => {
        const position = at % (text.length + 1);
        expectParsedOrInputError(() => parseConfig(text.slice(0, position) + inserted + text.slice(position + removed), 'm.yaml'));
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseMappingConfig', () => {
  it('reads the bundled Alpine mapping rules', () => {
    const mapping = parseMappingConfig(read('config', 'alpine-mapping.yaml'), 'alpine-mapping.yaml');
    expect(mapping.products).toContainEqual({ vendor: 'mozilla', product: 'network_security_services', packages: ['nss'] });
    expect(mapping.deny).toContainEqual({ product: 'bridge' });
    expect(mapping.vendors.curl).toEqual(['haxx']);
  });
});

describe('parseConfig on hostile YAML', () => {
  it('refuses an unresolved alias and an alias bomb', () => {
    expect(inputErrorFrom(() => parseConfig('distribution: *nowhere\n', 'c.yaml')).problem).toMatch(/malformed YAML/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((name, i) => `${name}: &${name} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`), 'distribution: *h'].join('\n');
    expect(inputErrorFrom(() => parseConfig(bomb, 'c.yaml')).problem).toMatch(/malformed YAML/);
  });
});
