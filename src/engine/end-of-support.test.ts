import { describe, expect, it } from 'vitest';
import { builtInEndOfSupport, dayOf, isBranchSupported } from './end-of-support.js';

describe('isBranchSupported', () => {
  it('keeps the end day itself supported; the day after is not', () => {
    expect(isBranchSupported('2024-05-23', '2024-05-22')).toBe(true);
    expect(isBranchSupported('2024-05-23', '2024-05-23')).toBe(true);
    expect(isBranchSupported('2024-05-23', '2024-05-24')).toBe(false);
  });

  it('reads the day of a full timestamp, and a branch without a date never ends', () => {
    expect(isBranchSupported('2024-05-23T00:00:00.000Z', '2024-05-23')).toBe(true);
    expect(isBranchSupported('2024-05-23T00:00:00.000Z', '2024-05-24')).toBe(false);
    expect(isBranchSupported(null, '2999-01-01')).toBe(true);
  });

  it("knows Alpine's dates for a scan of secdb files, and none for edge", () => {
    expect(builtInEndOfSupport('3.16')).toBe('2024-05-23');
    expect(builtInEndOfSupport('edge')).toBeUndefined();
    expect(builtInEndOfSupport('toString')).toBeUndefined();
  });

  it('takes the UTC day of a time', () => {
    expect(dayOf(new Date('2024-05-23T23:59:59.999-02:00'))).toBe('2024-05-24');
  });
});
