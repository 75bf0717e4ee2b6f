import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { streamInput } from '../sources/file.js';
import { repoPath } from '../test-support/paths.js';
import { InputError } from '../base/input-error.js';
import { readNvd } from './nvd.js';
import { nvdCoreProjection } from './test-support/nvd-projection.js';
import type { NvdCve } from './nvd.js';

const NVD = repoPath('data', 'alpine-sample', 'nvd');
const SAMPLE_2_0 = join(NVD, 'api-2.0', 'nvdcve-2.0-sample.json');
const FEED_1_1 = join(NVD, 'feed-1.1');
const feedFile = (year: string) => join(FEED_1_1, `nvdcve-1.1-${year}.json`);
const rawFile = (id: string) => join(NVD, 'api-2.0', 'raw', id.slice(4, 8), `${id}.json`);

type JsonRecord = Record<string, unknown>;
interface Sample2 {
  vulnerabilities: { cve: JsonRecord }[];
  [key: string]: unknown;
}
interface Feed11 {
  CVE_Items: JsonRecord[];
  [key: string]: unknown;
}

function inPieces(bytes: Buffer, size = bytes.length): AsyncIterable<Buffer> {
  const pieces: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) pieces.push(bytes.subarray(start, start + size));
  return Readable.from(pieces);
}

async function readAll(chunks: AsyncIterable<Buffer>) {
  const reader = readNvd(chunks, 'test.json');
  const records: NvdCve[] = [];
  for await (const record of reader) records.push(record);
  return { records, header: reader.header };
}

