import { describe, expect, it } from 'vitest';
import { InputError } from '../base/input-error.js';
import { jsonPath } from './json-path.js';

describe('InputError', () => {
  it('names the source, the place and the problem in one line', () => {
    const error = new InputError('main.json', '$.packages[3].pkg.name', 'expected a string');
    expect(error.message).toBe('main.json: $.packages[3].pkg.name: expected a string');
    expect(error).toBeInstanceOf(Error);
  });

  it('leaves out the place when the whole input is at fault', () => {
    expect(new InputError('x.gz', undefined, 'truncated gzip data').message).toBe('x.gz: truncated gzip data');
  });
});

describe('jsonPath', () => {
  it('writes identifiers with dots, indexes and other keys in brackets', () => {
    expect(jsonPath(['packages', 3, 'pkg', 'secfixes', '1.2-r0', 1])).toBe('$.packages[3].pkg.secfixes["1.2-r0"][1]');
    expect(jsonPath([])).toBe('$');
  });
});
