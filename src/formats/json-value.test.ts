import { describe, expect, it } from 'vitest';
import { inputErrorFrom } from '../test-support/input-errors.js';
import { JsonReader } from './json-value.js';

const read = (value: unknown, yaml = false) => JsonReader.of(value, 'doc.json', { yaml });

describe('JsonReader', () => {
  it('names the document and the JSON path of a value of the wrong type', () => {
    const error = inputErrorFrom(() => read({ a: [{ b: 1 }] }).asObject().array('a')[0]!.asObject().string('b'));
    expect(error.message).toBe('doc.json: $.a[0].b: expected a string, found a number');
  });

  it('says a required field is missing', () => {
    expect(inputErrorFrom(() => read({}).asObject().string('id')).message).toBe('doc.json: $.id: missing (expected a string)');
  });

  it('counts a YAML null as absent and names YAML types', () => {
    const object = read({ keys: null }, true).asObject();
    expect(object.optional('keys')).toBeUndefined();
    expect(object.optionalArray('keys')).toEqual([]);
    expect(inputErrorFrom(() => read([], true).asObject()).problem).toBe('expected a mapping, found a list');
  });

  it('accepts only the known fields of an object, naming the first unknown one', () => {
    expect(read({ name: 'x' }).asObject().withOnly(['name', 'index']).string('name')).toBe('x');
    const error = inputErrorFrom(() => read({ name: 'x', archs: [] }).asObject().withOnly(['name', 'index']));
    expect(error.place).toBe('$.archs');
    expect(error.problem).toBe('unknown field "archs"; expected one of name, index');
    expect(inputErrorFrom(() => read({ archs: [] }, true).asObject().withOnly(['name'])).problem).toBe('unknown setting "archs"; expected one of name');
  });

  it('reads calendar dates and refuses impossible ones', () => {
    expect(read('2024-02-29').asDate()).toBe('2024-02-29');
    expect(inputErrorFrom(() => read('2023-02-29').asDate()).problem).toBe('not a valid YYYY-MM-DD date: "2023-02-29"');
    expect(inputErrorFrom(() => read('2023-02-01T00:00:00Z').asDate()).problem).toMatch(/not a valid YYYY-MM-DD date/);
  });

  it('normalizes timestamps to UTC with milliseconds', () => {
    expect(read('2024-04-18T02:00:04+02:00').asTimestamp()).toBe('2024-04-18T00:00:04.000Z');
    expect(inputErrorFrom(() => read('2024-13-01').asTimestamp()).problem).toBe('not a valid date-time: "2024-13-01"');
  });

  it('refuses a string outside the allowed set, quoting it', () => {
    expect(read('OR').asOneOf(['AND', 'OR'])).toBe('OR');
    expect(inputErrorFrom(() => read('XOR').asOneOf(['AND', 'OR'])).problem).toBe('expected one of AND, OR, found "XOR"');
  });

  it('reads only own properties', () => {
    expect(read(JSON.parse('{}')).asObject().has('toString')).toBe(false);
    expect(inputErrorFrom(() => read({}).asObject().string('constructor')).problem).toBe('missing (expected a string)');
  });
});
