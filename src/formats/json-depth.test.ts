import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './json-depth.js';

describe('nestsDeeperThan', () => {
  it('counts brackets and braces outside strings only', () => {
    expect(nestsDeeperThan('{"packages": ["a[[[", "b{{{\\"[["]}', 2)).toBe(false);
    expect(nestsDeeperThan('{"packages": [["a"]]}', 2)).toBe(true);
    expect(nestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[[[]]]]', 3)).toBe(true);
  });

  it('counts depth, not the number of containers', () => {
    expect(nestsDeeperThan(`[${'[],'.repeat(10_000)}[]]`, 2)).toBe(false);
    expect(nestsDeeperThan(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 2)).toBe(true);
  });
});
