import type { Kysely } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import { severityRank } from '../base/severity.js';
import {
  type PackageMaintainer,
  type Schema,
  ensureBranch,
  ensureRepository,
  findStates,
  listPackageMaintainers,
  listTriageEvents,
  listVulnerabilityUrgency,
  replaceIndexSnapshot,
  upsertVulnerabilities,
  writeStates,
} from '../store/index.js';
import { indexedOrigin, vulnerabilityRecord } from '../store/test-support/records.js';
import { backends, useTestStore } from '../test-support/databases.js';
import { addTriageSample } from './test-support/triage-sample.js';
import { type QueueEntry, type QueueFilter, countOpenPairs, countOpenStatesByClass, openPairs, recordTriage, triageQueue, triageQueuePage, triageQueueTop, triageStates } from './triage.js';
import { resolvePairTriage } from '../engine/triage.js';
import { byUrgency } from '../engine/triage-queue.js';

/**
 * The queue as it was computed before the store paged it: every vulnerable-or-triaged state with
 * its evidence, then maintainers, events and urgency looked up separately, every pair resolved by
 * the engine, then filtered and sorted. The oracle the paged queue must equal.
 */
async function queueByStates(db: Kysely<Schema>, filter: QueueFilter, today: string): Promise<QueueEntry[]> {
  const states = await findStates(db, { ...(filter.branch === undefined ? {} : { branch: filter.branch }), inStateOrTriaged: 'vulnerable' });
  const packages = await listPackageMaintainers(db, filter.branch);
  const ended = new Set((await db.selectFrom('branch').select('name').where('end_of_support', '<', today).execute()).map((row) => row.name));
  const triages = await triageStates(db, states, today);
  const key = (entry: { branch: string; repo: string; package: string; vulnerabilityId: string }) => [entry.branch, entry.repo, entry.package, entry.vulnerabilityId].join('\u0000');
  const candidates = states.map((state, index) => ({ branch: state.branch, repo: state.repo, package: state.package, vulnerabilityId: state.vulnerabilityId, version: state.version, fixedVersion: state.fixedVersion, triage: triages[index]! }));
  const computed = new Set(candidates.map(key));
  const byPair = new Map<string, typeof events>();
  const events = await listTriageEvents(db);
  for (const event of events) byPair.set(`${event.package} ${event.vulnerabilityId}`, [...(byPair.get(`${event.package} ${event.vulnerabilityId}`) ?? []), event]);
  const placesOf = new Map<string, PackageMaintainer[]>();
  for (const row of packages) placesOf.set(row.package, [...(placesOf.get(row.package) ?? []), row]);
  for (const pairEvents of byPair.values()) {
    const { package: pkg, vulnerabilityId } = pairEvents[0]!;
    for (const row of placesOf.get(pkg) ?? []) {
      if (computed.has(key({ ...row, vulnerabilityId }))) continue;
      const triage = resolvePairTriage({ branch: row.branch, repo: row.repo, computed: null, publishedVersion: null, events: pairEvents, endOfLife: ended.has(row.branch) });
      candidates.push({ branch: row.branch, repo: row.repo, package: pkg, vulnerabilityId, version: null, fixedVersion: null, triage });
    }
  }
  const maintainers = new Map(packages.map((row) => [`${row.branch}/${row.repo}/${row.package}`, row.maintainer]));
  const open = candidates.filter((candidate) => candidate.triage.resolution === 'open');
  const urgency = new Map((await listVulnerabilityUrgency(db, open.map((candidate) => candidate.vulnerabilityId))).map((row) => [row.id, row]));
  const entries = open
    .map((candidate) => ({
      ...candidate,
      urgency: urgency.get(candidate.vulnerabilityId) ?? { id: candidate.vulnerabilityId, kev: false, severity: null, cvssScore: null, published: null },
      maintainer: maintainers.get(`${candidate.branch}/${candidate.repo}/${candidate.package}`) ?? null,
    }))
    .filter(
      ({ repo, maintainer, urgency }) =>
        (filter.maintainer === undefined || (maintainer ?? '').toLowerCase().includes(`<${filter.maintainer.toLowerCase()}>`)) &&
        (filter.repo === undefined || repo === filter.repo) &&
        (filter.kevOnly !== true || urgency.kev) &&
        (filter.minSeverity === undefined || severityRank(urgency.severity) >= severityRank(filter.minSeverity)) &&
        (filter.publishedBy === undefined || (urgency.published !== null && Date.parse(urgency.published) <= Date.parse(filter.publishedBy))),
    );
  return entries.sort(
    (a, b) =>
      Number(b.urgency.kev) - Number(a.urgency.kev) ||
      severityRank(b.urgency.severity) - severityRank(a.urgency.severity) ||
      (a.urgency.published ?? '\uffff').localeCompare(b.urgency.published ?? '\uffff') ||
      (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0),
  );
}

/**
 * A second branch (3.17, main and community) with states of several kinds, some with evidence,
 * one vulnerability the store does not hold, and zlib maintained by Bob.
 */
