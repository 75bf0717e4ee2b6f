import { beforeEach, describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import { ensureBranch, ensureRepository } from './branches.js';
import { replaceSecfixes } from './secfixes.js';
import { appendTriageEvents } from './triage.js';
import {
  type StateRecord,
  deleteStates,
  findListedStates,
  findStates,
  listPackagesWithStatesOrSecfixes,
  listStates,
  listStateRows,
  listStateRowsByVulnerability,
  writeStates,
} from './states.js';
import { listStateHistory } from '../test-support/history.js';

const T1 = '2024-01-01T00:00:00.000Z';
const T2 = '2024-01-02T00:00:00.000Z';
const T3 = '2024-01-03T00:00:00.000Z';

describe.each(backends)('%s states', (backend) => {
  const store = useTestStore(backend);
  let repositoryId: number;
  let state: (pkg: string, vulnerabilityId: string, overrides?: Partial<StateRecord>) => StateRecord;
  beforeEach(async () => {
    const { db } = store();
    repositoryId = await ensureRepository(db, await ensureBranch(db, '3.18'), 'main');
    state = (pkg, vulnerabilityId, overrides = {}) => ({
      repositoryId,
      package: pkg,
      vulnerabilityId,
      state: 'vulnerable',
      version: '8.3.0-r0',
      fixedVersion: null,
      evidence: [{ kind: 'incomparable-version', version: 'v1' }],
      ...overrides,
    });
  });

  it('lists the packages that have states or secfix lines, each once, in these repositories only', async () => {
    const { db } = store();
    const community = await ensureRepository(db, await ensureBranch(db, '3.18'), 'community');
    await writeStates(db, [state('curl', 'CVE-2023-38545'), state('curl', 'CVE-2023-38546')], { cause: 'test', at: T1 });
    await writeStates(db, [{ ...state('nginx', 'CVE-2023-44487'), repositoryId: community }], { cause: 'test', at: T1 });
    await replaceSecfixes(db, { repositoryId, source: 'secdb' }, [
      { package: 'zlib', version: '0', vulnerabilityId: 'CVE-2023-45853', note: null },
      { package: 'curl', version: '8.4.0-r0', vulnerabilityId: 'CVE-2023-38545', note: null },
    ], null);
    expect(await listPackagesWithStatesOrSecfixes(db, [repositoryId])).toEqual(['curl', 'zlib']);
    expect(await listPackagesWithStatesOrSecfixes(db, [repositoryId, community])).toEqual(['curl', 'nginx', 'zlib']);
    expect(await listPackagesWithStatesOrSecfixes(db, [])).toEqual([]);
  });

  it("pages one repository's states from a cursor, in the unpaged order, and refuses a cursor across repositories", async () => {
    const { db } = store();
    const community = await ensureRepository(db, await ensureBranch(db, '3.18'), 'community');
    await writeStates(db, [state('curl', 'CVE-2023-38546'), state('curl', 'CVE-2023-38545'), state('apk-tools', 'CVE-2021-36159'), state('zlib', 'CVE-2022-37434'), state('curl', 'CVE-2024-2398')], { cause: 'test', at: T1 });
    await writeStates(db, [{ ...state('curl', 'CVE-2023-38000'), repositoryId: community }], { cause: 'test', at: T1 });
    const filter = { branch: '3.18', repo: 'main' };
    const whole = await findStates(db, filter);
    expect(whole.map((row) => `${row.package} ${row.vulnerabilityId}`)).toEqual(['apk-tools CVE-2021-36159', 'curl CVE-2023-38545', 'curl CVE-2023-38546', 'curl CVE-2024-2398', 'zlib CVE-2022-37434']);
    const paged: typeof whole = [];
    for (let page = await findStates(db, { ...filter, limit: 2 }); page.length > 0; ) {
      paged.push(...page);
      const last = page.at(-1)!;
      page = await findStates(db, { ...filter, after: { package: last.package, vulnerabilityId: last.vulnerabilityId }, limit: 2 });
    }
    expect(paged).toEqual(whole);
    await expect(findStates(db, { branch: '3.18', after: { package: 'curl', vulnerabilityId: 'CVE-2023-38545' } })).rejects.toThrow(/needs the branch and repo/);
  });

  it('writes new states with a history row each, and the same states again write nothing', async () => {
    const { db } = store();
    const states = [state('curl', 'CVE-2023-38545'), state('curl', 'CVE-2023-38546', { state: 'fixed', fixedVersion: '8.4.0-r0' })];
    expect(await writeStates(db, states, { cause: 'update', at: T1 })).toEqual({ written: 2, transitions: 2 });
    expect(await writeStates(db, states, { cause: 'update', at: T2 })).toEqual({ written: 0, transitions: 0 });
    const key = { repositoryId, package: 'curl', vulnerabilityId: 'CVE-2023-38545' };
    expect(await listStateHistory(db, key)).toEqual([{ oldState: null, newState: 'vulnerable', changedAt: T1, cause: 'update' }]);
    // Without a triage event, a pair's evidence is not read.
    expect((await listStates(db, repositoryId))[0]).toEqual({ ...states[0], evidence: null, updatedAt: T1 });
    const triage = { vulnerabilityId: 'CVE-2023-38545', branches: null, status: 'affected', justification: null, version: null, note: null, author: 'ann@example.org', createdAt: T2, computedDigests: {} } as const;
    await appendTriageEvents(db, [{ ...triage, package: 'curl' }]);
    expect((await listStates(db, repositoryId)).map((row) => row.evidence)).toEqual([states[0]!.evidence, null]);
  });

  it('records a transition when the state changes, but not when only the details do', async () => {
    const { db } = store();
    const key = { repositoryId, package: 'curl', vulnerabilityId: 'CVE-2023-38545' };
    await writeStates(db, [state('curl', 'CVE-2023-38545')], { cause: 'update', at: T1 });
    expect(
      await writeStates(db, [state('curl', 'CVE-2023-38545', { version: '8.3.0-r1', evidence: [{ kind: 'incomparable-version', version: 'v2' }] })], {
        cause: 'update',
        at: T2,
      }),
    ).toEqual({ written: 1, transitions: 0 });
    expect(
      await writeStates(db, [state('curl', 'CVE-2023-38545', { state: 'fixed', fixedVersion: '8.4.0-r0' })], {
        cause: 'import secdb 3.18/main',
        at: T3,
      }),
    ).toEqual({ written: 1, transitions: 1 });
    expect(await listStateHistory(db, key)).toEqual([
      { oldState: null, newState: 'vulnerable', changedAt: T1, cause: 'update' },
      { oldState: 'vulnerable', newState: 'fixed', changedAt: T3, cause: 'import secdb 3.18/main' },
    ]);
    expect((await listStates(db, repositoryId, ['curl']))[0]).toMatchObject({ state: 'fixed', updatedAt: T3 });
  });

  it('keeps the last record of a pair listed twice', async () => {
    const { db } = store();
    const result = await writeStates(
      db,
      [state('curl', 'CVE-1'), state('curl', 'CVE-1', { state: 'not-affected' })],
      { cause: 'update', at: T1 },
    );
    expect(result).toEqual({ written: 1, transitions: 1 });
    expect((await listStates(db, repositoryId))[0]?.state).toBe('not-affected');
  });

  it('deletes states with a history row and ignores pairs without a state', async () => {
    const { db } = store();
    await writeStates(db, [state('curl', 'CVE-1'), state('zlib', 'CVE-2')], { cause: 'update', at: T1 });
    const gone = { repositoryId, package: 'curl', vulnerabilityId: 'CVE-1' };
    const never = { repositoryId, package: 'curl', vulnerabilityId: 'CVE-9' };
    expect(await deleteStates(db, [gone, never, gone], { cause: 'criteria changed', at: T2 })).toBe(1);
    expect((await listStates(db, repositoryId)).map((row) => row.package)).toEqual(['zlib']);
    expect((await listStateHistory(db, gone)).at(-1)).toEqual({
      oldState: 'vulnerable',
      newState: null,
      changedAt: T2,
      cause: 'criteria changed',
    });
  });

  it('finds states as findStates does, reading the evidence only of a pair with a triage event', async () => {
    const { db } = store();
    const states = [state('curl', 'CVE-2023-38545'), state('curl', 'CVE-2023-38546', { state: 'fixed', fixedVersion: '8.4.0-r0' }), state('zlib', 'CVE-2023-45853')];
    await writeStates(db, states, { cause: 'update', at: T1 });
    const triage = { vulnerabilityId: 'CVE-2023-38546', branches: null, status: 'affected', justification: null, version: null, note: null, author: 'ann@example.org', createdAt: T2, computedDigests: {} } as const;
    await appendTriageEvents(db, [{ ...triage, package: 'curl' }]);
    const filter = { branch: '3.18', inStateOrTriaged: 'vulnerable' } as const;
    const full = await findStates(db, filter);
    expect(full.map((row) => `${row.package} ${row.vulnerabilityId}`)).toEqual(['curl CVE-2023-38545', 'curl CVE-2023-38546', 'zlib CVE-2023-45853']);
    expect(await findListedStates(db, filter)).toEqual(full.map((row) => ({ ...row, evidence: row.vulnerabilityId === 'CVE-2023-38546' ? row.evidence : null })));
    expect(await findListedStates(db, { vulnerabilityIds: [] })).toEqual([]);
  });

  it('lists the states of vulnerabilities across repositories', async () => {
    const { db } = store();
    const edge = await ensureRepository(db, await ensureBranch(db, 'edge'), 'main');
    await writeStates(
      db,
      [state('curl', 'CVE-1'), { ...state('curl', 'CVE-1'), repositoryId: edge, state: 'fixed' }, state('zlib', 'CVE-2')],
      { cause: 'update', at: T1 },
    );
    const found = await listStateRowsByVulnerability(db, ['CVE-1']);
    expect(found.map((row) => [row.repositoryId, row.state, JSON.parse(row.evidenceJson) as unknown])).toEqual([
      [repositoryId, 'vulnerable', state('curl', 'CVE-1').evidence],
      [edge, 'fixed', state('curl', 'CVE-1').evidence],
    ]);
  });

  it('compares with the stored rows the caller passes, as with those it reads itself', async () => {
    const { db } = store();
    const first = [state('curl', 'CVE-1'), state('curl', 'CVE-2')];
    await writeStates(db, first, { cause: 'update', at: T1 });
    const stored = await listStateRows(db, repositoryId, ['curl']);
    expect(stored.map((row) => row.vulnerabilityId)).toEqual(['CVE-1', 'CVE-2']);
    expect(await writeStates(db, first, { cause: 'update', at: T2 }, stored)).toEqual({ written: 0, transitions: 0 });
    const changed = [{ ...state('curl', 'CVE-1'), state: 'fixed' as const }, state('curl', 'CVE-2', { evidence: [{ kind: 'incomparable-version', version: 'v9' }] })];
    expect(await writeStates(db, changed, { cause: 'update', at: T2 }, stored)).toEqual({ written: 2, transitions: 1 });
    expect((await listStateHistory(db, { repositoryId, package: 'curl', vulnerabilityId: 'CVE-1' })).at(-1)).toMatchObject({ oldState: 'vulnerable', newState: 'fixed' });
    expect(await deleteStates(db, [{ repositoryId, package: 'curl', vulnerabilityId: 'CVE-2' }], { cause: 'gone', at: T3 }, await listStateRows(db, repositoryId, ['curl']))).toBe(1);
    expect((await listStates(db, repositoryId)).map((row) => row.vulnerabilityId)).toEqual(['CVE-1']);
  });

  it('writes thousands of states in batches', async () => {
    const { db } = store();
    const many = Array.from({ length: 12_000 }, (_, index) => state(`pkg${index % 3_000}`, `CVE-2024-${index}`));
    expect(await writeStates(db, many, { cause: 'update --full', at: T1 })).toEqual({ written: 12_000, transitions: 12_000 });
    const flipped = many.map((row, index) => (index % 4 === 0 ? { ...row, state: 'fixed' as const } : row));
    expect(await writeStates(db, flipped, { cause: 'update', at: T2 })).toEqual({ written: 3_000, transitions: 3_000 });
    const { count } = await db
      .selectFrom('state_history')
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow();
    expect(count).toBe(15_000);
  });
});
