import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../test-support/databases.js';
import { runCli } from '../test-support/cli.js';
import { dataDigest } from '../tracker/test-support/store-digest.js';

const INDEX = 'P:zlib\nV:1.3-r0\nA:x86_64\no:zlib\n\n';
const secdb = (name: string, id: string) =>
  JSON.stringify({ distroversion: 'v3.16', reponame: 'main', archs: ['x86_64'], packages: [{ pkg: { name, secfixes: { '1.3-r0': [id] } } }] });
const nvd = (id: string) => JSON.stringify({ format: 'NVD_CVE', version: '2.0', vulnerabilities: [{ cve: { id, published: '2021-01-01T00:00:00.000', lastModified: '2021-01-01T00:00:00.000', descriptions: [{ lang: 'en', value: 'x' }], references: [] } }] });

/** Every importer refuses a bad name with exit 2 and one line, storing nothing. */
describe.each(backends)('%s: secfix import refuses bad names', (backend) => {
  const store = useTestStore(backend);
  const dir = mkdtempSync(join(tmpdir(), `secfix-import-names-${backend}-`));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  async function expectRefused(argv: string[], message: RegExp): Promise<void> {
    const before = await dataDigest(store());
    const result = await runCli(['import', ...argv, '--db', store().url]);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(await dataDigest(store())).toBe(before);
  }

  it('a branch that is a path, a repository that is markup', async () => {
    const index = write('APKINDEX', INDEX);
    await expectRefused(['apkindex', '--branch', '../../etc', '--repo', 'main', index], /^secfix: .*APKINDEX: branch "\.\.\/\.\.\/etc": expected edge, a release such as 3\.20, or a branch the configuration declares\n$/);
    await expectRefused(['apkindex', '--branch', '3.16', '--repo', '<script>', index], /^secfix: .*APKINDEX: repository name "<script>": expected letters/);
    const rejections = write('rejections.yaml', 'zlib:\n  - CVE-2018-25032\n');
    await expectRefused(['rejections', '--branch', '../x', rejections], /branch "\.\.\/x"/);
    const tree = join(dir, 'aports');
    mkdirSync(join(tree, 'main', 'zlib'), { recursive: true });
    writeFileSync(join(tree, 'main', 'zlib', 'APKBUILD'), 'pkgname=zlib\npkgver=1.3\npkgrel=0\n');
    await expectRefused(['aports', '--branch', '/etc', tree], /branch "\/etc"/);
  });

  it('a package name with NUL, in an index, a secdb, a rejections file and an aports tree', async () => {
    await expectRefused(['apkindex', '--branch', '3.16', '--repo', 'main', write('APKINDEX-nul', INDEX.replace('P:zlib', 'P:x\u0000y'))], /APKINDEX-nul: line 1: package name "x\\u0000y"/);
    await expectRefused(['secdb', write('nul.json', secdb('x\u0000y', 'CVE-2021-1234'))], /nul\.json: \$\.packages\[0\]\.pkg\.name: package name "x\\u0000y"/);
    await expectRefused(['rejections', write('bad.yaml', '"a b":\n  - CVE-2018-25032\n')], /bad\.yaml: package name "a b"/);
    const tree = join(dir, 'aports-bad');
    mkdirSync(join(tree, 'main', 'x y'), { recursive: true });
    writeFileSync(join(tree, 'main', 'x y', 'APKBUILD'), 'pkgname=x\npkgver=1\npkgrel=0\n');
    await expectRefused(['aports', '--branch', 'edge', tree], /x y\/APKBUILD: package name "x y"/);
  });

  it('a 1 MB vulnerability id, in a secdb and in an NVD feed', async () => {
    const huge = `CVE-2021-${'1'.repeat(1 << 20)}`;
    await expectRefused(['secdb', write('huge.json', secdb('zlib', huge))], /huge\.json: .*: vulnerability id of 1048585 characters, longer than 80\n$/);
    await expectRefused(['nvd', write('nvd.json', nvd(`CVE-2021-${'1'.repeat(100)}`))], /nvd\.json: byte \d+ \(\$\.vulnerabilities\[0\]\.cve\.id\): not a CVE id: "CVE-2021-1{20}/);
  });

  it('a sync configuration declaring a branch or repository that is no apk name', async () => {
    for (const [branch, repo, place] of [['../x', 'main', 'branches[0].name'], ['rolling', '<b>', 'branches[0].repositories[0].name']]) {
      const config = write('bad-config.yaml', `branches:\n  - name: "${branch}"\n    architectures: [x86_64]\n    repositories:\n      - name: "${repo}"\n`);
      const before = await dataDigest(store());
      const result = await runCli(['sync', '--config', config, '--db', store().url]);
      expect(result).toMatchObject({ status: 2, stdout: '' });
      expect(result.stderr).toContain(place);
      expect(await dataDigest(store())).toBe(before);
    }
  });

  it('a branch a sync configuration declared is accepted', async () => {
    const config = write('rolling.yaml', `branches:\n  - name: rolling\n    architectures: [x86_64]\n    repositories:\n      - name: os\n        index: ${write('APKINDEX-rolling', INDEX)}\n`);
    expect(await runCli(['sync', '--config', config, '--db', store().url, '--allow-untrusted', '--json'])).toMatchObject({ status: 0, stderr: '' });
    const result = await runCli(['import', 'apkindex', '--branch', 'rolling', '--repo', 'os', '--db', store().url, write('APKINDEX-again', INDEX.replace('1.3-r0', '1.3-r1'))]);
    expect(result).toMatchObject({ status: 0, stderr: '' });
  });
});
