import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backends, openTestStore } from '../test-support/databases.js';
import { interruptMidDownload, useStallingServer } from './test-support/stalled-download.js';

/*
 * `secfix sync` (the built CLI) gets SIGTERM while a download is under way: the server sends half
 * a body and stalls. The temporary file must be gone and the import run recorded as interrupted,
 * on both databases.
 */

const dir = mkdtempSync(join(tmpdir(), 'secfix-sync-interrupt-'));
const server = useStallingServer();

describe.each(backends)('secfix sync interrupted on %s', (backend) => {
  it('SIGTERM mid-download removes the temporary file, records the run as interrupted and exits 143', async () => {
    const store = await openTestStore(backend);
    const config = join(dir, 'secfix.yaml');
    writeFileSync(config, `branches:\n  - name: "3.16"\n    architectures: [x86_64]\n    repositories:\n      - name: main\nnvd:\n  - ${server.base}/nvd.json\n`);
    try {
      const run = await interruptMidDownload(dir, ['sync', '--config', config, '--db', store.url], 'SIGTERM');
      expect(run.code).toBe(143);
      expect(run.stderr).toBe('secfix: sync interrupted: SIGTERM received; the update was skipped\n');
      expect(run.leftInTemp).toEqual([]);
      const runs = await store.db.selectFrom('import_run').select(['source', 'status', 'error']).execute();
      expect(runs).toEqual([{ source: `${server.base}/nvd.json`, status: 'failed', error: 'interrupted: SIGTERM received' }]);
    } finally {
      await store.dispose();
    }
  });
});
