import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elapsedMs } from './measure.js';
import { bundledPath } from './paths.js';

/**
 * Start-up cost of the CLI, as ratios to a bare `node -e 0` timed in the same run (so a busy
 * machine slows both): `--help`, `query summary` on a small database, and the five-process
 * pipeline on the 3.16 main sample. Runs of every measurement are interleaved, medians reported.
 * SECFIX_STARTUP_BASELINE=DIR also times DIR's bin/secfix.js (a built checkout of older code) on
 * the pipeline, for the "half of the old time" target: step by step, each step of one pipeline
 * right after the same step of the other (which goes first alternates), so a burst of other work
 * on the machine weighs on both alike; the pipeline's time is the sum of its steps' medians.
 * secfix's calls keep their code caches (src/base/code-cache.ts) in a folder of this run; one
 * pipeline run first, with that folder empty, shows what first calls cost.
 */
const RUNS = 15;
const PIPELINE_RUNS = 7;
const TARGETS = { help: 1.5, querySummary: 2.5, pipelineVsBaseline: 0.5 };

const SAMPLE = bundledPath('data', 'alpine-sample');
const NVD_DIR = join(SAMPLE, 'nvd', 'feed-1.1');

function run(args: readonly string[], env: NodeJS.ProcessEnv = benchEnv): number {
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = elapsedMs(start);
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  return ms;
}

/** The pipeline: init, import apkindex, secdb, the 11 NVD 1.1 feeds of the demo, update, one process each. */
function pipelineSteps(): string[][] {
  const feeds = readdirSync(NVD_DIR).filter((name) => name.endsWith('.json')).sort().map((name) => join(NVD_DIR, name));
  return [
    ['init'],
    ['import', 'apkindex', '--branch', '3.16', '--repo', 'main', '--keys', join(SAMPLE, 'keys'), join(SAMPLE, 'apkindex', 'v3.16-main-x86_64', 'APKINDEX.tar.gz')],
    ['import', 'secdb', join(SAMPLE, 'secdb', 'v3.16', 'main.json')],
    ['import', 'nvd', ...feeds],
    ['update'],
  ];
}

/**
 * Times each step of the pipeline for every `bins` entry (each into a fresh SQLite file of its
 * own), the entries' same step one after another, and returns per entry the time of each step.
 */
function interleavedPipelines(bins: readonly string[], dir: string, order: number): number[][] {
  const envs = bins.map((_, index) => ({ ...benchEnv, SECFIX_DB: `sqlite:${join(dir, `pipeline-${process.hrtime.bigint()}-${index}.db`)}` }));
  const times = bins.map(() => [] as number[]);
  const turn = bins.map((_, index) => (index + order) % bins.length);
  for (const step of pipelineSteps()) {
    for (const index of turn) times[index]!.push(run([bins[index]!, ...step], envs[index]));
  }
  return times;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10;
}

const ratio = (value: number, base: number) => Math.round((value / base) * 100) / 100;

const bin = bundledPath('bin', 'secfix.js');
const baselineDir = process.env.SECFIX_STARTUP_BASELINE;
const dir = mkdtempSync(join(tmpdir(), 'secfix-bench-startup-'));
const benchEnv: NodeJS.ProcessEnv = { ...process.env, SECFIX_CODE_CACHE: join(dir, 'code-cache') };
try {
  const firstCallStepMs = interleavedPipelines([bin], dir, 0)[0]!;
  const summaryDb = { ...benchEnv, SECFIX_DB: `sqlite:${join(dir, 'summary.db')}` };
  run([bin, 'import', 'apkindex', '--branch', '3.16', '--repo', 'main', '--keys', join(SAMPLE, 'keys'), join(SAMPLE, 'apkindex', 'v3.16-main-x86_64', 'APKINDEX.tar.gz')], summaryDb);
  run([bin, 'import', 'secdb', join(SAMPLE, 'secdb', 'v3.16', 'main.json')], summaryDb);
  run([bin, 'update'], summaryDb);

  const times = { node: [] as number[], help: [] as number[], querySummary: [] as number[] };
  for (let i = 0; i < RUNS; i += 1) {
    times.node.push(run(['-e', '0']));
    times.help.push(run([bin, '--help']));
    times.querySummary.push(run([bin, 'query', 'summary'], summaryDb));
  }
  const bins = baselineDir === undefined ? [bin] : [bin, join(baselineDir, 'bin', 'secfix.js')];
  // Per entry of `bins`, per step, the runs' times.
  const stepTimes = bins.map(() => pipelineSteps().map(() => [] as number[]));
  for (let i = 0; i < PIPELINE_RUNS; i += 1) {
    interleavedPipelines(bins, dir, i).forEach((steps, entry) => steps.forEach((ms, step) => stepTimes[entry]![step]!.push(ms)));
  }
  const pipelineOf = (entry: number) => Math.round(stepTimes[entry]!.reduce((total, runs) => total + median(runs), 0));

  const nodeMs = median(times.node);
  const help = ratio(median(times.help), nodeMs);
  const querySummary = ratio(median(times.querySummary), nodeMs);
  const pipelineMs = pipelineOf(0);
  const baselineMs = baselineDir === undefined ? undefined : pipelineOf(1);
  const pipelineVsBaseline = baselineMs === undefined ? undefined : ratio(pipelineMs, baselineMs);
  console.log(
    JSON.stringify({
      runs: { startup: RUNS, pipeline: PIPELINE_RUNS },
      nodeMs,
      helpMs: median(times.help),
      querySummaryMs: median(times.querySummary),
      pipelineMs,
      pipelineStepMs: stepTimes[0]!.map(median),
      firstCallPipelineMs: Math.round(firstCallStepMs.reduce((total, ms) => total + ms, 0)),
      firstCallPipelineStepMs: firstCallStepMs.map((ms) => Math.round(ms * 10) / 10),
      ...(baselineMs === undefined ? {} : { baselinePipelineMs: baselineMs, baselinePipelineStepMs: stepTimes[1]!.map(median) }),
      ratios: { help, querySummary, pipelineToNode: ratio(pipelineMs, nodeMs), ...(pipelineVsBaseline === undefined ? {} : { pipelineVsBaseline }) },
      targetsMet: {
        help: help <= TARGETS.help,
        querySummary: querySummary <= TARGETS.querySummary,
        ...(pipelineVsBaseline === undefined ? {} : { pipelineVsBaseline: pipelineVsBaseline <= TARGETS.pipelineVsBaseline }),
      },
      targets: TARGETS,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
