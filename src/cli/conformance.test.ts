import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKitAnswers } from '../formats/conformance-answers.js';
import { type TestStore, backends, openTestStore } from '../test-support/databases.js';
import { runCli } from '../test-support/cli.js';
import { repoPath } from '../test-support/paths.js';

/*
 * `secfix conformance build` and `run` on the demo data of both databases: the kit's cases are
 * real packages of the sample data, `secfix scan` itself passes every case (as a root
 * filesystem and as a docker-save image, in its JSON and its SARIF output), and scanners that
 * get the rules wrong fail the cases they get wrong.
 */

const SECFIX = [process.execPath, repoPath('bin', 'secfix.js')];

/** The cases the demo data gives for 3.16: origin, installed version, the ids that must be reported. */
const DEMO_CASES = [
  { name: 'fixed', branch: '3.16', packages: ['apk-tools'], version: '2.12.6-r0', report: [] },
  { name: 'unfixed', branch: '3.16', packages: ['bash'], version: '4.4.12-r0', report: ['CVE-2016-0634 4.4.12-r1'] },
  { name: 'subpackages', branch: '3.16', packages: ['bzip2-dev', 'bzip2-doc', 'bzip2-static'], version: '1.0.6-r6', report: ['CVE-2019-12900 1.0.6-r7'] },
  { name: 'not-affected', branch: '3.16', packages: ['libxslt'], version: '1.1.35-r0', report: [] },
  { name: 'fix-not-published', branch: '3.16', packages: ['apache2'], version: '2.4.54-r0', report: ['CVE-2006-20001 null', 'CVE-2022-36760 null'] },
  { name: 'end-of-life', branch: '3.14', packages: ['bash'], version: '4.4.12-r0', report: ['CVE-2016-0634 4.4.12-r1'] },
];

describe.each(backends)('%s secfix conformance', (backend) => {
  let store: TestStore;
  const dir = mkdtempSync(join(tmpdir(), `secfix-cli-conformance-${backend}-`));
  const kit = join(dir, 'kit');
  beforeAll(async () => {
    store = await openTestStore(backend, { contents: 'demo' });
    expect(await runCli(['conformance', 'build', kit, '--branch', 'v3.16', '--db', store.url])).toEqual({ status: 0, stdout: '', stderr: `wrote 6 cases to ${kit}\n` });
  });
  afterAll(() => store.close());

  it('builds one case of each kind from real packages, with their answers', () => {
    const answers = parseKitAnswers(readFileSync(join(kit, 'answers.json'), 'utf8'), 'answers.json');
    expect(answers.skipped).toEqual([]);
    expect(
      answers.cases.map((kitCase) => ({
        name: kitCase.name,
        branch: kitCase.branch,
        packages: kitCase.packages.map((pkg) => pkg.name),
        version: kitCase.packages[0]?.version,
        report: [...new Set(kitCase.mustReport.map((finding) => `${finding.vulnerability} ${finding.fixedVersion}`))].slice(0, 2),
      })),
    ).toEqual(DEMO_CASES);
    const notAffected = answers.cases.find((kitCase) => kitCase.name === 'not-affected');
    expect(notAffected?.mustNotReport).toContainEqual({ package: 'libxslt', vulnerability: 'CVE-2022-29824', reason: 'the branch records libxslt as not affected ("0")' });
    expect(readFileSync(join(kit, 'unfixed', 'rootfs', 'lib', 'apk', 'db', 'installed'), 'utf8')).toBe('P:bash\nV:4.4.12-r0\nA:x86_64\no:bash\n');
    expect(readFileSync(join(kit, 'end-of-life', 'rootfs', 'etc', 'alpine-release'), 'utf8')).toBe('3.14.0\n');
  });

  it('refuses a branch the database does not have, and a folder that is not empty', async () => {
    expect(await runCli(['conformance', 'build', join(dir, 'other'), '--branch', '9.9', '--db', store.url])).toEqual({
      status: 2,
      stdout: '',
      stderr: 'secfix: --branch: no branch 9.9 in the database (it has 3.14, 3.16, 3.17)\n',
    });
    expect(await runCli(['conformance', 'build', kit, '--branch', '3.16', '--db', store.url])).toEqual({
      status: 2,
      stdout: '',
      stderr: `secfix: ${kit}: exists and is not empty; choose a new folder\n`,
    });
  });

  it(`secfix scan --db passes every case (${backend === 'sqlite' ? 'JSON' : 'SARIF'} output)`, async () => {
    const format = backend === 'sqlite' ? 'json' : 'sarif';
    const result = await runCli(['conformance', 'run', kit, '--', ...SECFIX, 'scan', '--db', store.url, '--format', format, '{}']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^case +target +result +problems\nfixed +fixed\/rootfs +pass\nfixed +fixed\/image\.tar +pass\n/);
    expect(result.stdout.split('\n').at(-2)).toBe('12 of 12 passed');
    expect(result.status).toBe(0);
  }, 180_000);
});

