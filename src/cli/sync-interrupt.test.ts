import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, openTestStore } from '../test-support/databases.js';
import { repoPath } from '../test-support/paths.js';

/*
 * `secfix sync` (the built CLI) gets SIGTERM while a download is under way: the server sends half
 * a body and stalls. The temporary file must be gone and the import run recorded as interrupted,
 * on both databases.
 */

const dir = mkdtempSync(join(tmpdir(), 'secfix-sync-interrupt-'));
let server: Server;
let base: string;
const stalled: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((_request, response) => {
    response.writeHead(200, { 'content-length': String(1 << 20) });
    response.write(Buffer.alloc(64 * 1024, 0x20));
    stalled.push(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const response of stalled) response.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe.each(backends)('secfix sync interrupted on %s', (backend) => {
  it('SIGTERM mid-download removes the temporary file, records the run as interrupted and exits 143', async () => {
    const store = await openTestStore(backend);
    const temp = mkdtempSync(join(dir, 'tmp-'));
    const config = join(dir, 'secfix.yaml');
    writeFileSync(config, `branches:\n  - name: "3.16"\n    architectures: [x86_64]\n    repositories:\n      - name: main\nnvd:\n  - ${base}/nvd.json\n`);
    try {
      const child = spawn(process.execPath, [repoPath('bin', 'secfix.js'), 'sync', '--config', config, '--db', store.url], {
        env: { ...process.env, TMPDIR: temp, SECFIX_DB: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      // The download is under way once its temporary folder exists and the server holds its answer.
      const stalledBefore = stalled.length;
      while (readdirSync(temp).length === 0 || stalled.length === stalledBefore) await new Promise((resolve) => setTimeout(resolve, 20));
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      expect(stderr).toBe('secfix: sync interrupted: SIGTERM received; the update was skipped\n');
      expect(readdirSync(temp)).toEqual([]);
      const runs = await store.db.selectFrom('import_run').select(['source', 'status', 'error']).execute();
      expect(runs).toEqual([{ source: `${base}/nvd.json`, status: 'failed', error: 'interrupted: SIGTERM received' }]);
    } finally {
      await store.dispose();
    }
  });
});
