import { describe, expect, it } from 'vitest';
import type { NotifyPair } from '../base/notify.js';
import { type KnownIssue, groupOpenPairs, planNotifications } from './notify.js';

type OpenPairInput = Parameters<typeof groupOpenPairs>[0][number];

const now = new Date('2026-06-01T00:00:00.000Z');
const policy = { minSeverity: null, graceHours: 24, maxPerRun: 10 };

function entry(branch: string, overrides: Partial<OpenPairInput> = {}): OpenPairInput {
  return { branch, repo: 'main', package: 'curl', vulnerabilityId: 'CVE-2026-0001', version: '8.0.0-r0', fixedVersion: null, status: 'vulnerable', urgency: { kev: false, severity: 'HIGH', published: null }, maintainer: null, openSince: '2026-05-01T00:00:00.000Z', ...overrides };
}
const issue = (overrides: Partial<KnownIssue> = {}): KnownIssue => ({ iid: 7, state: 'opened', origin: 'curl', vulnerabilityId: 'CVE-2026-0001', recordedOpen: ['3.22/main'], ...overrides });

describe('groupOpenPairs', () => {
  it('groups by origin and vulnerability, with the earliest open time', () => {
    const pairs = groupOpenPairs([entry('edge', { openSince: '2026-05-03T00:00:00.000Z' }), entry('3.22'), entry('3.18'), entry('3.22', { package: 'zlib' })]);
    expect(pairs.map((pair) => `${pair.origin} ${pair.branches.map((branch) => branch.branch).join(',')} ${pair.openSince}`)).toEqual([
      'curl 3.18,3.22,edge 2026-05-01T00:00:00.000Z',
      'zlib 3.22 2026-05-01T00:00:00.000Z',
    ]);
  });

  it('orders the groups, given in any order, by their most urgent entry', () => {
    const low = { kev: false, severity: 'LOW', published: null };
    const pairs = groupOpenPairs([
      entry('edge', { package: 'zlib', urgency: low }),
      entry('edge', { package: 'curl' }),
      entry('3.22', { package: 'zlib', urgency: low }),
      entry('edge', { package: 'apk', urgency: { ...low, kev: true } }),
      entry('3.18', { package: 'curl' }),
    ]);
    expect(pairs.map((pair) => pair.origin)).toEqual(['apk', 'curl', 'zlib']);
    expect(pairs.map((pair) => [pair.severity, pair.kev])).toEqual([['LOW', true], ['HIGH', false], ['LOW', false]]);
  });
});

describe('planNotifications', () => {
  const open = (keys: string[]): NotifyPair[] => groupOpenPairs(keys.map((branch) => entry(branch)));

  it('creates after the grace period, within maxPerRun, and only what is severe enough', () => {
    const fresh = groupOpenPairs([entry('3.22', { openSince: '2026-05-31T12:00:00.000Z' })]);
    expect(planNotifications(fresh, [], policy, now)).toMatchObject({ actions: [], waiting: 1 });
    expect(planNotifications(open(['3.22']), [], { ...policy, minSeverity: 'critical' }, now)).toMatchObject({ actions: [], belowSeverity: 1 });
    expect(planNotifications(open(['3.22']), [], { ...policy, maxPerRun: 0 }, now)).toMatchObject({ actions: [], overLimit: 1 });
    expect(planNotifications(open(['3.22']), [], policy, now).actions.map((action) => action.kind)).toEqual(['create']);
  });

  it('notes branches that joined or left, closes what has nothing open, and leaves an unchanged issue alone', () => {
    expect(planNotifications(open(['3.22']), [issue()], policy, now).actions).toEqual([]);
    const [update] = planNotifications(open(['edge']), [issue()], policy, now).actions;
    expect(update).toMatchObject({ kind: 'update', gone: ['3.22/main'], added: ['edge/main'], reopen: false });
    expect(planNotifications([], [issue()], policy, now).actions).toEqual([{ kind: 'close', issue: issue(), gone: ['3.22/main'] }]);
    expect(planNotifications([], [issue({ state: 'closed' })], policy, now).actions).toEqual([]);
  });

  it('reopens an issue secfix closed, but not one a person closed while branches were open', () => {
    const [reopened] = planNotifications(open(['3.22']), [issue({ state: 'closed', recordedOpen: [] })], policy, now).actions;
    expect(reopened).toMatchObject({ kind: 'update', reopen: true });
    const [noted] = planNotifications(open(['3.22', 'edge']), [issue({ state: 'closed' })], policy, now).actions;
    expect(noted).toMatchObject({ kind: 'update', reopen: false, added: ['edge/main'] });
  });
});
