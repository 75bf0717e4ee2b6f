import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTar } from '../formats/tar.js';
import { archive, dockerSaveMembers } from '../scan/test-support/images.js';
import { importV316Tracker } from '../scan/test-support/tracker-data.js';
import { loadMappingRules } from '../sources/config.js';
import { backends, useTestStore } from '../test-support/databases.js';
import { repoPath } from '../test-support/paths.js';
import { importApkIndex, importNvd, importSecdb } from '../tracker/import.js';
import { updateStates } from '../tracker/update.js';
import { runCli } from '../test-support/cli.js';
import { listen } from '../web/listen.js';

const S = ['data', 'alpine-sample'];
const SECDB = repoPath(...S, 'secdb');
const SYFT = repoPath(...S, 'apkindex', 'installed', 'syft-multiple-2.installed');
const TRIVY = repoPath(...S, 'apkindex', 'installed', 'trivy-apk.installed');
const QUERY_INSTALLED = repoPath('fixtures', 'apk-tools', 'master', 'query-installed.data');
const INDEX = repoPath(...S, 'apkindex', 'v3.16-main-x86_64', 'APKINDEX.tar.gz');
const KEYS = repoPath(...S, 'keys');
const dir = mkdtempSync(join(tmpdir(), 'secfix-cli-scan-'));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function secfix(...args: string[]): Promise<Run> {
  const { status, stdout, stderr } = await runCli(['scan', ...args]);
  return { code: status, stdout, stderr };
}

function writeFile(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** A root filesystem folder of the alpine 3.16 base image: syft's database plus the files apk keeps beside it. */
function rootfs(name: string): string {
  const root = join(dir, name);
  writeFile(join(root, 'lib/apk/db/installed'), readFileSync(SYFT));
  writeFile(join(root, 'etc/alpine-release'), '3.16.2\n');
  writeFile(join(root, 'etc/apk/arch'), 'x86_64\n');
  writeFile(join(root, 'etc/apk/repositories'), 'https://dl-cdn.alpinelinux.org/alpine/v3.16/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.16/community\n');
  writeFile(join(root, 'usr/lib/os-release'), 'ID=alpine\nVERSION_ID=3.16.2\n');
  // Absolute, as some images ship it: it must resolve inside the root, not to the host's file.
  symlinkSync('/usr/lib/os-release', join(root, 'etc/os-release'));
  return root;
}

/** The total line text mode ends with. */
const total = (run: Run) => run.stdout.trimEnd().split('\n').at(-1);

describe('secfix scan with secdb files', () => {
  it('--help shows the examples', async () => {
    const run = await secfix('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Examples:\n  secfix scan / --secdb ./secdb');
  });

  it('syft-multiple-2 as 3.16: four packages to upgrade, exit 1', async () => {
    const run = await secfix('--installed', SYFT, '--branch', 'v3.16', '--secdb', SECDB);
    // busybox, ssl_client → 1.35.0-r18 (CVE-2023-42366); libcrypto1.1, libssl1.1 → 1.1.1w-r1 (10 ids); see advise.test.ts.
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('ssl_client-1.35.0-r18 x86_64 {busybox} [upgradable from: ssl_client-1.35.0-r17] CVE-2023-42366\n');
    expect(total(run)).toBe('4 packages to upgrade (11 vulnerabilities); 0 waiting for an unpublished fix (0); 0 with unfixed vulnerabilities (0)');
    // A bare database states no release; 3.16 is past its end of support.
    expect(run.stderr.split('\n').filter((line) => line !== '').map((line) => line.split(':')[1]?.trim())).toEqual(['cannot tell the Alpine release', 'branch 3.16 reached its end of support on 2024-05-23']);
  });

  it('with the real v3.16 index nothing is published yet: exit 0, unless --fail-on counts waiting fixes', async () => {
    const args = ['--installed', SYFT, '--branch', '3.16', '--secdb', SECDB, '--index', INDEX, '--keys', KEYS];
    const run = await secfix(...args);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('busybox-1.35.0-r17 x86_64 {busybox} [fix not published: 1.35.0-r18, newest published 1.35.0-r17] CVE-2023-42366\n');
    expect(total(run)).toBe('0 packages to upgrade (0 vulnerabilities); 4 waiting for an unpublished fix (11); 0 with unfixed vulnerabilities (0)');
    expect((await secfix(...args, '--fail-on', 'upgrade,fix-not-published')).code).toBe(1);
  });

  it('a root folder: branch, release and arch from its own files, links kept inside the root', async () => {
    const run = await secfix(rootfs('root'), '--secdb', SECDB, '--format', 'json');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { system: unknown; warnings: { code: string }[] };
    expect(report.system).toEqual({ branch: '3.16', branchSource: 'etc/alpine-release', release: '3.16.2', arch: 'x86_64', packages: 14 });
    // The release is stated and os-release (reached through the absolute link) says alpine: only the end of support is left.
    expect(report.warnings.map((warning) => warning.code)).toEqual(['end-of-support']);
  });

  it('--format sarif writes a SARIF 2.1.0 log', async () => {
    const run = await secfix('--installed', SYFT, '--branch', '3.16', '--secdb', SECDB, '--format', 'sarif');
    const log = JSON.parse(run.stdout) as { version: string; runs: { results: unknown[] }[] };
    expect(run.code).toBe(1);
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]?.results).toHaveLength(11);
  });

  it('trivy-apk needs --branch, then warns about its versionless package', async () => {
    const unknown = await secfix('--installed', TRIVY, '--secdb', SECDB);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      `secfix: ${TRIVY}: cannot tell the Alpine branch (no etc/alpine-release, alpine-release package, os-release or versioned repository): give --branch\n`,
    );
    const run = await secfix('--installed', TRIVY, '--branch', '3.14', '--secdb', SECDB);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('warning: package invalidPackageWithoutAVersion (line 23) has no version: not checked\n');
  });

  it('query-installed.data is 3.21, which no given secdb covers: exit 2 rather than a false all-clear', async () => {
    const run = await secfix('--installed', QUERY_INSTALLED, '--secdb', SECDB);
    expect(run).toEqual({ code: 2, stdout: '', stderr: `secfix: ${SECDB}: no secdb document for branch 3.21 (the 6 read cover 3.14, 3.16, 3.17)\n` });
  });
});

