import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import { type Cve5Affected, cve5Configurations, parseCve5 } from './cve5.js';
import { InputError } from '../base/input-error.js';
import { inputErrorFrom } from '../test-support/input-errors.js';

const FIXTURE = repoPath('fixtures', 'cve5', 'vulnrichment', '2024', '3xxx', 'CVE-2024-3931.json');
const fixtureBytes = readFileSync(FIXTURE);

type Step = string | number;
type JsonNode = Record<Step, unknown>;

/** A fresh mutable copy of the real record, for building variants. */
function fixtureJson(): JsonNode {
  return JSON.parse(fixtureBytes.toString('utf8')) as JsonNode;
}

function nodeAt(root: unknown, path: readonly Step[]): JsonNode {
  let node = root;
  for (const step of path) node = (node as JsonNode)[step];
  return node as JsonNode;
}

function setAt(root: unknown, path: readonly Step[], value: unknown): void {
  nodeAt(root, path.slice(0, -1))[path.at(-1) ?? ''] = value;
}

function deleteAt(root: unknown, path: readonly Step[]): void {
  delete nodeAt(root, path.slice(0, -1))[path.at(-1) ?? ''];
}

function pushAt(root: unknown, path: readonly Step[], ...values: unknown[]): void {
  (nodeAt(root, path) as unknown as unknown[]).push(...values);
}

/** The real record changed by `edit`. */
function variant(edit: (json: JsonNode) => void): JsonNode {
  const json = fixtureJson();
  edit(json);
  return json;
}

const parse = (value: unknown) => parseCve5(JSON.stringify(value), 'test.json');

