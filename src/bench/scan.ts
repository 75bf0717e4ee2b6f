import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseApkIndexText } from '../formats/apkindex.js';
import { parseSecdb } from '../formats/secdb.js';
import { renderText } from '../scan/report.js';
import { runScan, secdbLoader } from '../scan/run.js';
import { readSecdbSources } from '../scan/secdb-files.js';
import { compareVersions } from '../version/index.js';
import { elapsedMs } from './measure.js';
import { bundledPath } from './paths.js';

/*
 * `secfix scan` of a 500-package system against every branch's sample secdb (v3.14, v3.16,
 * v3.17, main and community): the in-process time (read, parse, decide, render) and the whole
 * command's wall time (`node bin/secfix.js scan`, spawned). The system is a root folder made
 * from real v3.16 index entries; packages whose origin has v3.16 secfixes are set to that
 * origin's oldest fix version, so every later fix applies. Targets: < 20 ms and < 400 ms.
 */

const PACKAGES = 500;
const WARM_UP_RUNS = 10;
const IN_PROCESS_RUNS = 50;
const COMMAND_RUNS = 11;

const secdbDir = bundledPath('data', 'alpine-sample', 'secdb');
const index = parseApkIndexText(readFileSync(bundledPath('data', 'alpine-sample', 'apkindex', 'v3.16-main-x86_64', 'APKINDEX'), 'utf8'), 'APKINDEX');

const secdbSources = await readSecdbSources([secdbDir]);
const oldestFix = new Map<string, string>();
for (const source of secdbSources) {
  const document = parseSecdb(source.bytes, source.path);
  if (document.branch !== '3.16') continue;
  for (const pkg of document.packages) {
    for (const { version } of pkg.secfixes) {
      const known = oldestFix.get(pkg.name);
      if (version !== '0' && (known === undefined || compareVersions(version, known) < 0)) oldestFix.set(pkg.name, version);
    }
  }
}

const byName = [...new Map(index.map((pkg) => [pkg.name, pkg])).values()].sort((a, b) => (a.name < b.name ? -1 : 1));
const chosen = [...byName.filter((pkg) => oldestFix.has(pkg.origin)), ...byName.filter((pkg) => !oldestFix.has(pkg.origin))].slice(0, PACKAGES);
const stanza = (pkg: (typeof index)[number]) =>
  [
    `P:${pkg.name}`,
    `V:${oldestFix.get(pkg.origin) ?? pkg.version ?? ''}`,
    `A:${pkg.arch ?? 'x86_64'}`,
    `I:${pkg.installedSize ?? 0}`,
    `T:${pkg.description ?? ''}`,
    `o:${pkg.origin}`,
    ...(pkg.depends.length === 0 ? [] : [`D:${pkg.depends.map((dependency) => `${dependency.conflict ? '!' : ''}${dependency.name}${dependency.op}${dependency.version ?? ''}`).join(' ')}`]),
  ].join('\n');

const root = mkdtempSync(join(tmpdir(), 'secfix-bench-scan-'));
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};
write('lib/apk/db/installed', `${chosen.map(stanza).join('\n\n')}\n\n`);
write('etc/alpine-release', '3.16.3\n');
write('etc/apk/arch', 'x86_64\n');
write('etc/apk/repositories', 'https://dl-cdn.alpinelinux.org/alpine/v3.16/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.16/community\n');

const today = new Date().toISOString().slice(0, 10);
const scanOnce = async () => {
  const report = await runScan({ input: { target: root }, loadSecurityData: secdbLoader([secdbDir]), today });
  renderText(report);
  return report;
};

const median = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return Math.round((sorted[Math.floor(sorted.length / 2)] ?? 0) * 100) / 100;
};

try {
  const firstStart = process.hrtime.bigint();
  const report = await scanOnce();
  const firstRunMs = Math.round(elapsedMs(firstStart) * 100) / 100;
  // Warm the JIT first, as a long-running process (a CI runner scanning many images) would be.
  for (let run = 0; run < WARM_UP_RUNS; run += 1) await scanOnce();
  const inProcess: number[] = [];
  for (let run = 0; run < IN_PROCESS_RUNS; run += 1) {
    const start = process.hrtime.bigint();
    await scanOnce();
    inProcess.push(elapsedMs(start));
  }

  const wall = (args: readonly string[], expectedStatus: number) => {
    const times: number[] = [];
    for (let run = 0; run < COMMAND_RUNS; run += 1) {
      const start = process.hrtime.bigint();
      const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
      times.push(elapsedMs(start));
      if (child.status !== expectedStatus) throw new Error(`${args.join(' ')} exited ${child.status}: ${child.stderr}`);
    }
    return median(times);
  };
  const bin = bundledPath('bin', 'secfix.js');
  const commandMs = wall([bin, 'scan', root, '--secdb', secdbDir], 1);
  // What any command costs before it does anything: Node itself, and the CLI's module loading.
  const nodeStartupMs = wall(['-e', '0'], 0);
  const cliStartupMs = wall([bin, 'version', 'compare', '1', '2'], 0);

  console.log(
    JSON.stringify({
      packages: report.system.packages,
      findings: report.findings.length,
      vulnerabilities: report.findings.reduce((count, finding) => count + finding.vulnerabilities.length, 0),
      secdbFiles: secdbSources.length,
      inProcess: { firstRunMs, medianMs: median(inProcess), runs: IN_PROCESS_RUNS, targetMs: 20 },
      command: { medianMs: commandMs, runs: COMMAND_RUNS, targetMs: 400, nodeStartupMs, cliStartupMs },
    }),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
