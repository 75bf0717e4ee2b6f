import { describe, expect, it } from 'vitest';
import type { PairState } from '../base/states.js';
import { TRIAGE_STATUSES, type TriageEvent, type TriageStatus } from '../base/triage.js';
import { computedDigest, digestKey, resolvePairTriage, standingEvents, standingTriage } from './triage.js';

// httpd's mod_ssl bug CVE-2019-0190 that NVD ties to openssl (issue 12): vulnerable, no fix.
const vulnerable: PairState = {
  state: 'vulnerable',
  fixedVersion: null,
  evidence: [{ kind: 'published-version', repo: 'main', version: '1.1.1q-r0' }],
};
const fixedBySecdb: PairState = {
  state: 'fixed',
  fixedVersion: '1.1.1q-r0',
  evidence: [{ kind: 'secfix', repo: 'main', version: '1.1.1q-r0', text: 'CVE-2019-0190' }],
};

let nextId = 1;
function event(status: TriageStatus, fields: Partial<TriageEvent> = {}): TriageEvent {
  const id = nextId++;
  return {
    id,
    package: 'openssl',
    vulnerabilityId: 'CVE-2019-0190',
    branches: null,
    status,
    justification: status === 'not-affected' ? 'component-not-present' : null,
    version: null,
    note: null,
    author: 'alice@example.org',
    createdAt: `2026-01-01T00:00:${String(id % 60).padStart(2, '0')}.000Z`,
    computedDigests: { [digestKey('3.16', 'main')]: computedDigest(vulnerable) },
    ...fields,
  };
}

const resolve = (events: readonly TriageEvent[], fields: { computed?: PairState | null; publishedVersion?: string | null; branch?: string; endOfLife?: boolean } = {}) =>
  resolvePairTriage({
    branch: fields.branch ?? '3.16',
    repo: 'main',
    computed: fields.computed === undefined ? vulnerable : fields.computed,
    publishedVersion: fields.publishedVersion === undefined ? '1.1.1q-r0' : fields.publishedVersion,
    events,
    endOfLife: fields.endOfLife ?? false,
  });

describe('resolvePairTriage', () => {
  it('leaves the computed state ruling without triage: vulnerable is open, fixed resolved', () => {
    expect(resolve([])).toEqual({ computedState: 'vulnerable', triage: null, status: 'vulnerable', resolution: 'open', needsReview: false });
    expect(resolve([], { computed: fixedBySecdb })).toMatchObject({ status: 'fixed', resolution: 'resolved' });
    expect(resolve([], { computed: null })).toMatchObject({ computedState: null, status: 'unknown', resolution: 'resolved' });
  });

  it.each([
    ['under-investigation', 'open'],
    ['affected', 'open'],
    ['not-affected', 'resolved'],
    ['pending-upstream-fix', 'resolved'],
    ['fix-not-planned', 'resolved'],
    ['analysis-not-planned', 'resolved'],
  ] as const)('lets a standing %s event rule, %s', (status, resolution) => {
    const triage = event(status);
    expect(resolve([triage])).toEqual({ computedState: 'vulnerable', triage, status, resolution, needsReview: false });
  });

  it('makes a would-be-open pair end-of-life on a branch past its end of support, and leaves the rest as they are', () => {
    const endOfLife = { endOfLife: true };
    expect(resolve([], endOfLife)).toEqual({ computedState: 'vulnerable', triage: null, status: 'end-of-life', resolution: 'end-of-life', needsReview: false });
    const affected = event('affected');
    expect(resolve([affected], endOfLife)).toMatchObject({ triage: affected, status: 'end-of-life', resolution: 'end-of-life' });
    expect(resolve([event('under-investigation')], endOfLife)).toMatchObject({ status: 'end-of-life', resolution: 'end-of-life' });
    expect(resolve([event('not-affected')], { ...endOfLife, computed: fixedBySecdb })).toMatchObject({ status: 'end-of-life', needsReview: true });
    // Resolved pairs stay resolved: fixed is fixed, whatever the calendar.
    expect(resolve([], { ...endOfLife, computed: fixedBySecdb })).toMatchObject({ status: 'fixed', resolution: 'resolved' });
    expect(resolve([event('not-affected')], endOfLife)).toMatchObject({ status: 'not-affected', resolution: 'resolved' });
  });

  it('counts a fixed event only once the branch publishes that version', () => {
    const fixed = event('fixed', { version: '1.1.1r-r0' });
    expect(resolve([fixed])).toMatchObject({ status: 'fix-pending-publication', resolution: 'resolved' });
    expect(resolve([fixed], { publishedVersion: '1.1.1r-r0' })).toMatchObject({ status: 'fixed' });
    expect(resolve([fixed], { publishedVersion: '1.1.1s-r0' })).toMatchObject({ status: 'fixed' });
    expect(resolve([fixed], { publishedVersion: null })).toMatchObject({ status: 'fix-pending-publication' });
  });

  it('covers every status the vocabulary names', () => {
    const ruled = TRIAGE_STATUSES.filter((status) => status !== 'withdrawn').map((status) => resolve([event(status, { version: '1.0-r0' })]).status);
    expect(ruled).toEqual(['under-investigation', 'affected', 'not-affected', 'fixed', 'pending-upstream-fix', 'fix-not-planned', 'analysis-not-planned']);
  });

  it('returns to the computed state when the only event is withdrawn', () => {
    expect(resolve([event('not-affected'), event('withdrawn')])).toMatchObject({ triage: null, status: 'vulnerable', resolution: 'open' });
  });

  it('withdraws the latest event of the same scope only, revealing the one before', () => {
    const investigating = event('under-investigation');
    const notAffected = event('not-affected');
    expect(resolve([investigating, notAffected, event('withdrawn')]).triage).toBe(investigating);
    // A withdrawal for 3.17 alone leaves the every-branch event standing.
    const scoped = event('withdrawn', { branches: ['3.17'] });
    expect(resolve([investigating, notAffected, scoped]).triage).toBe(notAffected);
  });

  it('orders events by time, then id, whatever order they come in', () => {
    const first = event('affected');
    const second = event('not-affected');
    expect(resolve([second, first]).triage).toBe(second);
    expect(standingEvents([second, event('withdrawn'), first])).toEqual([first]);
  });

  it('applies a branch-scoped event to its branches only', () => {
    const only317 = event('not-affected', { branches: ['3.17'] });
    expect(standingTriage([only317], '3.16')).toBeNull();
    expect(resolve([only317], { branch: '3.17' })).toMatchObject({ status: 'not-affected' });
    expect(resolve([only317])).toMatchObject({ status: 'vulnerable', triage: null });
  });

  it('flags a triaged pair whose computed state changed since the decision', () => {
    const notAffected = event('not-affected');
    expect(resolve([notAffected], { computed: fixedBySecdb })).toMatchObject({ status: 'not-affected', needsReview: true, resolution: 'open' });
    // Made where no state was computed, and one is now: also a change.
    expect(resolve([event('not-affected', { computedDigests: {} })])).toMatchObject({ needsReview: true });
    expect(resolve([event('not-affected', { computedDigests: {} })], { computed: null })).toMatchObject({ needsReview: false });
  });

  it('gives equal states equal digests and different states different ones', () => {
    expect(computedDigest({ ...vulnerable })).toBe(computedDigest(vulnerable));
    expect(computedDigest(fixedBySecdb)).not.toBe(computedDigest(vulnerable));
  });
});
