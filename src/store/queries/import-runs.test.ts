import { describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import { findLastSuccessfulImportRun, finishImportRun, listImportRuns, startImportRun } from './import-runs.js';

const SOURCE = 'https://secdb.alpinelinux.org/v3.16/main.json';

describe.each(backends)('%s import runs', (backend) => {
  const store = useTestStore(backend);

  it('records a run from start to finish with its duration', async () => {
    const { db } = store();
    const id = await startImportRun(db, { source: SOURCE, kind: 'secdb', etag: '"abc"', at: '2024-01-01T00:00:00.000Z' });
    expect((await listImportRuns(db, 10))[0]?.status).toBe('running');
    await finishImportRun(db, id, {
      status: 'ok',
      counts: { secfixes: 12 },
      checksum: 'sha256:00',
      at: '2024-01-01T00:00:01.250Z',
    });
    expect(await listImportRuns(db, 10)).toEqual([
      {
        id,
        source: SOURCE,
        kind: 'secdb',
        checksum: 'sha256:00',
        etag: '"abc"',
        lastModified: null,
        startedAt: '2024-01-01T00:00:00.000Z',
        finishedAt: '2024-01-01T00:00:01.250Z',
        status: 'ok',
        counts: { secfixes: 12 },
        error: null,
        durationMs: 1250,
      },
    ]);
  });

  it('finds the latest successful run of a source, ignoring failed and running ones', async () => {
    const { db } = store();
    expect(await findLastSuccessfulImportRun(db, SOURCE)).toBeUndefined();
    const first = await startImportRun(db, { source: SOURCE, kind: 'secdb', checksum: 'one' });
    await finishImportRun(db, first, { status: 'ok' });
    const second = await startImportRun(db, { source: SOURCE, kind: 'secdb', checksum: 'one' });
    await finishImportRun(db, second, { status: 'unchanged' });
    const failed = await startImportRun(db, { source: SOURCE, kind: 'secdb', checksum: 'two' });
    await finishImportRun(db, failed, { status: 'failed', error: 'truncated JSON' });
    await startImportRun(db, { source: SOURCE, kind: 'secdb', checksum: 'three' });
    await startImportRun(db, { source: 'other', kind: 'secdb', checksum: 'four' });

    const last = await findLastSuccessfulImportRun(db, SOURCE);
    expect(last?.id).toBe(second);
    expect(last?.checksum).toBe('one');
    expect((await listImportRuns(db, 10)).find((run) => run.id === failed)?.error).toBe('truncated JSON');
  });
});
