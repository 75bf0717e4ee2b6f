import { describe, expect, it } from 'vitest';
import { isIsoDate, normalizeTimestamp } from './timestamp.js';

describe('normalizeTimestamp', () => {
  it('gives one UTC form for the NVD 2.0, 1.1 and .meta spellings', () => {
    expect(normalizeTimestamp('2019-11-14T19:15:13.410')).toBe('2019-11-14T19:15:13.410Z');
    expect(normalizeTimestamp('2019-11-14T19:15Z')).toBe('2019-11-14T19:15:00.000Z');
    expect(normalizeTimestamp('2026-01-19T16:00:01-05:00')).toBe('2026-01-19T21:00:01.000Z');
    expect(normalizeTimestamp('2024-02-29T23:59:59.99999')).toBe('2024-02-29T23:59:59.999Z');
  });

  it('gives the same form for the CVE 5 spellings: a bare date, lower case, an offset without colon', () => {
    expect(normalizeTimestamp('2024-01-01')).toBe('2024-01-01T00:00:00.000Z');
    expect(normalizeTimestamp('2024-02-01t12:30:00.5z')).toBe('2024-02-01T12:30:00.500Z');
    expect(normalizeTimestamp('2024-02-01T00:30:00+0100')).toBe('2024-01-31T23:30:00.000Z');
    expect(normalizeTimestamp('2024-04-22T19:20:06.233081Z')).toBe('2024-04-22T19:20:06.233Z');
  });

  it('refuses impossible dates and other spellings', () => {
    for (const text of ['2023-02-29T00:00:00', '2019-13-01T00:00', '2019-11-14T24:00', '2019-11-14 19:15', '2019-11-14T19', '2019-11-14T19:15+25:00', 'June 6, 2024']) {
      expect(normalizeTimestamp(text)).toBeUndefined();
    }
  });
});

describe('isIsoDate', () => {
  it('accepts real calendar dates only', () => {
    expect(['2024-02-29', '2000-02-29', '2023-12-31'].map(isIsoDate)).toEqual([true, true, true]);
    expect(['2023-02-29', '1900-02-29', '2024-13-01', '2024-00-10', '2024-1-01', '2024-01-01T00:00'].map(isIsoDate)).toEqual([false, false, false, false, false, false]);
  });
});
