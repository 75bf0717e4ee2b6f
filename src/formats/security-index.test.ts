import { describe, expect, it } from 'vitest';
import { inputErrorFrom } from '../test-support/input-errors.js';
import { type SecurityIndexDocument, formatSecurityIndex, parseSecurityIndex } from './security-index.js';

const DOCUMENT: SecurityIndexDocument = {
  branch: '3.16',
  arch: 'x86_64',
  repos: ['main'],
  endOfSupport: '2024-05-23',
  packages: new Map([
    [
      'curl',
      {
        repo: 'main',
        version: '7.83.1-r4',
        binaries: ['libcurl', 'curl'],
        fixes: new Map([
          ['7.83.1-r2', ['CVE-2022-32207', 'CVE-2022-32205']],
          ['7.83.1-r4', ['CVE-2022-32221']],
        ]),
        notAffected: ['CVE-2023-38039'],
      },
    ],
  ]),
};

describe('security index', () => {
  it('writes compact, sorted JSON (fix versions newest first) and reads it back', () => {
    const text = formatSecurityIndex(DOCUMENT);
    expect(text).toBe(
      '{"format":"secfix-security-index/1","branch":"3.16","arch":"x86_64","repos":["main"],"endOfSupport":"2024-05-23","packages":{"curl":{"repo":"main","version":"7.83.1-r4","binaries":["curl","libcurl"],"fixes":{"7.83.1-r4":["CVE-2022-32221"],"7.83.1-r2":["CVE-2022-32205","CVE-2022-32207"]},"notAffected":["CVE-2023-38039"]}}}\n',
    );
    const parsed = parseSecurityIndex(text, 'index.json');
    expect(formatSecurityIndex(parsed)).toBe(text);
    expect(parseSecurityIndex(formatSecurityIndex({ ...DOCUMENT, arch: null }), 'index.json').arch).toBeNull();
  });

  it.each([
    ['not JSON', () => '{', undefined, /^not JSON/],
    ['another format', (json: Record<string, unknown>) => ({ ...json, format: 'secfix-security-index/2' }), '$.format', /not a secfix security index/],
    ['a fix list a string', (json: Record<string, unknown>) => ({ ...json, packages: { curl: { repo: 'main', version: '1', binaries: [], fixes: { '1': 'CVE-1' }, notAffected: [] } } }), '$.packages.curl.fixes["1"]', /expected an array/],
    ['no notAffected', (json: Record<string, unknown>) => ({ ...json, packages: { curl: { repo: 'main', version: '1', binaries: [], fixes: {} } } }), '$.packages.curl.notAffected', /missing/],
  ])('refuses %s, naming the file and the field', (_name, change, place, problem) => {
    const json = JSON.parse(formatSecurityIndex(DOCUMENT)) as Record<string, unknown>;
    const changed = change(json);
    const error = inputErrorFrom(() => parseSecurityIndex(typeof changed === 'string' ? changed : JSON.stringify(changed), 'index.json'));
    expect([error.source, error.place]).toEqual(['index.json', place]);
    expect(error.problem).toMatch(problem);
  });
});
