import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './retry-after.js';

describe('retryAfterMs', () => {
  const date = 'Wed, 21 Oct 2015 07:28:30 GMT';

  it('reads delay-seconds', () => {
    expect(retryAfterMs('7', 0)).toBe(7_000);
    expect(retryAfterMs(' 120 ', 0)).toBe(120_000);
  });

  it('reads an HTTP date relative to now, a past one as 0', () => {
    expect(retryAfterMs(date, Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(30_000);
    expect(retryAfterMs(date, Date.parse('Wed, 21 Oct 2015 07:29:00 GMT'))).toBe(0);
  });

  it('gives nothing for an absent or unreadable value', () => {
    expect(retryAfterMs(null, 0)).toBeUndefined();
    expect(retryAfterMs('soon', 0)).toBeUndefined();
  });
});
