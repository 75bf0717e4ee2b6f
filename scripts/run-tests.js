// Runs vitest and ends with the plain "N passed, N failed" line CI reads
// (the workplace's CI does not parse vitest's own summary).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const outDir = 'test-results';
const outFile = join(outDir, 'vitest.json');
mkdirSync(outDir, { recursive: true });
rmSync(outFile, { force: true });

// The commands the tests run keep their code caches (src/base/code-cache.ts) for this run only.
const codeCache = mkdtempSync(join(tmpdir(), 'secfix-test-code-cache-'));
const run = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile=${outFile}`, ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, SECFIX_CODE_CACHE: codeCache } },
);
rmSync(codeCache, { recursive: true, force: true });

let passed = 0;
let failed = 0;
try {
  const report = JSON.parse(readFileSync(outFile, 'utf8'));
  passed = report.numPassedTests;
  failed = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  if (!report.success && failed === 0) failed = 1;
} catch {
  failed = Math.max(failed, 1);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
