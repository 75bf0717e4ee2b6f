import { describe, expect, it } from 'vitest';
import { CHANGE_KINDS, appendTriageEvents, type listChangesAfter } from '../../store/index.js';
import { backends } from '../../test-support/databases.js';
import { useWebFixture } from '../test-support/web-fixture.js';
import { MAX_CHANGES_LIMIT } from './change-log.js';

type Change = Awaited<ReturnType<typeof listChangesAfter>>[number];
type Pulled = Change & { cursor: string };
interface ChangesAnswer {
  changes: Pulled[];
  next: string | null;
  more: boolean;
}

const rank = (change: Change) => CHANGE_KINDS.indexOf(change.kind);
const inOrder = (a: Change, b: Change) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0) || rank(a) - rank(b) || a.id - b.id;
const keyOf = (change: Change) => `${change.kind}:${change.id}`;

/** One second after an ISO time, as ISO text: later times taken from the data, not the clock. */
const secondAfter = (time: string) => new Date(Date.parse(time) + 1000).toISOString();

describe.each(backends)('%s GET /api/changes', (backend) => {
  const web = useWebFixture(backend);

  /** Pulls every change after `after`, `limit` at a time, as a mirror does; returns them and the cursor to go on from. */
  async function pullAll(after: string | null, limit: number): Promise<{ changes: Pulled[]; next: string | null }> {
    const changes: Pulled[] = [];
    let cursor = after;
    for (;;) {
      const answer = await web().getJson<ChangesAnswer>(`/api/changes?limit=${limit}${cursor === null ? '' : `&after=${cursor}`}`);
      changes.push(...answer.changes);
      cursor = answer.next;
      if (!answer.more) return { changes, next: cursor };
    }
  }

  it('gives a client pulling increments every state change, triage event and import exactly once, in order', async () => {
    const { db } = web().store;
    const first = await pullAll(null, 97);
    const [states, events, imports] = await Promise.all([
      db.selectFrom('state_history').select('id').execute(),
      db.selectFrom('triage_event').select('id').execute(),
      db.selectFrom('import_run').select('id').where('status', '=', 'ok').where('finished_at', 'is not', null).execute(),
    ]);
    expect(states.length).toBeGreaterThan(97);
    expect(imports.length).toBeGreaterThan(0);
    expect(first.changes.map(keyOf).sort()).toEqual(
      [...states.map((row) => `state:${row.id}`), ...events.map((row) => `triage:${row.id}`), ...imports.map((row) => `import:${row.id}`)].sort(),
    );
    expect(first.changes).toEqual([...first.changes].sort(inOrder));

    // Nothing new: the same cursor back and no change.
    expect(await web().getJson<ChangesAnswer>(`/api/changes?after=${first.next}`)).toEqual({ changes: [], next: first.next, more: false });

    // New changes after the last one seen: a state change and a triage event at one time (the
    // state change comes first), and another triage event later.
    const last = first.changes.at(-1)!;
    const tie = secondAfter(last.time);
    const repository = await db.selectFrom('repository').select('id').orderBy('id').executeTakeFirstOrThrow();
    await db
      .insertInto('state_history')
      .values({ repository_id: repository.id, package: 'busybox', vulnerability_id: 'CVE-2099-0001', old_state: null, new_state: 'vulnerable', changed_at: tie, cause: 'test' })
      .execute();
    const event = { package: 'busybox', vulnerabilityId: 'CVE-2099-0001', branches: null, justification: null, version: null, note: null, author: 'ann@example.org', computedDigests: {} };
    await appendTriageEvents(db, [
      { ...event, status: 'under-investigation', createdAt: secondAfter(tie) },
      { ...event, status: 'affected', createdAt: tie },
    ]);
    const second = await pullAll(first.next, 2);
    expect(second.changes.map((change) => [change.kind, change.time, change.kind === 'state' ? change.newState : change.kind === 'triage' ? change.status : null])).toEqual([
      ['state', tie, 'vulnerable'],
      ['triage', tie, 'affected'],
      ['triage', secondAfter(tie), 'under-investigation'],
    ]);
    expect(second.next).toBe(second.changes.at(-1)!.cursor);
    // A client that lost its place resumes from any change's cursor and sees the rest once.
    expect((await pullAll(second.changes[0]!.cursor, 1)).changes.map(keyOf)).toEqual(second.changes.slice(1).map(keyOf));
  });

  it.each([
    ['after=not-a-cursor', 'query parameter "after" is not a cursor this server gave; start again without it'],
    [`after=${Buffer.from('["2024-01-01T00:00:00.000Z","export",1]').toString('base64url')}`, 'query parameter "after" is not a cursor this server gave; start again without it'],
    [`limit=${MAX_CHANGES_LIMIT + 1}`, `query parameter "limit" must be a whole number from 1 to ${MAX_CHANGES_LIMIT}; got "${MAX_CHANGES_LIMIT + 1}"`],
    ['since=2024-01-01', 'unknown query parameter "since"; this page takes after, limit'],
  ])('refuses %s with 400', async (query, message) => {
    const response = await web().get(`/api/changes?${query}`, { accept: 'application/json' });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { message: string } }>().error.message).toBe(message);
  });
});
