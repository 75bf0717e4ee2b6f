import { describe, expect, it } from 'vitest';
import type { StateChangeRow } from '../../store/index.js';
import { type FeedHeading, stateChangeFeed } from './feed.js';

describe('stateChangeFeed', () => {
  const site = { distribution: 'Alpine Linux' };
  const subject: FeedHeading = { title: 'State changes', selfPath: '/feed.atom', pagePath: '/changes' };
  const change = (overrides: Partial<StateChangeRow>): StateChangeRow => ({
    id: 7,
    branch: '3.16',
    repo: 'main',
    package: 'busybox',
    vulnerabilityId: 'CVE-2023-42366',
    oldState: 'unknown',
    newState: 'vulnerable',
    changedAt: '2024-03-01T12:00:00.000Z',
    cause: 'update',
    maintainer: null,
    severity: 'MEDIUM',
    cvssScore: 5.5,
    description: 'A heap overflow in awk.',
    descriptionTruncated: false,
    ...overrides,
  });
  const summaries = (changes: StateChangeRow[]) => stateChangeFeed(site, 'https://t.example', subject, changes, '2024-01-01T00:00:00.000Z').entries.map((entry) => entry.summary?.value);

  it('says what changed, why, how severe, and how the description starts', () => {
    expect(summaries([change({})])).toEqual(['busybox in 3.16/main went from unknown to vulnerable for CVE-2023-42366.\nCause: update.\nSeverity: MEDIUM (CVSS 5.5).\nA heap overflow in awk.']);
    expect(summaries([change({ oldState: null, severity: null, cvssScore: null, description: null })])).toEqual([
      'busybox in 3.16/main got its first state for CVE-2023-42366: vulnerable.\nCause: update.\nSeverity: not rated.',
    ]);
    expect(summaries([change({ newState: null, oldState: 'fixed', cvssScore: null, description: 'Long', descriptionTruncated: true })])).toEqual([
      'busybox in 3.16/main no longer has a state for CVE-2023-42366 (it was fixed).\nCause: update.\nSeverity: MEDIUM.\nLong…',
    ]);
  });

  it('dates the feed by its newest entry, or by the fallback when it has none', () => {
    expect(stateChangeFeed(site, 'https://t.example', subject, [change({})], '2024-01-01T00:00:00.000Z').updated).toBe('2024-03-01T12:00:00.000Z');
    expect(stateChangeFeed(site, 'https://t.example', subject, [], '2024-01-01T00:00:00.000Z').updated).toBe('2024-01-01T00:00:00.000Z');
  });
});
