import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../base/input-error.js';
import { type CaseVerdict, type KitBranch, chooseEndOfLifeBranch, chooseKitCases, judgeCase } from '../engine/conformance.js';
import { type KitAnswers, type KitCase, parseKitAnswers, writeKitAnswers } from '../formats/conformance-answers.js';
import { dockerArchitecture, writeDockerSave } from '../formats/docker-save.js';
import { writeInstalledDb } from '../formats/installed.js';
import { writeOsRelease } from '../formats/os-release.js';
import { type ScannerOutput, parseScannerOutput } from '../formats/scanner-output.js';
import type { TarMember } from '../formats/tar.js';
import { trackerSecurityData } from '../scan/tracker.js';
import { type BranchSummary, type Store, listBranches, listPublishedBinaries, listTriageEvents } from '../store/index.js';

/*
 * `secfix conformance`: builds a scanner conformance kit from the tracker's data (test root
 * filesystems, docker-save images and answers.json; the engine chooses the cases) and runs a
 * scanner over a kit, judging its output against the answers.
 */

const ANSWERS_FILE = 'answers.json';

async function loadKitBranch(store: Pick<Store, 'db'>, branch: BranchSummary, triaged: ReadonlySet<string>): Promise<KitBranch> {
  const data = await trackerSecurityData(store.db, 'the tracker database', branch.name);
  const binaries = new Map<string, string[]>();
  for (const { binary, origin } of await listPublishedBinaries(store.db, branch.repositories.map((repository) => repository.id))) {
    const names = binaries.get(origin) ?? [];
    if (!names.includes(binary)) names.push(binary);
    binaries.set(origin, names);
  }
  return { data, binaries, arch: branch.archs[0], triaged };
}

/** The files of a case's system, as they sit below its root. */
function systemFiles(kitCase: KitCase): TarMember[] {
  const osRelease = new Map([
    ['NAME', 'Alpine Linux'],
    ['ID', 'alpine'],
    ['VERSION_ID', kitCase.release],
    ['PRETTY_NAME', `Alpine Linux v${kitCase.branch}`],
  ]);
  return [
    { name: 'etc/' },
    { name: 'etc/alpine-release', content: Buffer.from(`${kitCase.release}\n`) },
    { name: 'etc/os-release', content: Buffer.from(writeOsRelease(osRelease)) },
    { name: 'lib/' },
    { name: 'lib/apk/' },
    { name: 'lib/apk/db/' },
    { name: 'lib/apk/db/installed', content: Buffer.from(writeInstalledDb(kitCase.packages)) },
  ];
}

async function writeCase(root: string, kitCase: KitCase): Promise<string[]> {
  const files = systemFiles(kitCase);
  const rootfs = `${kitCase.name}/rootfs`;
  const image = `${kitCase.name}/image.tar`;
  for (const file of files) {
    const path = join(root, rootfs, file.name);
    if (file.content === undefined) await mkdir(path, { recursive: true });
    else await writeFile(path, file.content);
  }
  const arch = dockerArchitecture(kitCase.packages[0]?.arch ?? 'x86_64');
  await writeFile(join(root, image), writeDockerSave({ layers: [files], tag: `secfix-conformance/${kitCase.name}:${kitCase.branch}`, architecture: arch }));
  return [rootfs, image];
}

/** Refuses a folder that holds anything: a kit is written whole, never over other files. */
async function checkEmptyOrAbsent(dir: string): Promise<boolean> {
  try {
    if ((await readdir(dir)).length > 0) throw new InputError(dir, undefined, 'exists and is not empty; choose a new folder');
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') throw new InputError(dir, undefined, 'exists and is not a folder');
    throw error;
  }
}

/**
 * Builds a kit for `branch` into `dir` (absent or empty): written into a sibling temporary
 * folder and renamed, so `dir` never holds half a kit. Returns the answers written.
 */
