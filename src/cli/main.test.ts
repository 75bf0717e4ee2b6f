import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import { runCli } from '../test-support/cli.js';
import { processIo } from './io.js';
import { COMMANDS } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'secfix-cli-'));

describe('secfix main', () => {
  it('prints help and first steps with no arguments', async () => {
    const result = await runCli([]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: secfix');
    expect(result.stdout).toContain('secfix inspect apkindex');
    expect(result.stdout).toContain('\nEnvironment:\n  SECFIX_DB ');
  });

  it('--help names the environment variables', async () => {
    const result = await runCli(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/\nEnvironment:\n {2}SECFIX_DB .+\n {2}SECFIX_CODE_CACHE .+\n.+off for none\)\n {2}SECFIX_DEBUG=1 .+\n$/);
  });

  it('builds each command under the name that selects it', () => {
    for (const [name, build] of Object.entries(COMMANDS)) expect(build(processIo, { exitCode: 0 }).name()).toBe(name);
  });

  it('exits 2 on an unknown command', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown command/);
  });

  it('reports bad input as one line naming the file and place, exit 2', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"distroversion":"v3.16","reponame":"main","packages":[{"pkg":{"name":"zlib","secfixes":{"1.2-r0":["CVE-2022-37434",7]}}}]}');
    const result = await runCli(['inspect', 'secdb', file]);
    expect(result.status).toBe(2);
    expect(result.stderr.startsWith(`secfix: ${file}: $.packages[0].pkg.secfixes["1.2-r0"][1]: `)).toBe(true);
    expect(result.stderr).toMatch(/string/);
    expect(result.stderr.endsWith('\n')).toBe(true);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names a missing file', async () => {
    const result = await runCli(['inspect', 'nvd', join(dir, 'absent.json')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`secfix: ${join(dir, 'absent.json')}: no such file\n`);
  });

  it('prints normalized records as JSON lines with --json', async () => {
    const file = repoPath('data', 'alpine-sample', 'nvd', 'api-2.0', 'nvdcve-2.0-sample.json');
    const result = await runCli(['inspect', 'nvd', '--json', file]);
    expect(result.status).toBe(0);
    const ids = result.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { id: string }).id);
    // The sample feed holds these six records (data/alpine-sample/README.md, nvd/api-2.0).
    expect(ids.sort()).toEqual(['CVE-2021-42374', 'CVE-2022-0561', 'CVE-2023-0466', 'CVE-2023-28484', 'CVE-2023-38545', 'CVE-2023-42363']);
  });
});

describe('bin/secfix.js (built by npm test before the tests run)', () => {
  it('runs as a command and passes the exit status through', () => {
    const ok = spawnSync(process.execPath, [repoPath('bin', 'secfix.js'), 'version', 'compare', '8.6_p1-r0', '8.6-r0'], { encoding: 'utf8' });
    expect(ok.stdout).toBe('>\n');
    expect(ok.status).toBe(0);
    const invalid = spawnSync(process.execPath, [repoPath('bin', 'secfix.js'), 'version', 'valid', '1.0', '1.0-r'], { encoding: 'utf8' });
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toBe('invalid version: 1.0-r\n');
  });
});

describe('secfix failures are one line and exit 2', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string };
    expect(await runCli(['--version'])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('inspect usage errors exit 2 like every other command', async () => {
    const result = await runCli(['inspect', 'secdb']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^secfix: missing required argument 'file'; see --help\n$/);
  });

  it('a bad option value, an unknown option and an unknown command are one line each, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['query', 'runs', '--limit', 'abc'], /^secfix: option '--limit <n>' argument 'abc' is invalid\. .+; see --help\n$/],
      [['query', 'summary', '--bogus'], /^secfix: unknown option '--bogus'; see --help\n$/],
      [['version', 'compare', '--bogus'], /^secfix: unknown option '--bogus'; see --help\n$/],
      [['improt'], /^secfix: unknown command 'improt' \(Did you mean import\?\); see --help\n$/],
    ];
    for (const [argv, message] of cases) {
      const result = await runCli(argv);
      expect(result.status, argv.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });

  it('a 600 MB APKBUILD is refused by its size, naming the file, in inspect and in an aports import', async () => {
    const tree = join(dir, 'aports');
    mkdirSync(join(tree, 'main', 'huge'), { recursive: true });
    const apkbuild = join(tree, 'main', 'huge', 'APKBUILD');
    // Sparse: no disk or memory is spent on the 600 MB.
    writeFileSync(apkbuild, '');
    truncateSync(apkbuild, 600 << 20);
    const message = `secfix: ${apkbuild}: ${600 << 20} bytes, more than the ${4 << 20} an APKBUILD may have\n`;
    expect(await runCli(['inspect', 'apkbuild', apkbuild])).toEqual({ status: 2, stdout: '', stderr: message });
    expect(await runCli(['import', 'aports', '--branch', 'edge', '--db', `sqlite:${join(dir, 'aports.db')}`, tree])).toEqual({ status: 2, stdout: '', stderr: message });
  });

  it('scan takes --secdb once per file, so a target may follow it', async () => {
    const secdb = repoPath('data', 'alpine-sample', 'secdb', 'v3.16', 'main.json');
    const community = repoPath('data', 'alpine-sample', 'secdb', 'v3.16', 'community.json');
    const installed = repoPath('data', 'alpine-sample', 'apkindex', 'installed', 'syft-multiple-2.installed');
    const result = await runCli(['scan', '--branch', '3.16', '--secdb', secdb, '--secdb', community, '--installed', installed, '--format', 'json']);
    expect(result.status, result.stderr).toBeLessThan(2);
    const rootfs = join(dir, 'rootfs');
    mkdirSync(join(rootfs, 'lib', 'apk', 'db'), { recursive: true });
    writeFileSync(join(rootfs, 'lib', 'apk', 'db', 'installed'), readFileSync(installed));
    const positional = await runCli(['scan', '--branch', '3.16', '--secdb', secdb, rootfs, '--format', 'json']);
    expect(positional.status, positional.stderr).toBeLessThan(2);
    expect(JSON.parse(positional.stdout)).toMatchObject({ findings: expect.any(Array) as unknown[] });
  });
});