async function readError(document: unknown): Promise<InputError> {
  const bytes = Buffer.from(typeof document === 'string' ? document : JSON.stringify(document));
  const error = await readAll(inPieces(bytes)).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

const sampleText = readFileSync(SAMPLE_2_0, 'utf8');
const freshSample = () => JSON.parse(sampleText) as Sample2;
const freshFeed = (year: string) => JSON.parse(readFileSync(feedFile(year), 'utf8')) as Feed11;
/** Byte offset of `needle` in `text` encoded as UTF-8. */
const offsetOf = (text: string, needle: string) => Buffer.from(text).indexOf(needle);

const byId = async (path: string) => new Map((await readAll(streamInput(path))).records.map((record) => [record.id, record]));

describe('readNvd on the real sample data', () => {
  it('reads all 259 records of the 1.1 feeds, each file as many as its CVE_data_numberOfCVEs', async () => {
    let total = 0;
    for (const name of readdirSync(FEED_1_1)) {
      const { records, header } = await readAll(streamInput(join(FEED_1_1, name)));
      const declared = Number((JSON.parse(readFileSync(join(FEED_1_1, name), 'utf8')) as Feed11).CVE_data_numberOfCVEs);
      expect(records).toHaveLength(declared);
      expect(header).toEqual({ format: 'feed-1.1', version: '4.0', totalResults: declared });
      total += records.length;
    }
    expect(total).toBe(259); // data/alpine-sample/README.md
  });

  it('reads the 6 records of the 2.0 sample, and each raw file gives the same record', async () => {
    const { records, header } = await readAll(streamInput(SAMPLE_2_0));
    expect(header).toEqual({ format: 'api-2.0', version: '2.0', totalResults: 6 });
    expect(records.map((record) => record.id)).toEqual(['CVE-2021-42374', 'CVE-2022-0561', 'CVE-2023-0466', 'CVE-2023-28484', 'CVE-2023-38545', 'CVE-2023-42363']);
    for (const record of records) {
      const raw = await readAll(streamInput(rawFile(record.id)));
      expect(raw.header).toEqual({ format: 'cve-2.0' });
      expect(raw.records).toEqual([record]);
    }
  });

  it('maps 2.0 fields: CVE-2023-28484 (raw/2023/CVE-2023-28484.json)', async () => {
    const cve = (await byId(SAMPLE_2_0)).get('CVE-2023-28484')!;
    expect(cve.status).toBe('Modified');
    expect(cve.published).toBe('2023-04-24T21:15:09.180Z');
    expect(cve.lastModified).toBe('2023-06-01T14:15:11.220Z');
    expect(cve.cvss).toEqual([
      { version: '3.1', source: 'nvd@nist.gov', type: 'Primary', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', baseScore: 6.5, baseSeverity: 'MEDIUM' },
    ]);
    expect(cve.cwes).toEqual(['CWE-476']);
    expect(cve.references[3]).toEqual({ url: 'https://security.netapp.com/advisory/ntap-20230601-0006/', source: 'cve@mitre.org', tags: [] });
    expect(cve.configurations[1]).toEqual({
      operator: 'OR',
      negate: false,
      nodes: [{ operator: 'OR', negate: false, matches: [
        { vulnerable: true, criteria: 'cpe:2.3:o:debian:debian_linux:10.0:*:*:*:*:*:*:*', matchCriteriaId: '07B237A9-69A3-4A9C-9DA0-4E06BD37AE73' },
      ] }],
    });
    expect(cve.kev).toBeUndefined();
  });

  it('keeps secondary CVSS, v2 severity, AND configurations and deduplicated CWEs (CVE-2022-0561, CVE-2021-42374)', async () => {
    const records = await byId(SAMPLE_2_0);
    expect(records.get('CVE-2022-0561')!.cvss).toEqual([
      { version: '3.1', source: 'nvd@nist.gov', type: 'Primary', vector: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', baseScore: 5.5, baseSeverity: 'MEDIUM' },
      { version: '3.1', source: 'cve@gitlab.com', type: 'Secondary', vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H', baseScore: 5.5, baseSeverity: 'MEDIUM' },
      { version: '2.0', source: 'nvd@nist.gov', type: 'Primary', vector: 'AV:N/AC:M/Au:N/C:N/I:N/A:P', baseScore: 4.3, baseSeverity: 'MEDIUM' },
    ]);
    const busybox = records.get('CVE-2021-42374')!;
    // weaknesses: nvd@nist.gov Primary CWE-125 and reefs@jfrog.com Secondary CWE-125
    expect(busybox.cwes).toEqual(['CWE-125']);
    expect(busybox.descriptions.map((description) => description.lang)).toEqual(['en', 'es']);
    expect(busybox.configurations).toHaveLength(10);
    expect(busybox.configurations[3]).toEqual({
      operator: 'AND',
      negate: false,
      nodes: [
        { operator: 'OR', negate: false, matches: [{ vulnerable: true, criteria: 'cpe:2.3:o:netapp:h300s_firmware:-:*:*:*:*:*:*:*', matchCriteriaId: '6770B6C3-732E-4E22-BF1C-2D2FD610061C' }] },
        { operator: 'OR', negate: false, matches: [{ vulnerable: false, criteria: 'cpe:2.3:h:netapp:h300s:-:*:*:*:*:*:*:*', matchCriteriaId: '9F9C8C20-42EB-4AB5-BD97-212DEB070C43' }] },
      ],
    });
  });

  it('maps 1.1 fields: CVE-2000-0546 (nvdcve-1.1-2000.json)', async () => {
    const cve = (await byId(feedFile('2000'))).get('CVE-2000-0546')!;
    expect(cve.status).toBeUndefined();
    expect(cve.published).toBe('2000-06-09T04:00:00.000Z'); // publishedDate 2000-06-09T04:00Z
    expect(cve.lastModified).toBe('2021-02-02T17:55:00.000Z');
    expect(cve.cvss).toEqual([{ version: '2.0', source: 'nvd@nist.gov', type: 'Primary', vector: 'AV:N/AC:L/Au:N/C:N/I:N/A:P', baseScore: 5, baseSeverity: 'MEDIUM' }]);
    expect(cve.cwes).toEqual(['CWE-120']);
    expect(cve.references).toHaveLength(5);
    expect(cve.references[0]).toEqual({ url: 'http://www.cert.org/advisories/CA-2000-11.html', tags: ['Third Party Advisory', 'US Government Resource'] });
    expect(cve.configurations).toHaveLength(1);
    expect(cve.configurations[0]!.nodes[0]!.matches).toHaveLength(8);
    expect(cve.configurations[0]!.nodes[0]!.matches[0]).toEqual({ vulnerable: true, criteria: 'cpe:2.3:a:mit:kerberos_5:1.1:*:*:*:*:*:*:*' });
  });

  it('turns a 1.1 AND node with children into an AND configuration (CVE-2019-9513), and reads CVSS 3.0 (CVE-2019-0190)', async () => {
    const records = await byId(feedFile('2019'));
    const swiftnio = records.get('CVE-2019-9513')!.configurations.find((config) => config.operator === 'AND');
    expect(swiftnio).toEqual({
      operator: 'AND',
      negate: false,
      nodes: [
        { operator: 'OR', negate: false, matches: [{ vulnerable: true, criteria: 'cpe:2.3:a:apple:swiftnio:*:*:*:*:*:*:*:*', versionStartIncluding: '1.0.0', versionEndIncluding: '1.4.0' }] },
        { operator: 'OR', negate: false, matches: [
          { vulnerable: false, criteria: 'cpe:2.3:o:apple:mac_os_x:*:*:*:*:*:*:*:*', versionStartIncluding: '10.12' },
          { vulnerable: false, criteria: 'cpe:2.3:o:canonical:ubuntu_linux:*:*:*:*:*:*:*:*', versionStartIncluding: '14.04' },
        ] },
      ],
    });
    expect(records.get('CVE-2019-0190')!.cvss.map((score) => [score.version, score.baseScore, score.baseSeverity])).toEqual([['3.0', 7.5, 'HIGH'], ['2.0', 5, 'MEDIUM']]);
  });

  it('reads a 1.1 feed the same in small pieces and whole', async () => {
    const bytes = readFileSync(feedFile('2021'));
    const whole = await readAll(inPieces(bytes));
    expect(whole.records.length).toBeGreaterThan(0);
    expect(await readAll(inPieces(bytes, 4096))).toEqual(whole);
    expect(await readAll(inPieces(bytes, 7))).toEqual(whole);
  });
});

describe('the same CVE in 1.1 and 2.0', () => {
  it('CVE-2023-28484: the core projections are equal; the full records differ only where 2.0 says more', async () => {
    const old = (await byId(feedFile('2023'))).get('CVE-2023-28484')!;
    const api = (await byId(rawFile('CVE-2023-28484'))).get('CVE-2023-28484')!;
    expect(nvdCoreProjection(old)).toEqual(nvdCoreProjection(api));
    // What only 2.0 carries, seen in the two files:
    expect([old.status, api.status]).toEqual([undefined, 'Modified']);
    expect([old.published, api.published]).toEqual(['2023-04-24T21:15:00.000Z', '2023-04-24T21:15:09.180Z']);
    expect(old.references.map((reference) => reference.source)).toEqual([undefined, undefined, undefined, undefined]);
    expect(api.references.map((reference) => reference.source)).toEqual(Array(4).fill('cve@mitre.org'));
    expect(old.configurations[0]!.nodes[0]!.matches[0]!.matchCriteriaId).toBeUndefined();
    expect(api.configurations[0]!.nodes[0]!.matches[0]!.matchCriteriaId).toBe('2C473D3A-61FB-43E4-B342-9B1CC622F18F');
  });

  it('CVE-2023-0466: equal except what NVD changed between the two snapshots', async () => {
    const old = nvdCoreProjection((await byId(feedFile('2023'))).get('CVE-2023-0466')!);
    const api = nvdCoreProjection((await byId(rawFile('CVE-2023-0466'))).get('CVE-2023-0466')!);
    // The 1.1 copy is NVD's 2023-06-08 state, the 2.0 one its 2023-09-28 state, which added an oss-security link.
    expect([old.lastModified, api.lastModified]).toEqual(['2023-06-08T19:15Z', '2023-09-28T18:15Z']);
    const added = 'http://www.openwall.com/lists/oss-security/2023/09/28/4';
    expect(api.references.filter((reference) => !old.references.some((kept) => kept.url === reference.url))).toEqual([{ url: added, tags: [] }]);
    expect({ ...old, lastModified: '' }).toEqual({ ...api, lastModified: '', references: api.references.filter((reference) => reference.url !== added) });
  });
});

describe('readNvd input handling', () => {
  const temp = mkdtempSync(join(tmpdir(), 'secfix-nvd-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('reads gzip input through streamInput and reports truncated gzip', async () => {
    const gz = join(temp, 'sample.json.gz');
    const compressed = gzipSync(readFileSync(SAMPLE_2_0));
    writeFileSync(gz, compressed);
    expect((await readAll(streamInput(gz))).records).toEqual((await readAll(streamInput(SAMPLE_2_0))).records);
    const cut = join(temp, 'cut.json.gz');
    writeFileSync(cut, compressed.subarray(0, compressed.length >> 1));
    const error = await readAll(streamInput(cut)).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InputError);
  });

  it('gives identical records for 1-byte, 7-byte and random chunks', async () => {
    const bytes = Buffer.from(sampleText);
    const expected = await readAll(inPieces(bytes));
    expect(await readAll(inPieces(bytes, 1))).toEqual(expected);
    expect(await readAll(inPieces(bytes, 7))).toEqual(expected);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 9000 }), async (size) => {
        expect(await readAll(inPieces(bytes, size))).toEqual(expected);
      }),
      { numRuns: 30 },
    );
  });

  it('keeps rejected records with their status, and reads CISA KEV fields', async () => {
    const document = freshSample();
    document.vulnerabilities[3]!.cve.vulnStatus = 'Rejected';
    // KEV fields as formats.md 5.1 shows them; the values are made up for this test.
    Object.assign(document.vulnerabilities[4]!.cve, { cisaExploitAdd: '2024-01-01', cisaActionDue: '2024-01-22', cisaRequiredAction: 'Apply updates.', cisaVulnerabilityName: 'curl overflow' });
    const { records } = await readAll(inPieces(Buffer.from(JSON.stringify(document))));
    expect(records).toHaveLength(6);
    expect(records[3]!.status).toBe('Rejected');
    expect(records[4]!.kev).toEqual({ dateAdded: '2024-01-01', dueDate: '2024-01-22', requiredAction: 'Apply updates.', name: 'curl overflow' });
  });

  it('derives a missing CVSS v2 severity from the score as NVD does', async () => {
    const document = freshSample();
    const v2 = ((document.vulnerabilities[1]!.cve.metrics as JsonRecord).cvssMetricV2 as JsonRecord[])[0]!;
    expect(v2.baseSeverity).toBe('MEDIUM'); // CVE-2022-0561, score 4.3
    delete v2.baseSeverity;
    const { records } = await readAll(inPieces(Buffer.from(JSON.stringify(document))));
    expect(records[1]!.cvss.find((score) => score.version === '2.0')?.baseSeverity).toBe('MEDIUM');
  });

  it('reads a 20 MB description and 10 MB of backslashes in 1 KiB chunks, with no work per chunk that grows with the value', async () => {
    // No clock: a reader that rescanned or re-copied a value's earlier chunks at each new one would
    // make about 10^11 byte steps here and never end within the test's timeout, where the linear
    // read takes well under a second. `npm run bench -- hostile` measures the time itself.
    for (const value of ['a'.repeat(20_000_000), '\\'.repeat(5_000_000)]) {
      const document = freshSample();
      document.vulnerabilities = [document.vulnerabilities[3]!];
      (document.vulnerabilities[0]!.cve.descriptions as JsonRecord[])[0]!.value = value;
      const { records } = await readAll(inPieces(Buffer.from(JSON.stringify(document)), 1024));
      expect(records[0]!.descriptions[0]!.value).toBe(value);
    }
  });

  it('names the record byte and field path of a missing or invalid field', async () => {
    const cases: [string, (cve: JsonRecord) => void, RegExp][] = [
      ['published', (cve) => delete cve.published, /missing/],
      ['published', (cve) => (cve.published = '2023-02-29T10:00:00.000'), /not a valid date-time/],
      ['lastModified', (cve) => (cve.lastModified = 20230601), /expected a string, found a number/],
      ['id', (cve) => (cve.id = 'CVE-23-1'), /not a CVE id/],
      ['id', (cve) => (cve.id = `CVE-2023-${'1'.repeat(20)}`), /not a CVE id/],
      ['descriptions', (cve) => (cve.descriptions = []), /at least one/],
      ['descriptions', (cve) => (cve.descriptions = 'none'), /expected an array/],
      ['metrics.cvssMetricV31[0].cvssData.baseScore', (cve) => (((cve.metrics as JsonRecord).cvssMetricV31 as JsonRecord[])[0]!.cvssData as JsonRecord).baseScore = 11, /outside 0–10/],
      ['configurations[0].nodes[0].operator', (cve) => (((cve.configurations as JsonRecord[])[0]!.nodes as JsonRecord[])[0]!.operator = 'XOR'), /one of AND, OR/],
      ['cisaExploitAdd', (cve) => (cve.cisaExploitAdd = '2024-13-01'), /YYYY-MM-DD/],
    ];
    // Edits inside the second record leave its start where it is in the unedited text.
    const secondRecord = offsetOf(JSON.stringify(freshSample()), '{"cve":{"id":"CVE-2022-0561"');
    for (const [field, change, problem] of cases) {
      const document = freshSample();
      change(document.vulnerabilities[1]!.cve);
      const text = JSON.stringify(document);
      const error = await readError(text);
      expect(error.place).toBe(`byte ${secondRecord} ($.vulnerabilities[1].cve.${field})`);
      expect(error.problem).toMatch(problem);
    }
  });

  it('rejects wrong shapes: element not an object, no cve, wrong format, array at top, no records array', async () => {
    expect((await readError('{"vulnerabilities":[{"cve":{}} ,5]}')).place).toBe('byte 20 ($.vulnerabilities[0].cve.id)');
    expect((await readError('{"vulnerabilities":[5]}')).place).toBe('byte 20 ($.vulnerabilities[0])');
    expect((await readError('{"vulnerabilities":[{"CVE":{}}]}')).place).toBe('byte 20 ($.vulnerabilities[0].cve)');
    expect((await readError('{"format":"OSV","vulnerabilities":[]}')).place).toBe('$.format');
    expect((await readError('[]')).problem).toMatch(/array/);
    expect((await readError('{"resultsPerPage":0}')).problem).toMatch(/not an NVD document/);
    expect((await readError('{"vulnerabilities":{}}')).problem).toMatch(/not an array/);
  });

  it('checks 1.1 fields and refuses configurations nested three levels deep', async () => {
    const missing = freshFeed('2000');
    delete missing.CVE_Items[0]!.publishedDate;
    expect((await readError(missing)).place).toMatch(/^byte \d+ \(\$\.CVE_Items\[0\]\.publishedDate\)$/);
    const nested = freshFeed('2019');
    const item = nested.CVE_Items.findIndex((entry) => (entry.cve as { CVE_data_meta: { ID: string } }).CVE_data_meta.ID === 'CVE-2019-9513');
    const nodes = (nested.CVE_Items[item]!.configurations as { nodes: JsonRecord[] }).nodes;
    const andNode = nodes.findIndex((node) => node.operator === 'AND');
    const firstChild = (nodes[andNode]!.children as JsonRecord[])[0]!;
    firstChild.children = [{ operator: 'OR', cpe_match: [] }];
    expect((await readError(nested)).place).toMatch(new RegExp(`\\(\\$\\.CVE_Items\\[${item}\\]\\.configurations\\.nodes\\[${andNode}\\]\\.children\\[0\\]\\.children\\)$`));
  });

  it('keeps a 1.1 AND node\'s own matches as one more node under the same operator', async () => {
    const feed = freshFeed('2019');
    const item = feed.CVE_Items.find((entry) => (entry.cve as { CVE_data_meta: { ID: string } }).CVE_data_meta.ID === 'CVE-2019-9513')!;
    const andNode = (item.configurations as { nodes: JsonRecord[] }).nodes.find((node) => node.operator === 'AND')!;
    andNode.cpe_match = [{ vulnerable: false, cpe23Uri: 'cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*' }];
    const { records } = await readAll(inPieces(Buffer.from(JSON.stringify(feed))));
    const config = records.find((record) => record.id === 'CVE-2019-9513')!.configurations.find((entry) => entry.operator === 'AND')!;
    expect(config.nodes).toHaveLength(3);
    expect(config.nodes[2]).toEqual({ operator: 'AND', negate: false, matches: [{ vulnerable: false, criteria: 'cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*' }] });
  });

  it('survives byte flips, truncation and splices of the real sample: records or InputError', async () => {
    const bytes = Buffer.from(sampleText);
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), from: fc.nat(), length: fc.nat({ max: 3000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 5000 }), async (mutations, chunkSize) => {
        let mutated = Buffer.from(bytes);
        for (const change of mutations) {
          const at = change.at % mutated.length;
          if (change.kind === 'flip') mutated[at] = change.value;
          else if (change.kind === 'truncate') mutated = mutated.subarray(0, at);
          else {
            const from = change.from % mutated.length;
            mutated = Buffer.concat([mutated.subarray(0, at), mutated.subarray(from, from + change.length), mutated.subarray(at)]);
          }
          if (mutated.length === 0) break;
        }
        const outcome = await readAll(inPieces(mutated, chunkSize)).then(
          () => 'read',
          (error: unknown) => error,
        );
        if (outcome !== 'read') expect(outcome).toBeInstanceOf(InputError);
      }),
      { numRuns: 150 },
    );
  });
});

describe('readNvd on one document', () => {
  it('names the byte of malformed JSON', async () => {
    const broken = sampleText.replace('"totalResults": 6', '"totalResults": 6,,');
    const at = Buffer.from(broken).indexOf(',,') + 1;
    const error = await readError(broken);
    expect(error.place).toBe(`byte ${at} ($)`);
    expect(error.problem).toBe("expected a member name, found ','");
  });

  it('reads the API page header, normalizing its timestamp (formats.md 5.1 example)', async () => {
    const page = { resultsPerPage: 0, startIndex: 0, totalResults: 1, format: 'NVD_CVE', version: '2.0', timestamp: '2023-01-10T08:23:24.183', vulnerabilities: [] };
    expect((await readAll(inPieces(Buffer.from(JSON.stringify(page))))).header).toEqual({ format: 'api-2.0', version: '2.0', timestamp: '2023-01-10T08:23:24.183Z', totalResults: 1 });
  });
});