export async function buildConformanceKit(store: Pick<Store, 'db'>, dir: string, branch: string): Promise<KitAnswers> {
  const existed = await checkEmptyOrAbsent(dir);
  const branches = await listBranches(store.db);
  const scanned = branches.find((candidate) => candidate.name === branch);
  if (scanned === undefined) {
    throw new InputError('--branch', undefined, `no branch ${branch} in the database (it has ${branches.map((candidate) => candidate.name).join(', ') || 'none'})`);
  }
  const triaged = new Set((await listTriageEvents(store.db)).map((event) => event.package));
  const endOfLifeName = chooseEndOfLifeBranch(branches, branch);
  const endOfLife = branches.find((candidate) => candidate.name === endOfLifeName);
  const choice = chooseKitCases(await loadKitBranch(store, scanned, triaged), endOfLife === undefined ? undefined : await loadKitBranch(store, endOfLife, triaged));

  await mkdir(dirname(resolve(dir)), { recursive: true });
  const partial = await mkdtemp(join(dirname(resolve(dir)), `.${basename(dir)}.partial-`));
  try {
    const cases = [];
    for (const kitCase of choice.cases) cases.push({ ...kitCase, targets: await writeCase(partial, kitCase) });
    const answers: KitAnswers = { branch, cases, skipped: choice.skipped };
    await writeFile(join(partial, ANSWERS_FILE), writeKitAnswers(answers));
    if (existed) await rmdir(dir);
    await rename(partial, dir);
    return answers;
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

/** One scanner run on one target of a case. */
export interface TargetRun {
  readonly caseName: KitCase['name'];
  readonly target: string;
  /** The judged output; absent when the output could not be read (see `error`). */
  readonly format?: ScannerOutput['format'];
  readonly verdict?: CaseVerdict;
  readonly error?: string;
}

/** The scanner's arguments for a target: `{}` replaced by its path, else the path appended. */
function commandFor(command: readonly string[], path: string): string[] {
  return command.some((arg) => arg.includes('{}')) ? command.map((arg) => arg.replaceAll('{}', path)) : [...command, path];
}

/** A scanner's output is held whole to be parsed; more than this is not a kit's report. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

interface ScannerResult {
  readonly status: number | null;
  /** The run was stopped after the time allowed. */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

function runScanner(argv: readonly string[], timeoutMs: number): Promise<ScannerResult> {
  return new Promise((resolvePromise, reject) => {
    const [program, ...args] = argv;
    if (program === undefined) {
      reject(new InputError('conformance run', undefined, 'no scanner command given after --'));
      return;
    }
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > MAX_OUTPUT_BYTES) child.kill();
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4096);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new InputError(program, undefined, `cannot run the scanner: ${error.message}`));
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, timedOut, stdout: Buffer.concat(stdout).toString('utf8'), stderr });
    });
  });
}

/**
 * Runs `command` once per target of every case of the kit in `dir` and judges each output.
 * The exit status is not judged (scanners exit 1 on findings); unreadable output fails the
 * target with the scanner's status and last stderr line, as does a run still going after
 * `timeoutMs` (it is killed).
 */
export async function runConformanceKit(dir: string, command: readonly string[], timeoutMs: number): Promise<TargetRun[]> {
  const answersPath = join(dir, ANSWERS_FILE);
  let text: string;
  try {
    text = await readFile(answersPath, 'utf8');
  } catch {
    throw new InputError(answersPath, undefined, 'no such file: not a kit secfix conformance build wrote');
  }
  const answers = parseKitAnswers(text, answersPath);
  const runs: TargetRun[] = [];
  for (const kitCase of answers.cases) {
    for (const target of kitCase.targets) {
      const result = await runScanner(commandFor(command, resolve(dir, target)), timeoutMs);
      if (result.timedOut) {
        runs.push({ caseName: kitCase.name, target, error: `the scanner was still running after ${timeoutMs / 1000} s: stopped` });
        continue;
      }
      try {
        const output = parseScannerOutput(result.stdout, `${target}: the scanner's output`);
        runs.push({ caseName: kitCase.name, target, format: output.format, verdict: judgeCase(kitCase, output.findings) });
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        const lastLine = result.stderr.trim().split('\n').at(-1) ?? '';
        runs.push({ caseName: kitCase.name, target, error: `${error.message} (exit ${result.status ?? 'by signal'}${lastLine === '' ? '' : `: ${lastLine}`})` });
      }
    }
  }
  return runs;
}

const PROBLEMS_SHOWN = 3;

const fixText = (fixedVersion: string | null) => (fixedVersion === null ? 'no fix' : `fixed ${fixedVersion}`);

function problems(run: TargetRun): string {
  if (run.error !== undefined) return run.error;
  const verdict = run.verdict;
  if (verdict === undefined) return '';
  const all = [
    ...verdict.missing.map((finding) => `missing ${finding.package} ${finding.installedVersion} ${finding.vulnerability} (${fixText(finding.fixedVersion)})`),
    ...verdict.wrong.map(
      ({ expected, reported }) =>
        `${expected.package} ${expected.vulnerability}: expected ${expected.installedVersion} (${fixText(expected.fixedVersion)}), got ${reported.installedVersion ?? '?'} (${fixText(reported.fixedVersion)})`,
    ),
    ...verdict.forbidden.map((finding) => `must not report ${finding.package} ${finding.vulnerability}`),
  ];
  // A table line stays readable: answers.json has the rest.
  const shown = all.slice(0, PROBLEMS_SHOWN).join('; ');
  return all.length > PROBLEMS_SHOWN ? `${shown}; and ${all.length - PROBLEMS_SHOWN} more` : shown;
}

/** The pass/fail table: one line per case and target, then the count. */
export function renderRunTable(runs: readonly TargetRun[]): string {
  const rows = runs.map((run) => [run.caseName, run.target, run.verdict?.passed === true ? 'pass' : 'FAIL', problems(run)]);
  const header = ['case', 'target', 'result', 'problems'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd();
  const passed = runs.filter((run) => run.verdict?.passed === true).length;
  return `${[line(header), ...rows.map(line), `${passed} of ${runs.length} passed`].join('\n')}\n`;
}