describe('parseCve5 on the real vulnrichment record CVE-2024-3931', () => {
  const record = parseCve5(fixtureBytes, FIXTURE);

  it('reads the metadata', () => {
    expect(record.id).toBe('CVE-2024-3931');
    expect(record.state).toBe('PUBLISHED');
    expect(record.assigner).toBe('VulDB');
    expect(record.dateReserved).toBe('2024-04-17T16:57:36.717Z');
    expect(record.datePublished).toBe('2024-04-18T00:00:04.983Z');
    expect(record.dateUpdated).toBe('2024-06-06T19:44:53.040Z');
    expect(record.title).toBe('Totara LMS Profile check.php cross site scripting');
    expect(record.descriptions.map((description) => description.lang)).toEqual(['en', 'de']);
    expect(record.descriptions[0]?.value).toMatch(/^A vulnerability was found in Totara LMS 18\.0\.1 Build 20231128\.01\./);
    expect(record.rejectedReason).toBeUndefined();
  });

  it('keeps the CNA (VulDB) CVSS 3.1, 3.0 and 2.0 scores with their source', () => {
    expect(record.cvss).toEqual([
      { version: '3.1', source: 'VulDB', vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:N/I:L/A:N', baseScore: 3.5, baseSeverity: 'LOW' },
      { version: '3.0', source: 'VulDB', vector: 'CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:U/C:N/I:L/A:N', baseScore: 3.5, baseSeverity: 'LOW' },
      { version: '2.0', source: 'VulDB', vector: 'AV:N/AC:L/Au:S/C:N/I:P/A:N', baseScore: 4 },
    ]);
    expect(record.cwes).toEqual(['CWE-79']);
  });

  it('reads the CISA SSVC decision', () => {
    expect(record.ssvc).toEqual({
      exploitation: 'poc',
      automatable: 'yes',
      technicalImpact: 'partial',
      version: '2.0.3',
      timestamp: '2024-04-22T19:20:06.233Z',
    });
    expect(record.kev).toBeUndefined();
  });

  it('keeps the CNA affected entry and adds the CISA one with its CPE and range', () => {
    expect(record.affected).toEqual([
      {
        source: 'VulDB',
        vendor: 'Totara',
        product: 'LMS',
        cpes: [],
        defaultStatus: 'unknown',
        versions: [{ version: '18.0.1 Build 20231128.01', status: 'affected', changes: [] }],
      },
      {
        source: 'CISA-ADP',
        vendor: 'totara',
        product: 'enterprise_lms',
        cpes: ['cpe:2.3:a:totara:enterprise_lms:*:*:*:*:*:*:*:*'],
        defaultStatus: 'unknown',
        versions: [
          {
            version: '0',
            status: 'affected',
            versionType: 'custom',
            lessThanOrEqual: '18.0.1 Build 20231128.01',
            changes: [],
          },
        ],
      },
    ]);
  });

  it('reads the references', () => {
    expect(record.references).toEqual([
      {
        url: 'https://vuldb.com/?id.261368',
        name: 'VDB-261368 | Totara LMS Profile check.php cross site scripting',
        tags: ['vdb-entry', 'technical-description'],
      },
      {
        url: 'https://vuldb.com/?ctiid.261368',
        name: 'VDB-261368 | CTI Indicators (IOB, IOC, TTP, IOA)',
        tags: ['signature', 'permissions-required'],
      },
    ]);
  });

  it('accepts the same text as a string', () => {
    expect(parseCve5(fixtureBytes.toString('utf8'), FIXTURE)).toEqual(record);
  });
});

describe('parseCve5 on constructed variants', () => {
  it('reads a KEV listing added as another ADP "other" metric (formats.md 5.4)', () => {
    const reference = 'https://www.cisa.gov/known-exploited-vulnerabilities-catalog?search=CVE-2024-3931';
    const record = parse(
      variant((json) => pushAt(json, ['containers', 'adp', 0, 'metrics'], { other: { type: 'kev', content: { dateAdded: '2024-01-15', reference } } })),
    );
    expect(record.kev).toEqual({ dateAdded: '2024-01-15', reference });
    expect(record.ssvc?.exploitation).toBe('poc');
  });

  it('parses a REJECTED record with its reason and no CVE data', () => {
    const rejected = {
      dataType: 'CVE_RECORD',
      dataVersion: '5.1',
      cveMetadata: {
        cveId: 'CVE-2024-0001',
        assignerShortName: 'mitre',
        state: 'REJECTED',
        dateReserved: '2024-01-01T00:00:00',
        dateRejected: '2024-02-01T12:30:00+01:00',
        dateUpdated: '2024-02-01T11:30:00.5Z',
      },
      containers: {
        cna: {
          providerMetadata: { orgId: '8254265b-2729-46b6-b9e3-3dfca2d5bfca', shortName: 'mitre' },
          rejectedReasons: [
            { lang: 'de', value: 'Duplikat.' },
            { lang: 'en', value: 'DO NOT USE THIS CVE ID. It is a duplicate of CVE-2024-0002.' },
          ],
        },
      },
    };
    expect(parse(rejected)).toEqual({
      id: 'CVE-2024-0001',
      state: 'REJECTED',
      assigner: 'mitre',
      dateReserved: '2024-01-01T00:00:00.000Z',
      dateRejected: '2024-02-01T11:30:00.000Z',
      dateUpdated: '2024-02-01T11:30:00.500Z',
      rejectedReason: 'DO NOT USE THIS CVE ID. It is a duplicate of CVE-2024-0002.',
      descriptions: [],
      cvss: [],
      cwes: [],
      references: [],
      affected: [],
    });
    const withoutCna = { ...rejected, containers: {} };
    expect(parse(withoutCna).state).toBe('REJECTED');
  });

  it('drops the ADP affected entries once the CNA lists CPEs, and converts 2.2 URIs', () => {
    const record = parse(variant((json) => setAt(json, ['containers', 'cna', 'affected', 0, 'cpes'], ['cpe:/a:totara:lms:18.0.1'])));
    expect(record.affected.map((entry) => entry.source)).toEqual(['VulDB']);
    expect(record.affected[0]?.cpes).toEqual(['cpe:2.3:a:totara:lms:18.0.1:*:*:*:*:*:*:*']);
  });

  it('adds ADP CVSS only for versions the CNA did not score, and ADP CWEs only when the CNA has none', () => {
    const json = fixtureJson();
    const adp: readonly Step[] = ['containers', 'adp', 0];
    pushAt(
      json,
      [...adp, 'metrics'],
      { cvssV3_1: { version: '3.1', baseScore: 6.1, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', baseSeverity: 'MEDIUM' } },
      { cvssV4_0: { version: '4.0', baseScore: 5.1, vectorString: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N', baseSeverity: 'MEDIUM' } },
    );
    setAt(json, [...adp, 'problemTypes'], [{ descriptions: [{ type: 'CWE', cweId: 'CWE-80', lang: 'en', description: 'CWE-80' }] }]);
    setAt(json, [...adp, 'references'], [
      { url: 'https://vuldb.com/?id.261368' },
      { url: 'https://example.org/advisory', tags: ['x_transferred'] },
    ]);
    const record = parse(json);
    expect(record.cvss.map((entry) => `${entry.version} ${entry.source} ${entry.baseScore}`)).toEqual([
      '3.1 VulDB 3.5',
      '3.0 VulDB 3.5',
      '2.0 VulDB 4',
      '4.0 CISA-ADP 5.1',
    ]);
    expect(record.cwes).toEqual(['CWE-79']);
    expect(record.references.map((reference) => reference.url)).toEqual([
      'https://vuldb.com/?id.261368',
      'https://vuldb.com/?ctiid.261368',
      'https://example.org/advisory',
    ]);
    deleteAt(json, ['containers', 'cna', 'problemTypes']);
    expect(parse(json).cwes).toEqual(['CWE-80']);
  });

  it('reads collection packages, version ranges with changes, and defaultStatus', () => {
    const json = fixtureJson();
    setAt(json, ['containers', 'cna', 'affected'], [
      {
        collectionURL: 'https://pypi.org',
        packageName: 'example',
        defaultStatus: 'unaffected',
        versions: [
          {
            version: '1.0',
            status: 'affected',
            versionType: 'python',
            lessThan: '1.*',
            changes: [{ at: '1.0.3', status: 'unaffected' }],
          },
        ],
      },
    ]);
    expect(parse(json).affected[0]).toEqual({
      source: 'VulDB',
      collectionUrl: 'https://pypi.org',
      packageName: 'example',
      cpes: [],
      defaultStatus: 'unaffected',
      versions: [{ version: '1.0', status: 'affected', versionType: 'python', lessThan: '1.*', changes: [{ at: '1.0.3', status: 'unaffected' }] }],
    });
  });
});

describe('parseCve5 rejects bad input with a JSON path', () => {
  const cna: readonly Step[] = ['containers', 'cna'];
  const adp: readonly Step[] = ['containers', 'adp', 0];
  const set = (path: readonly Step[], value: unknown) => (json: JsonNode) => setAt(json, path, value);
  const remove = (path: readonly Step[]) => (json: JsonNode) => deleteAt(json, path);
  const cases: readonly {
    readonly name: string;
    readonly edit: (json: JsonNode) => void;
    readonly place: string;
    readonly problem: RegExp;
  }[] = [
    { name: 'wrong dataType', edit: set(['dataType'], 'CVE_RECORD_LIST'), place: '$.dataType', problem: /expected "CVE_RECORD"/ },
    { name: 'dataVersion 4', edit: set(['dataVersion'], '4.0'), place: '$.dataVersion', problem: /unsupported/ },
    { name: 'missing cveId', edit: remove(['cveMetadata', 'cveId']), place: '$.cveMetadata.cveId', problem: /missing/ },
    { name: 'bad id form', edit: set(['cveMetadata', 'cveId'], 'CVE-24-3931'), place: '$.cveMetadata.cveId', problem: /not a CVE id/ },
    { name: 'numeric id', edit: set(['cveMetadata', 'cveId'], 20243931), place: '$.cveMetadata.cveId', problem: /expected a string, found a number/ },
    { name: 'bad state', edit: set(['cveMetadata', 'state'], 'RESERVED'), place: '$.cveMetadata.state', problem: /PUBLISHED/ },
    { name: 'cveMetadata not an object', edit: set(['cveMetadata'], 'x'), place: '$.cveMetadata', problem: /expected an object, found a string/ },
    { name: 'no cna', edit: remove(cna), place: '$.containers.cna', problem: /required for a PUBLISHED/ },
    { name: 'no containers', edit: remove(['containers']), place: '$.containers.cna', problem: /missing/ },
    { name: 'adp not an array', edit: set(['containers', 'adp'], {}), place: '$.containers.adp', problem: /expected an array/ },
    { name: 'impossible date', edit: set(['cveMetadata', 'datePublished'], '2024-02-30T00:00:00Z'), place: '$.cveMetadata.datePublished', problem: /not a valid date-time/ },
    { name: 'date in words', edit: set(['cveMetadata', 'dateUpdated'], 'June 6, 2024'), place: '$.cveMetadata.dateUpdated', problem: /not a valid date-time/ },
    { name: 'score as string', edit: set([...cna, 'metrics', 0, 'cvssV3_1', 'baseScore'], '3.5'), place: '$.containers.cna.metrics[0].cvssV3_1.baseScore', problem: /expected a number/ },
    { name: 'score over 10', edit: set([...cna, 'metrics', 2, 'cvssV2_0', 'baseScore'], 11), place: '$.containers.cna.metrics[2].cvssV2_0.baseScore', problem: /0 to 10/ },
    { name: 'no vector', edit: remove([...cna, 'metrics', 1, 'cvssV3_0', 'vectorString']), place: '$.containers.cna.metrics[1].cvssV3_0.vectorString', problem: /missing/ },
    { name: 'bad CWE', edit: set([...cna, 'problemTypes', 0, 'descriptions', 0, 'cweId'], 'CWE79'), place: '$.containers.cna.problemTypes[0].descriptions[0].cweId', problem: /not a CWE id/ },
    { name: 'bad status', edit: set([...cna, 'affected', 0, 'versions', 0, 'status'], 'vulnerable'), place: '$.containers.cna.affected[0].versions[0].status', problem: /expected one of affected/ },
    { name: 'bad CPE', edit: set([...adp, 'affected', 0, 'cpes', 0], 'cpe:2.3:a:totara:pr*od:*:*:*:*:*:*:*:*'), place: '$.containers.adp[0].affected[0].cpes[0]', problem: /^field 5 \(product\): unquoted wildcard/ },
    { name: 'both range ends', edit: set([...adp, 'affected', 0, 'versions', 0, 'lessThan'], '19'), place: '$.containers.adp[0].affected[0].versions[0]', problem: /both lessThan and lessThanOrEqual/ },
    { name: 'bad SSVC option', edit: set([...adp, 'metrics', 0, 'other', 'content', 'options', 0, 'Exploitation'], 'maybe'), place: '$.containers.adp[0].metrics[0].other.content.options[0].Exploitation', problem: /none, poc, active/ },
    { name: 'missing SSVC option', edit: (json) => void (nodeAt(json, [...adp, 'metrics', 0, 'other', 'content', 'options']) as unknown as unknown[]).splice(2, 1), place: '$.containers.adp[0].metrics[0].other.content.options', problem: /no "Technical Impact"/ },
    { name: 'tags not strings', edit: set([...cna, 'references', 0, 'tags'], [1]), place: '$.containers.cna.references[0].tags[0]', problem: /expected a string/ },
  ];

  for (const { name, edit, place, problem } of cases) {
    it(name, () => {
      const error = inputErrorFrom(() => parse(variant(edit)));
      expect(error.source).toBe('test.json');
      expect(error.place).toBe(place);
      expect(error.problem).toMatch(problem);
    });
  }

  it('not an object', () => {
    expect(inputErrorFrom(() => parse([1, 2])).place).toBe('$');
    expect(inputErrorFrom(() => parse(null)).problem).toBe('expected an object, found null');
  });

  it('not JSON, truncated JSON and bad UTF-8', () => {
    expect(inputErrorFrom(() => parseCve5('{"dataType":', 'a.json')).problem).toMatch(/^not JSON/);
    expect(inputErrorFrom(() => parseCve5(fixtureBytes.subarray(0, 100), 'a.json')).problem).toMatch(/^not JSON/);
    expect(inputErrorFrom(() => parseCve5(Buffer.from([0x7b, 0xff, 0x7d]), 'a.json')).problem).toBe('not valid UTF-8');
    expect(inputErrorFrom(() => parseCve5('', 'a.json')).message).toMatch(/^a\.json: not JSON/);
  });
});

describe('parseCve5 properties', () => {
  /** Sets the value at a random path of the record to a random JSON value, or deletes it. */
  function mutate(json: JsonNode, choices: readonly number[], replacement: unknown, remove: boolean): JsonNode {
    let node: unknown = json;
    for (const choice of choices) {
      if (typeof node !== 'object' || node === null) break;
      const container = node as JsonNode;
      const keys = Object.keys(container);
      const key = keys[choice % Math.max(keys.length, 1)];
      if (key === undefined) break;
      const child = container[key];
      if (typeof child !== 'object' || child === null || choice % 3 === 0) {
        if (remove) deleteAt(container, [key]);
        else setAt(container, [key], replacement);
        break;
      }
      node = child;
    }
    return json;
  }

  it('mutated records parse or throw InputError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.jsonValue({ maxDepth: 2 }),
        fc.boolean(),
        (choices, replacement, remove) => {
          const text = JSON.stringify(mutate(fixtureJson(), choices, replacement, remove));
          try {
            parseCve5(text, 'mutated.json');
          } catch (error) {
            expect(error).toBeInstanceOf(InputError);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('damaged bytes parse or throw InputError', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 50 }), fc.uint8Array({ maxLength: 8 }), (at, cut, insert) => {
        const position = at % (fixtureBytes.length + 1);
        const damaged = Buffer.concat([fixtureBytes.subarray(0, position), insert, fixtureBytes.subarray(position + cut)]);
        try {
          parseCve5(damaged, 'damaged.json');
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('cve5Configurations', () => {
  const entry = (overrides: Partial<Cve5Affected>): Cve5Affected => ({
    source: 'CNA',
    cpes: ['cpe:2.3:a:example:widget:*:*:*:*:*:*:*:*'],
    defaultStatus: 'unknown',
    versions: [],
    ...overrides,
  });
  const version = (fields: { version: string; status?: 'affected' | 'unaffected'; lessThan?: string; lessThanOrEqual?: string }) => ({
    status: 'affected' as const,
    changes: [],
    ...fields,
  });
  const matchesOf = (affected: Cve5Affected[]) => cve5Configurations(affected).map((configuration) => configuration.nodes[0]?.matches);

  it('turns each affected version into a range on every CPE of its entry', () => {
    const matches = matchesOf([
      entry({
        cpes: ['cpe:2.3:a:example:widget:*:*:*:*:*:*:*:*', 'cpe:2.3:a:example:widget_pro:*:*:*:*:*:*:*:*'],
        versions: [version({ version: '1.0', lessThan: '1.4.2' }), version({ version: '0', lessThanOrEqual: '0.9.9' }), version({ version: '2.0.1' })],
      }),
    ]);
    const criteria = 'cpe:2.3:a:example:widget:*:*:*:*:*:*:*:*';
    expect(matches[0]?.filter((match) => match.criteria === criteria)).toEqual([
      { vulnerable: true, criteria, versionStartIncluding: '1.0', versionEndExcluding: '1.4.2' },
      { vulnerable: true, criteria, versionEndIncluding: '0.9.9' },
      { vulnerable: true, criteria, versionStartIncluding: '2.0.1', versionEndIncluding: '2.0.1' },
    ]);
    expect(matches[0]).toHaveLength(6);
  });

  it('skips unaffected versions, entries without CPEs, and entries with nothing affected', () => {
    expect(
      matchesOf([
        entry({ versions: [version({ version: '1.0', status: 'unaffected', lessThan: '2.0' })] }),
        entry({ cpes: [], defaultStatus: 'affected' }),
        entry({ defaultStatus: 'unknown' }),
      ]),
    ).toEqual([]);
  });

  it('reads defaultStatus affected with no versions, and a "*" version, as every version', () => {
    const criteria = 'cpe:2.3:a:example:widget:*:*:*:*:*:*:*:*';
    expect(matchesOf([entry({ defaultStatus: 'affected' }), entry({ versions: [version({ version: '*' })] })])).toEqual([
      [{ vulnerable: true, criteria }],
      [{ vulnerable: true, criteria }],
    ]);
  });
});