async function addSecondBranch(db: Kysely<Schema>): Promise<number> {
  const branch = await ensureBranch(db, '3.17');
  const main = await ensureRepository(db, branch, 'main');
  const community = await ensureRepository(db, branch, 'community');
  const at = '2026-01-02T00:00:00.000Z';
  await replaceIndexSnapshot(db, { repositoryId: main, arch: 'x86_64', packages: [indexedOrigin('openssl', '3.0.8-r0', { maintainer: 'Ann <ann@example.org>' }), indexedOrigin('curl', '8.4.0-r0')], at });
  await replaceIndexSnapshot(db, { repositoryId: community, arch: 'x86_64', packages: [indexedOrigin('zlib', '1.2.13-r0', { maintainer: 'Bob <BOB@example.org>' })], at });
  await upsertVulnerabilities(db, [vulnerabilityRecord('CVE-2018-25032', { severity: 'HIGH', published: '2018-03-25T00:00:00.000Z' })]);
  const state = (repositoryId: number, pkg: string, id: string, name: 'vulnerable' | 'fixed' | 'not-affected', version: string) => ({
    repositoryId,
    package: pkg,
    vulnerabilityId: id,
    state: name,
    version,
    fixedVersion: name === 'fixed' ? version : null,
    evidence: name === 'vulnerable' ? [] : [{ kind: 'secfix' as const, repo: 'main', version, text: id }],
  });
  await writeStates(
    db,
    [
      { ...state(main, 'openssl', 'CVE-2019-0190', 'vulnerable', '3.0.8-r0'), evidence: [{ kind: 'no-version' as const, repo: 'main' }] },
      state(main, 'curl', 'CVE-2023-38545', 'fixed', '8.4.0-r0'),
      state(community, 'zlib', 'CVE-2018-25032', 'not-affected', '1.2.13-r0'),
      state(community, 'zlib', 'CVE-2022-37434', 'vulnerable', '1.2.13-r0'),
    ],
    { cause: 'test' },
  );
  return community;
}