describe('secfix scan: images and bad input', () => {
  it('scans a docker save tarball', async () => {
    const layers = [
      [
        { name: 'etc/alpine-release', content: '3.16.2\n' },
        { name: 'lib/apk/db/installed', content: readFileSync(SYFT) },
      ],
    ];
    const path = join(dir, 'image.tar');
    writeFileSync(path, await archive(await dockerSaveMembers(layers)));
    const run = await secfix(path, '--secdb', SECDB);
    expect(run.code).toBe(1);
    expect(total(run)).toBe('4 packages to upgrade (11 vulnerabilities); 0 waiting for an unpublished fix (0); 0 with unfixed vulnerabilities (0)');
  });

  it('a truncated tarball, an image without an apk database, a garbled installed file: exit 2 and one line', async () => {
    const whole = await archive(await dockerSaveMembers([[{ name: 'lib/apk/db/installed', content: readFileSync(SYFT) }]]));
    const first = [...readTar(whole, 'whole')][0];
    const truncated = join(dir, 'truncated.tar');
    writeFileSync(truncated, whole.subarray(0, (first?.headerOffset ?? 0) + 512 + 100));
    expect(await secfix(truncated, '--secdb', SECDB)).toEqual({
      code: 2,
      stdout: '',
      stderr: `secfix: ${truncated}: byte 0: tar entry of ${first?.size} bytes runs past the end of the archive\n`,
    });

    const noApk = join(dir, 'distroless.tar');
    writeFileSync(noApk, await archive(await dockerSaveMembers([[{ name: 'etc/os-release', content: 'ID=distroless\n' }]])));
    expect(await secfix(noApk, '--secdb', SECDB)).toEqual({ code: 2, stdout: '', stderr: `secfix: ${noApk}: no lib/apk/db/installed in the image: not an apk-based image\n` });

    const garbled = join(dir, 'garbled.installed');
    writeFileSync(garbled, 'P:busybox\nV:1.35.0-r17\nthis is not a field\n\n');
    const run = await secfix('--installed', garbled, '--branch', '3.16', '--secdb', SECDB);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^secfix: ${garbled}: line 3: [^\\n]+\\n$`));
  });

  it('usage errors exit 2 with one line', async () => {
    const usage = async (...args: string[]) => {
      const run = await secfix(...args);
      expect(run.code).toBe(2);
      expect(run.stderr.endsWith('\n') && !run.stderr.slice(0, -1).includes('\n')).toBe(true);
      return run.stderr;
    };
    expect(await usage('--installed', SYFT, '--secdb', SECDB, '--server', 'https://secfix.example')).toBe(
      'secfix: give exactly one source of security data: --secdb PATH, --db URL, --server URL or --index-url URL|FILE\n',
    );
    expect(await usage('--installed', SYFT, '--server', 'secfix.example:8080')).toBe('secfix: --server: "secfix.example:8080": expected an http:// or https:// address\n');
    expect(await usage('--secdb', SECDB)).toBe('secfix: give exactly one of a target (root folder or image) and --installed FILE\n');
    expect(await usage('--installed', SYFT)).toBe('secfix: give exactly one source of security data: --secdb PATH, --db URL, --server URL or --index-url URL|FILE\n');
    expect(await usage('--installed', SYFT, '--secdb', SECDB, '--fail-on', 'upgrade,bogus')).toBe(
      'secfix: --fail-on "upgrade,bogus": expected a comma-separated list of upgrade, fix-not-published, unfixed\n',
    );
    expect(await usage('--installed', SYFT, '--secdb', SECDB, '--branch', '3')).toBe('secfix: --branch: branch "3": expected edge or a release such as 3.20\n');
    expect(await usage('--installed', SYFT, '--db', `sqlite:${join(dir, 'missing.db')}`)).toBe(`secfix: no SQLite database at ${join(dir, 'missing.db')} (only init, import, sync and demo create a database)\n`);
  });
});

describe.each(backends)('secfix scan --db on %s', (backend) => {
  const store = useTestStore(backend);

  it('reports the unfixed vulnerable pairs the tracker holds', async () => {
    await importApkIndex(store(), { branch: '3.16', repo: 'main', location: INDEX, keysDir: KEYS });
    await importSecdb(store(), { location: repoPath(...S, 'secdb', 'v3.16', 'main.json') });
    await importSecdb(store(), { location: repoPath(...S, 'secdb', 'v3.16', 'community.json') });
    await importNvd(store(), { location: repoPath(...S, 'nvd', 'api-2.0', 'nvdcve-2.0-sample.json') });
    await updateStates(store(), { full: true, rules: await loadMappingRules() });

    const run = await secfix('--installed', SYFT, '--branch', '3.16', '--db', store().url);
    // NVD's CVE-2023-0466 covers openssl 1.1.1s-r0 and no v3.16 secfix names it: vulnerable, no fix.
    expect(run.stdout).toContain('libcrypto1.1-1.1.1q-r0 x86_64 {openssl} [unfixed: vulnerable] CVE-2023-0466\n');
    expect(run.stdout).toContain('libssl1.1-1.1.1q-r0 x86_64 {openssl} [unfixed: vulnerable] CVE-2023-0466\n');
    // The stored index publishes neither fix yet (see tracker.test.ts), so nothing is upgradable: exit 0 by default.
    expect(total(run)).toBe('0 packages to upgrade (0 vulnerabilities); 4 waiting for an unpublished fix (11); 2 with unfixed vulnerabilities (1)');
    expect(run.code).toBe(0);
    expect((await secfix('--installed', SYFT, '--branch', '3.16', '--db', store().url, '--fail-on', 'unfixed')).code).toBe(1);
  });
});

describe.each(backends)('secfix scan --server on %s', (backend) => {
  const store = useTestStore(backend);
  const SCAN = ['--installed', SYFT, '--branch', '3.16', '--format', 'json'];

  it('finds through a running tracker what --db finds in its database', async () => {
    await importV316Tracker(store(), await loadMappingRules());
    const server = await listen(store(), { port: 0, host: '127.0.0.1', site: { distribution: 'test' }, rateLimitPerMinute: false });
    try {
      const viaServer = await secfix(...SCAN, '--server', `${server.address}/`);
      const viaDatabase = await secfix(...SCAN, '--db', store().url);
      expect(viaServer.stderr).toBe('');
      const report = JSON.parse(viaServer.stdout) as { findings: { kind: string }[]; securityData: unknown };
      expect(report.findings).toEqual((JSON.parse(viaDatabase.stdout) as { findings: unknown }).findings);
      expect(viaServer.code).toBe(viaDatabase.code);
      // Open vulnerabilities come only from the tracker: they crossed the wire.
      expect(report.findings.map((finding) => finding.kind)).toContain('unfixed');
      expect(report.securityData).toEqual({ kind: 'tracker', sources: [server.address], repos: ['community', 'main'] });

      const missing = await secfix('--installed', SYFT, '--branch', '3.17', '--server', server.address);
      expect(missing).toEqual({
        code: 2,
        stdout: '',
        stderr: `secfix: ${server.address}/api/branch/3.17/security-data: the tracker has no branch 3.17 (HTTP 404: no security data for branch 3.17 (it has 3.16))\n`,
      });
    } finally {
      await server.close();
    }
  });

  it('exits 2 with one line naming the address when no tracker answers', async () => {
    const run = await secfix(...SCAN, '--server', 'http://127.0.0.1:1');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^secfix: http:\/\/127\.0\.0\.1:1\/api\/branch\/3\.16\/security-data: cannot reach the tracker: [^\n]+\n$/);
  });
});
