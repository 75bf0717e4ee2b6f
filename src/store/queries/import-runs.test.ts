import { describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import {
  failUnfinishedImportRuns,
  findLastSuccessfulImportRun,
  findLaterRunForTarget,
  finishImportRun,
  listImportRuns,
  startImportRun,
} from './import-runs.js';

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
        target: null,
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
    expect((await findLastSuccessfulImportRun(db, SOURCE, ['ok']))?.id).toBe(first);
  });

  it('fails the unfinished runs of one source only, and a run that goes on still records its own end', async () => {
    const { db } = store();
    const done = await startImportRun(db, { source: SOURCE, kind: 'secdb' });
    await finishImportRun(db, done, { status: 'ok' });
    const stale = await startImportRun(db, { source: SOURCE, kind: 'secdb', at: '2024-01-01T00:00:00.000Z' });
    const other = await startImportRun(db, { source: 'other', kind: 'secdb' });
    expect(await failUnfinishedImportRuns(db, SOURCE, 'interrupted', '2024-01-02T00:00:00.000Z')).toBe(1);
    const byId = new Map((await listImportRuns(db, 10)).map((run) => [run.id, run]));
    expect(byId.get(stale)).toMatchObject({ status: 'failed', error: 'interrupted', finishedAt: '2024-01-02T00:00:00.000Z' });
    expect(byId.get(done)?.status).toBe('ok');
    expect(byId.get(other)?.status).toBe('running');
    await finishImportRun(db, stale, { status: 'ok', at: '2024-01-01T00:00:05.000Z' });
    expect((await listImportRuns(db, 10)).find((run) => run.id === stale)).toMatchObject({ status: 'ok', error: null });
  });

  describe('findLaterRunForTarget', () => {
    const TARGET = 'secdb:3.16/main';
    const MIRROR = 'https://mirror.example.org/v3.16/main.json';

    async function run(source: string, status: 'ok' | 'unchanged' | 'failed', target: string | null, at?: string): Promise<number> {
      const { db } = store();
      const id = await startImportRun(db, { source, kind: 'secdb', ...(at === undefined ? {} : { at }) });
      await finishImportRun(db, id, { status, target, ...(at === undefined ? {} : { at }) });
      return id;
    }

    it('finds an ok run of another source that wrote the same target later', async () => {
      const { db } = store();
      // Explicit times: two runs finishing in the same millisecond would each count as later than the other.
      const mine = await run(SOURCE, 'ok', TARGET, '2024-01-01T00:00:00.000Z');
      expect(await findLaterRunForTarget(db, TARGET, mine, SOURCE)).toBeUndefined();
      const other = await run(MIRROR, 'ok', TARGET, '2024-01-01T00:00:01.000Z');
      expect(await findLaterRunForTarget(db, TARGET, mine, SOURCE)).toMatchObject({ id: other, source: MIRROR, target: TARGET });
      // Nothing after the other source's own run, and runs of the excluded source never count.
      expect(await findLaterRunForTarget(db, TARGET, other, MIRROR)).toBeUndefined();
    });

    it('ignores earlier runs, other targets, and runs that did not write', async () => {
      const { db } = store();
      // Distinct times: a run finishing in the same millisecond as `mine` counts as later.
      await run(MIRROR, 'ok', TARGET, '2024-01-01T00:00:00.000Z');
      const mine = await run(SOURCE, 'ok', TARGET, '2024-01-01T00:00:01.000Z');
      await run(MIRROR, 'ok', 'secdb:3.17/main');
      await run(MIRROR, 'unchanged', TARGET);
      await run(MIRROR, 'failed', TARGET);
      await startImportRun(db, { source: MIRROR, kind: 'secdb' });
      await run(SOURCE, 'ok', TARGET);
      expect(await findLaterRunForTarget(db, TARGET, mine, SOURCE)).toBeUndefined();
    });

    it('counts a run that started earlier but finished (committed) after', async () => {
      const { db } = store();
      const other = await startImportRun(db, { source: MIRROR, kind: 'secdb', at: '2024-01-01T00:00:00.000Z' });
      const mine = await run(SOURCE, 'ok', TARGET, '2024-01-01T00:00:01.000Z');
      expect(await findLaterRunForTarget(db, TARGET, mine, SOURCE)).toBeUndefined();
      await finishImportRun(db, other, { status: 'ok', target: TARGET, at: '2024-01-01T00:00:02.000Z' });
      expect((await findLaterRunForTarget(db, TARGET, mine, SOURCE))?.id).toBe(other);
    });
  });
});