describe.each(backends)('%s triage queue', (backend) => {
  const store = useTestStore(backend);

  beforeEach(() => addTriageSample(store().db));

  /** Triage events of every status on the two branches, one withdrawn, one pair back for re-review. */
  async function triageEveryStatus(): Promise<void> {
    const community = await addSecondBranch(store().db);
    const record = (pkg: string, id: string, status: string, more: { justification?: string; version?: string; note?: string; branches?: string[] } = {}) =>
      recordTriage(store(), { packages: [pkg], vulnerabilities: [id], status, ...more }, 'ann@example.org');
    // Stands with the digest of a state that has evidence: open, and not for re-review (so the evidence was read).
    await record('openssl', 'CVE-2019-0190', 'affected', { branches: ['3.17'] });
    await record('curl', 'CVE-2023-38545', 'fixed', { version: '8.4.0-r0' });
    await record('curl', 'CVE-2023-0001', 'not-affected', { justification: 'vulnerable-code-not-present' });
    await record('curl', 'CVE-2023-0001', 'withdrawn');
    await record('curl', 'CVE-2023-0001', 'under-investigation');
    await record('zlib', 'CVE-2018-25032', 'not-affected', { justification: 'component-not-present' });
    await record('zlib', 'CVE-2022-37434', 'pending-upstream-fix', { note: 'no release yet' });
    await record('openssl', 'CVE-2024-9999', 'fix-not-planned', { note: 'end of branch', branches: ['3.16'] });
    await record('curl', 'CVE-2024-8888', 'analysis-not-planned', { note: 'not shipped' });
    await record('zlib', 'CVE-2024-7777', 'affected');
    // The computed state changes after its triage: back in the queue for re-review.
    await writeStates(store().db, [{ repositoryId: community, package: 'zlib', vulnerabilityId: 'CVE-2018-25032', state: 'vulnerable', version: '1.2.13-r0', fixedVersion: null, evidence: [] }], { cause: 'test' });
  }

  it('equals the queue computed from every state with its evidence, with triage events of every status', async () => {
    await triageEveryStatus();
    const filters: QueueFilter[] = [{}, { branch: '3.17' }, { branch: '3.16' }, { maintainer: 'bob@example.org' }, { branch: '3.17', maintainer: 'ann@example.org' }];
    // A day on which no branch of the data set is past its end of support (none has an end).
    for (const filter of filters) expect(await triageQueue(store(), filter, '2026-01-01')).toEqual(await queueByStates(store().db, filter, '2026-01-01'));
    // notify's read of the same pairs, in no order.
    for (const filter of filters) expect((await openPairs(store(), filter, '2026-01-01')).sort(byUrgency)).toEqual(await triageQueue(store(), filter, '2026-01-01'));
    const queue = await triageQueue(store(), {}, '2026-01-01');
    expect(queue.map((entry) => [entry.branch, entry.package, entry.vulnerabilityId, entry.triage.status, entry.triage.needsReview])).toEqual([
      ['3.16', 'curl', 'CVE-2023-0001', 'under-investigation', false],
      ['3.17', 'curl', 'CVE-2023-0001', 'under-investigation', false],
      ['3.17', 'zlib', 'CVE-2018-25032', 'not-affected', true],
      ['3.16', 'openssl', 'CVE-2019-0190', 'vulnerable', false],
      ['3.17', 'openssl', 'CVE-2019-0190', 'affected', false],
      ['3.17', 'zlib', 'CVE-2024-7777', 'affected', false],
    ]);
  });

  it('pages the queue exactly as the whole queue resolved by the engine, every page, every filter', async () => {
    await triageEveryStatus();
    const { db } = store();
    // More untriaged pairs than a page holds, on a branch that stays supported, with urgency ties.
    const extra = await ensureRepository(db, await ensureBranch(db, '3.18'), 'main');
    await replaceIndexSnapshot(db, { repositoryId: extra, arch: 'x86_64', packages: [indexedOrigin('zlib', '1.3-r0', { maintainer: 'Bob <bob@example.org>' }), indexedOrigin('openssl', '3.1.0-r0', { maintainer: 'Ann <ann@example.org>' })], at: '2026-01-02T00:00:00.000Z' });
    const ids = ['CVE-2019-0190', 'CVE-2023-38545', 'CVE-2023-0001', 'CVE-2018-25032', 'CVE-2022-37434', 'CVE-2024-7777', 'CVE-2025-0002'];
    await writeStates(
      db,
      ['zlib', 'openssl'].flatMap((pkg) => ids.map((id) => ({ repositoryId: extra, package: pkg, vulnerabilityId: id, state: 'vulnerable' as const, version: '1.3-r0', fixedVersion: null, evidence: [] }))),
      { cause: 'test' },
    );
    // A vulnerability on record without a publication date: an age filter never takes it, a severity filter does.
    await upsertVulnerabilities(db, [vulnerabilityRecord('CVE-2025-0002', { severity: 'MEDIUM' })]);
    // 3.16 ends the day before: its pairs, triaged or not, are end-of-life and out of the queue.
    await db.updateTable('branch').set({ end_of_support: '2025-12-31' }).where('name', '=', '3.16').execute();
    const today = '2026-01-01';
    const filters: QueueFilter[] = [
      {},
      { branch: '3.18' },
      { branch: '3.16' },
      { maintainer: 'BOB@example.org' },
      // A LIKE wildcard in the e-mail matches only itself.
      { maintainer: 'b_b@example.org' },
      { branch: '3.17', maintainer: 'ann@example.org' },
      { repo: 'community' },
      { kevOnly: true },
      { minSeverity: 'high' },
      { publishedBy: '2020-01-01T00:00:00.000Z' },
      // Cutoffs in either half of 2023, where CVE-2023-0001 (January) is before and CVE-2023-38545 (October) after them.
      { publishedBy: '2023-06-01T00:00:00.000Z' },
      { publishedBy: '2023-07-01T00:00:00.000Z' },
      { publishedBy: '2023-06-01T00:00:00.000Z', branch: '3.18' },
      { publishedBy: '2023-09-30T00:00:00.000Z', branch: '3.17' },
      { minSeverity: 'low', publishedBy: '2023-06-01T00:00:00.000Z' },
      { minSeverity: 'low', publishedBy: '2023-12-31T23:59:59.999Z' },
      { kevOnly: true, branch: '3.18' },
      { minSeverity: 'critical', repo: 'main' },
      { minSeverity: 'medium', branch: '3.17', repo: 'community' },
      { kevOnly: true, publishedBy: '2023-12-31T00:00:00.000Z', branch: '3.16' },
      { minSeverity: 'high', maintainer: 'bob@example.org' },
    ];
    const size = 2;
    // What `update` keeps: the open pairs per place, and the open states per place and urgency class, with no branch past its end.
    const openStates = await countOpenStatesByClass(db);
    const stored = { openPairs: await countOpenPairs(db, {}, undefined), openStates: () => Promise.resolve(openStates) };
    for (const filter of filters) {
      const whole = await queueByStates(db, filter, today);
      expect(await triageQueue(store(), filter, today), JSON.stringify(filter)).toEqual(whole);
      expect(await triageQueueTop(store(), filter, today, size), JSON.stringify(filter)).toEqual(whole.slice(0, size));
      for (let start = 0; start <= whole.length; start += size) {
        const expected = { entries: whole.slice(start, start + size), total: whole.length };
        expect(await triageQueuePage(store(), filter, today, start, size), `${JSON.stringify(filter)} from ${start}`).toEqual(expected);
        expect(await triageQueuePage(store(), filter, today, start, size, stored), `${JSON.stringify(filter)} from ${start}, summed`).toEqual(expected);
        expect(await triageQueuePage(store(), filter, today, start, size, { openStates: stored.openStates }), `${JSON.stringify(filter)} from ${start}, by class`).toEqual(expected);
      }
    }
    expect((await queueByStates(db, {}, today)).length).toBeGreaterThan(12);
    expect(await queueByStates(db, { maintainer: 'b_b@example.org' }, today)).toEqual([]);
  });
});
