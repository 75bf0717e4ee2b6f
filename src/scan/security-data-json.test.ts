import { describe, expect, it } from 'vitest';
import { inputErrorFrom } from '../test-support/input-errors.js';
import type { SecurityData } from './model.js';
import { securityDataFromJson, securityDataToJson } from './security-data-json.js';

const SOURCE = 'http://tracker.test/api/branch/3.16/security-data';

const DATA: SecurityData = {
  kind: 'tracker',
  branch: '3.16',
  sources: ['http://tracker.test'],
  repos: ['community', 'main'],
  fixes: new Map([
    ['busybox', [{ version: '1.35.0-r18', id: 'CVE-2023-42366', repo: 'main' }]],
    [
      'openssl',
      [
        { version: '1.1.1t-r0', id: 'CVE-2023-0286', repo: 'main' },
        { version: '0', id: 'CVE-2022-3602', repo: 'main' },
      ],
    ],
    // An origin named like Object.prototype's accessor must stay plain data both ways.
    ['__proto__', [{ version: '1.0-r1', id: 'CVE-2024-0001', repo: 'community' }]],
  ]),
  open: new Map([['openssl', [{ id: 'CVE-2023-0466', state: 'vulnerable' }]]]),
  rejected: new Map([['busybox', new Set(['CVE-2022-28391', 'CVE-2022-30065'])]]),
  published: new Map([
    ['busybox', '1.35.0-r17'],
    ['openssl', '1.1.1s-r0'],
  ]),
  endOfSupport: '2024-05-23',
};

/** The wire form of DATA as a server sends it and a client parses it: through JSON text. */
const wire = (data: SecurityData = DATA): Record<string, unknown> => JSON.parse(JSON.stringify(securityDataToJson(data))) as Record<string, unknown>;

describe('security data on the wire', () => {
  it('round-trips every field, the Maps and Sets included', () => {
    expect(securityDataFromJson(wire(), SOURCE)).toEqual(DATA);
  });

  it('writes maps as objects keyed by origin and leaves out an unknown end of support', () => {
    const withoutEnd: SecurityData = { ...DATA, endOfSupport: undefined };
    const json = wire(withoutEnd);
    expect(json).not.toHaveProperty('endOfSupport');
    expect(json['rejected']).toEqual({ busybox: ['CVE-2022-28391', 'CVE-2022-30065'] });
    expect(json['published']).toEqual({ busybox: '1.35.0-r17', openssl: '1.1.1s-r0' });
    expect(Object.keys(json['fixes'] as object)).toEqual(['busybox', 'openssl', '__proto__']);
    expect(securityDataFromJson(json, SOURCE)).toEqual(withoutEnd);
  });

  it('writes secdb data without tracker-only maps as empty objects', () => {
    const secdb: SecurityData = { kind: 'secdb', branch: '3.16', sources: ['main.json'], repos: ['main'], fixes: new Map() };
    expect(wire(secdb)).toEqual({ branch: '3.16', repos: ['main'], sources: ['main.json'], fixes: {}, open: {}, rejected: {}, published: {} });
  });

  /** Each case changes one field of a valid answer; the error must name the source and that field. */
  const malformed: readonly [string, (json: Record<string, unknown>) => unknown, string, string][] = [
    ['not an object', () => [], '$', 'expected an object, found an array'],
    ['null', () => null, '$', 'expected an object, found null'],
    ['no branch', ({ branch: _branch, ...rest }) => rest, '$.branch', 'missing (expected a string)'],
    ['empty branch', (json) => ({ ...json, branch: '' }), '$.branch', 'expected a non-empty string, found an empty one'],
    ['repos not an array', (json) => ({ ...json, repos: 'main' }), '$.repos', 'expected an array, found a string'],
    ['a repo not a string', (json) => ({ ...json, repos: ['main', 3] }), '$.repos[1]', 'expected a string, found a number'],
    ['no sources', ({ sources: _sources, ...rest }) => rest, '$.sources', 'missing (expected an array)'],
    ['end of support a number', (json) => ({ ...json, endOfSupport: 2024 }), '$.endOfSupport', 'expected a string, found a number'],
    ['fixes an array', (json) => ({ ...json, fixes: [] }), '$.fixes', 'expected an object, found an array'],
    ['no fixes', ({ fixes: _fixes, ...rest }) => rest, '$.fixes', 'missing (expected an object)'],
    ['fix lines not a list', (json) => ({ ...json, fixes: { busybox: {} } }), '$.fixes.busybox', 'expected an array, found an object'],
    ['a fix line a string', (json) => ({ ...json, fixes: { busybox: ['1.35.0-r18'] } }), '$.fixes.busybox[0]', 'expected an object, found a string'],
    ['a fix without version', (json) => ({ ...json, fixes: { busybox: [{ id: 'CVE-1', repo: 'main' }] } }), '$.fixes.busybox[0].version', 'missing (expected a string)'],
    ['a fix id null', (json) => ({ ...json, fixes: { busybox: [{ version: '1', id: null, repo: 'main' }] } }), '$.fixes.busybox[0].id', 'expected a string, found null'],
    ['a fix without repo', (json) => ({ ...json, fixes: { 'py3-a.b': [{ version: '1', id: 'CVE-1' }] } }), '$.fixes["py3-a.b"][0].repo', 'missing (expected a string)'],
    ['open a list', (json) => ({ ...json, open: [] }), '$.open', 'expected an object, found an array'],
    ['an open entry without state', (json) => ({ ...json, open: { openssl: [{ id: 'CVE-1' }] } }), '$.open.openssl[0].state', 'missing (expected a string)'],
    ['rejected ids an object', (json) => ({ ...json, rejected: { busybox: { id: 'CVE-1' } } }), '$.rejected.busybox', 'expected an array, found an object'],
    ['a rejected id a number', (json) => ({ ...json, rejected: { busybox: [1] } }), '$.rejected.busybox[0]', 'expected a string, found a number'],
    ['no published', ({ published: _published, ...rest }) => rest, '$.published', 'missing (expected an object)'],
    ['a published version a list', (json) => ({ ...json, published: { busybox: ['1.35.0-r17'] } }), '$.published.busybox', 'expected a string, found an array'],
  ];

  it.each(malformed)('rejects an answer with %s, naming the source and the field', (_name, change, place, problem) => {
    const error = inputErrorFrom(() => securityDataFromJson(change(wire()), SOURCE));
    expect([error.source, error.place, error.problem]).toEqual([SOURCE, place, problem]);
  });
});
