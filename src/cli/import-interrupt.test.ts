import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backends, openTestStore } from '../test-support/databases.js';
import { repoPath } from '../test-support/paths.js';
import { interruptMidDownload, useStallingServer } from './test-support/stalled-download.js';

/*
 * `secfix import nvd FILE URL URL` (the built CLI) gets SIGINT while the first URL downloads: the
 * file before it stays imported, the download's temporary file is gone, its run is recorded as
 * interrupted with nothing of it written, and the URL after it is not tried; on both databases.
 */

const dir = mkdtempSync(join(tmpdir(), 'secfix-import-interrupt-'));
const FEED = repoPath('data', 'alpine-sample', 'nvd', 'api-2.0', 'nvdcve-2.0-sample.json');
const server = useStallingServer();

describe.each(backends)('secfix import interrupted on %s', (backend) => {
  it('SIGINT mid-download removes the temporary file, records the run as interrupted, keeps what came before and exits 130', async () => {
    const store = await openTestStore(backend);
    const slow = `${server.base}/slow.json`;
    const after = `${server.base}/after.json`;
    try {
      const run = await interruptMidDownload(dir, ['import', 'nvd', FEED, slow, after, '--db', store.url], 'SIGINT');
      expect(run.code).toBe(130);
      expect(run.stderr).toBe(`secfix: import interrupted: SIGINT received; not imported: ${slow}, ${after}\n`);
      expect(run.leftInTemp).toEqual([]);
      const runs = await store.db.selectFrom('import_run').select(['source', 'status', 'error']).orderBy('id').execute();
      expect(runs).toEqual([
        { source: FEED, status: 'ok', error: null },
        { source: slow, status: 'failed', error: 'interrupted: SIGINT received' },
      ]);
      // The database holds the file's vulnerabilities and nothing else.
      const feed = JSON.parse(readFileSync(FEED, 'utf8')) as { vulnerabilities: { cve: { id: string } }[] };
      const stored = await store.db.selectFrom('vulnerability').select('id').orderBy('id').execute();
      expect(stored.map((row) => row.id)).toEqual(feed.vulnerabilities.map((item) => item.cve.id).sort());
    } finally {
      await store.dispose();
    }
  });
});
