import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../test-support/databases.js';
import { repoPath } from '../test-support/paths.js';
import { runCli } from '../test-support/cli.js';

const SECDB = repoPath('data', 'alpine-sample', 'secdb', 'v3.16', 'main.json');
const NVD = [repoPath('data', 'alpine-sample', 'nvd', 'feed-1.1', 'nvdcve-1.1-2000.json'), repoPath('data', 'alpine-sample', 'nvd', 'api-2.0', 'nvdcve-2.0-sample.json')];
const dir = mkdtempSync(join(tmpdir(), 'secfix-cli-import-'));

describe.each(backends)('%s secfix import', (backend) => {
  const store = useTestStore(backend);

  it('prints one JSON summary with --json, and reports the second import as unchanged', async () => {
    const first = await runCli(['import', 'secdb', '--db', store().url, '--json', SECDB]);
    expect(first).toMatchObject({ status: 0, stderr: '' });
    expect(JSON.parse(first.stdout)).toMatchObject({ kind: 'secdb', source: SECDB, status: 'imported', counts: { packages: 68, secfixes: 1317 } });
    const second = await runCli(['import', 'secdb', '--db', store().url, SECDB]);
    expect(second).toEqual({ status: 0, stdout: `unchanged secdb ${SECDB}: same as the last import, nothing written\n`, stderr: '' });
  });

  it('prints an array for several files', async () => {
    const result = await runCli(['import', 'nvd', '--db', store().url, '--json', ...NVD]);
    expect(result.status).toBe(0);
    const summaries = JSON.parse(result.stdout) as { source: string; counts: Record<string, number> }[];
    expect(summaries.map((summary) => [summary.source, summary.counts['records']])).toEqual([[NVD[0], 1], [NVD[1], 6]]);
  });

  it('reports bad input as one line naming the file and place, exit 2', async () => {
    const broken = join(dir, `broken-${backend}.json`);
    writeFileSync(broken, '{"distroversion":"v3.16","reponame":"main","packages":[{"pkg":{"name":"zlib","secfixes":{"1.2-r0":["CVE-2022-37434",7]}}}]}');
    const result = await runCli(['import', 'secdb', '--db', store().url, '--json', broken]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`secfix: ${broken}: $.packages[0].pkg.secfixes["1.2-r0"][1]: expected an id string, found a number\n`);
  });
});

describe('secfix import usage', () => {
  it('exits 2 on a missing option without leaving the process', async () => {
    const result = await runCli(['import', 'apkindex', '--repo', 'main', 'APKINDEX.tar.gz']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("secfix: required option '--branch <branch>' not specified; see --help\n");
  });

  it('exits 2 with one line on a database URL it cannot use', async () => {
    const result = await runCli(['import', 'secdb', '--db', 'mysql://localhost/secfix', SECDB]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'secfix: cannot open the database: database URL has the unsupported scheme "mysql:"; use sqlite:PATH, sqlite::memory: or postgres://USER@HOST/DB\n',
    );
  });

  it('shows examples in each subcommand help', async () => {
    const result = await runCli(['import', 'nvd', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('secfix import nvd data/alpine-sample/nvd/feed-1.1/*.json');
  });
});
