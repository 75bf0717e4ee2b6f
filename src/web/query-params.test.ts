import { describe, expect, it } from 'vitest';
import { HttpError } from './errors.js';
import { choiceParam, flagParam, integerParam, onlyParams, textParam } from './query-params.js';

function error(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (caught) {
    if (caught instanceof HttpError) return caught;
    throw caught;
  }
  throw new Error('expected an HttpError');
}

describe('query parameters', () => {
  it('reads text and treats empty as absent', () => {
    expect(textParam({ q: 'curl' }, 'q')).toBe('curl');
    expect(textParam({ q: '' }, 'q')).toBeUndefined();
    expect(error(() => textParam({ q: ['a', 'b'] }, 'q')).message).toMatch(/more than once/);
    expect(error(() => textParam({ q: 'x'.repeat(201) }, 'q')).status).toBe(400);
  });

  it('checks choices, numbers and flags, naming the parameter', () => {
    expect(choiceParam({ state: 'fixed' }, 'state', ['fixed', 'vulnerable'])).toBe('fixed');
    expect(error(() => choiceParam({ state: 'bogus' }, 'state', ['fixed'])).message).toBe('query parameter "state" must be one of fixed; got "bogus"');
    expect(integerParam({ page: '3' }, 'page', 1, 10)).toBe(3);
    expect(error(() => integerParam({ page: '0' }, 'page', 1, 10)).status).toBe(400);
    expect(error(() => integerParam({ page: '2.5' }, 'page', 1, 10)).status).toBe(400);
    expect(flagParam({ orphaned: '1' }, 'orphaned')).toBe(true);
    expect(flagParam({ orphaned: 'false' }, 'orphaned')).toBe(false);
    expect(error(() => flagParam({ orphaned: 'maybe' }, 'orphaned')).status).toBe(400);
  });

  it('rejects unknown parameters', () => {
    expect(() => onlyParams({ page: '1' }, ['page'])).not.toThrow();
    expect(error(() => onlyParams({ pgae: '1' }, ['page'])).message).toMatch(/unknown query parameter "pgae"/);
  });
});
