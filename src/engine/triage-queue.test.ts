import { describe, expect, it } from 'vitest';
import { type QueuePlace, byCodePoints, byUrgency, queuePage, untriagedSlice } from './triage-queue.js';

const place = (vulnerabilityId: string, urgency: Partial<QueuePlace['urgency']> = {}, where: Partial<Omit<QueuePlace, 'urgency'>> = {}): QueuePlace => ({
  branch: '3.20',
  repo: 'main',
  package: 'openssl',
  vulnerabilityId,
  ...where,
  urgency: { kev: false, severity: null, published: null, ...urgency },
});

/** Twelve pairs in queue order, one tie-break field after the other. */
const QUEUE: readonly QueuePlace[] = [
  place('CVE-2020-0001', { kev: true, severity: 'LOW' }),
  place('CVE-2020-0002', { severity: 'CRITICAL', published: '2020-01-01T00:00:00.000Z' }),
  place('CVE-2020-0003', { severity: 'critical', published: '2021-01-01T00:00:00.000Z' }),
  place('CVE-2020-0004', { severity: 'CRITICAL' }),
  place('CVE-2020-0005', { severity: 'HIGH', published: '2019-01-01T00:00:00.000Z' }, { branch: '3.19' }),
  place('CVE-2020-0005', { severity: 'HIGH', published: '2019-01-01T00:00:00.000Z' }, { branch: '3.20', repo: 'community' }),
  place('CVE-2020-0005', { severity: 'HIGH', published: '2019-01-01T00:00:00.000Z' }, { branch: '3.20', repo: 'main', package: 'curl' }),
  place('CVE-2020-0005', { severity: 'HIGH', published: '2019-01-01T00:00:00.000Z' }),
  place('CVE-2020-0006', { severity: 'HIGH', published: '2019-01-01T00:00:00.000Z' }),
  place('CVE-2020-0007', { severity: 'MODERATE' }),
  place('CVE-2020-0008', { severity: 'NONE', published: '2000-01-01T00:00:00.000Z' }),
  place('CVE-2020-0009'),
];

describe('triage queue order', () => {
  it('puts known exploited first, then severity, oldest published (none last), then branch, repository, package and id', () => {
    const shuffled = [...QUEUE.slice(5), ...QUEUE.slice(0, 5)].reverse();
    expect(shuffled.sort(byUrgency)).toEqual(QUEUE);
  });

  it('compares text by code points, as SQLite and PostgreSQL\'s "C" collation do, not by UTF-16 units', () => {
    expect(byCodePoints('\u{10000}', '\uffff')).toBeGreaterThan(0);
    expect(byCodePoints('a', 'ab')).toBeLessThan(0);
    expect(byCodePoints('B', 'a')).toBeLessThan(0);
    expect(byCodePoints('x', 'x')).toBe(0);
  });
});

describe('a queue page from its untriaged and triaged parts', () => {
  /** Every page of every size of QUEUE split into `triaged` (by index) and the rest, as the store reads it. */
  const everyPage = (triagedAt: readonly number[]) => {
    const triaged = QUEUE.filter((_, index) => triagedAt.includes(index));
    const untriaged = QUEUE.filter((_, index) => !triagedAt.includes(index));
    for (let size = 1; size <= QUEUE.length + 1; size++) {
      for (let start = 0; start <= QUEUE.length + 1; start++) {
        const slice = untriagedSlice(start, size, triaged.length);
        const read = untriaged.slice(slice.offset, slice.offset + slice.limit);
        expect(queuePage(start, size, read, [...triaged].reverse()), `start ${start}, size ${size}`).toEqual(QUEUE.slice(start, start + size));
      }
    }
  };

  it('is exact at every boundary with no triaged pair', () => everyPage([]));
  it('is exact with no untriaged pair', () => everyPage(QUEUE.map((_, index) => index)));
  it('is exact with triaged pairs before, inside and after a page', () => everyPage([0, 1, 5, 11]));
  it('is exact with triaged pairs in a run in the middle', () => everyPage([4, 5, 6, 7]));
  it('is exact with one triaged pair at the end', () => everyPage([11]));

  it('reads at most size + triaged untriaged rows, from start - triaged', () => {
    expect(untriagedSlice(200, 100, 3)).toEqual({ offset: 197, limit: 103 });
    expect(untriagedSlice(0, 100, 3)).toEqual({ offset: 0, limit: 103 });
    expect(untriagedSlice(2, 100, 3)).toEqual({ offset: 0, limit: 103 });
  });

  it('gives the whole queue with no end to the page', () => {
    expect(queuePage(0, Number.POSITIVE_INFINITY, QUEUE.filter((_, index) => index % 3 !== 0), QUEUE.filter((_, index) => index % 3 === 0))).toEqual(QUEUE);
  });
});