describe('secfix conformance run with wrong scanners', () => {
  let store: TestStore;
  const dir = mkdtempSync(join(tmpdir(), 'secfix-cli-conformance-wrong-'));
  const kit = join(dir, 'kit');
  beforeAll(async () => {
    store = await openTestStore('sqlite', { contents: 'demo' });
    expect((await runCli(['conformance', 'build', kit, '--branch', '3.16', '--db', store.url])).status).toBe(0);
  });
  afterAll(() => store.close());

  it('a scanner that reports nothing fails every case with a finding to report, naming what it missed', async () => {
    const script = join(dir, 'reports-nothing.mjs');
    writeFileSync(script, 'process.stdout.write(JSON.stringify({ findings: [] }));\n');
    const result = await runCli(['conformance', 'run', kit, '--', process.execPath, script]);
    expect(result.status).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines.find((line) => line.startsWith('fixed ') && line.includes('rootfs'))).toMatch(/ pass$/);
    expect(lines.find((line) => line.startsWith('unfixed ') && line.includes('rootfs'))).toMatch(/ FAIL +missing bash 4\.4\.12-r0 CVE-2016-0634 \(fixed 4\.4\.12-r1\)$/);
    expect(lines.at(-2)).toBe('4 of 12 passed');
  });

  it('a secdb scanner that ignores what the index publishes advises fixes that cannot be installed', async () => {
    const secdb = repoPath('data', 'alpine-sample', 'secdb');
    const result = await runCli(['conformance', 'run', kit, '--', ...SECFIX, 'scan', '--secdb', secdb, '--format', 'sarif']);
    expect(result.status).toBe(1);
    const failed = result.stdout.split('\n').filter((line) => / FAIL /.test(line));
    expect(failed.map((line) => line.split(/ +/)[1])).toEqual(['fix-not-published/rootfs', 'fix-not-published/image.tar']);
    expect(failed[0]).toContain('apache2 CVE-2006-20001: expected 2.4.54-r0 (no fix), got 2.4.54-r0 (fixed 2.4.55-r0)');
    expect(failed[0]).toMatch(/; and 8 more$/);
  }, 180_000);

  it('output that is neither SARIF nor secfix JSON fails the case with the reason and the scanner status', async () => {
    const script = join(dir, 'prints-text.mjs');
    writeFileSync(script, 'process.stdout.write("all good\\n"); process.stderr.write("scanner: no database\\n"); process.exitCode = 3;\n');
    const result = await runCli(['conformance', 'run', kit, '--', process.execPath, script, '--target={}']);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`fixed/rootfs: the scanner's output: not JSON (expected SARIF 2.1.0 or secfix scan --format json)`);
    expect(result.stdout).toContain('(exit 3: scanner: no database)');
  });

  it('a scanner still running after --timeout is stopped and fails its target', async () => {
    const script = join(dir, 'hangs-on-folders.mjs');
    // Hangs on the root filesystems, answers at once for the images.
    writeFileSync(script, 'if (process.argv[2].endsWith("rootfs")) setInterval(() => {}, 1000); else process.stdout.write("{\\"findings\\": []}");\n');
    const result = await runCli(['conformance', 'run', kit, '--timeout', '1', '--', process.execPath, script]);
    expect(result.status).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines.find((line) => line.includes('fixed/rootfs'))).toMatch(/ FAIL +the scanner was still running after 1 s: stopped$/);
    expect(lines.find((line) => line.includes('fixed/image.tar'))).toMatch(/ pass$/);
    expect(await runCli(['conformance', 'run', kit, '--timeout', '1.5', '--', process.execPath, script])).toMatchObject({
      status: 2,
      stderr: 'secfix: --timeout: expected a whole number of seconds, got "1.5"\n',
    });
  });

  it('a folder without answers.json is an error naming it', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(await runCli(['conformance', 'run', empty, '--', process.execPath, '-e', ''])).toEqual({
      status: 2,
      stdout: '',
      stderr: `secfix: ${join(empty, 'answers.json')}: no such file: not a kit secfix conformance build wrote\n`,
    });
  });
});
