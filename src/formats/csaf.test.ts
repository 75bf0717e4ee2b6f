import { describe, expect, it } from 'vitest';
import type { ExportedPair, ExportedVulnerability } from '../base/export.js';
import { csafValidator } from '../test-support/json-schema.js';
import { csafDocument, csafFileName, formatCsafChanges, formatCsafIndex } from './csaf.js';

const validCsaf = csafValidator();
const options = { distribution: 'Alpine Linux', purlNamespace: 'alpine', namespace: 'https://security.example.org' };

const pair = (overrides: Partial<ExportedPair> & Pick<ExportedPair, 'package' | 'status' | 'ruling'>): ExportedPair => ({
  branch: '3.20',
  repo: 'main',
  version: '1.0-r0',
  binaries: [],
  justification: null,
  modified: '2024-05-01T10:00:00.000Z',
  ...overrides,
});

// One pair of each kind the exports know, as a reader of the VEX profile would expect them.
const vulnerability: ExportedVulnerability = {
  id: 'CVE-2024-1234',
  published: '2024-01-01T00:00:00.000Z',
  modified: '2024-05-03T00:00:00.000Z',
  pairs: [
    pair({ package: 'curl', ruling: 'fixed', status: { kind: 'fixed', version: '8.7.1-r0' }, version: '8.8.0-r0' }),
    pair({ package: 'git', ruling: 'fix-pending-publication', status: { kind: 'affected', action: 'Update to 2.45.1-r0 once the branch publishes it.', fixVersion: '2.45.1-r0', fixPlanned: true } }),
    pair({ package: 'lua5.1', ruling: 'fix-not-planned', status: { kind: 'affected', action: 'No fix planned: end of life upstream', fixVersion: null, fixPlanned: false } }),
    pair({ package: 'musl', ruling: 'affected', status: { kind: 'affected', action: 'Affected; no fix is published yet.', fixVersion: null, fixPlanned: true } }),
    pair({ package: 'openssl', ruling: 'not-affected', justification: 'vulnerable-code-version-not-used', status: { kind: 'not-affected', vexJustification: 'vulnerable_code_not_present', impact: 'only 3.x ships' } }),
    pair({ package: 'zlib', ruling: 'rejected', status: { kind: 'not-affected', vexJustification: null, impact: 'Rejected by the security team.' } }),
    pair({ branch: 'edge', package: 'busybox', ruling: 'vulnerable', version: null, status: { kind: 'under-investigation' } }),
  ],
};

describe('CSAF VEX documents', () => {
  it('writes every status with what the VEX profile asks of it, and validates', () => {
    const document = csafDocument(vulnerability, ['2024-05-02T00:00:00Z', '2024-05-01T10:00:00.000Z'], options);
    expect(validCsaf(document), JSON.stringify(validCsaf.errors)).toBe(true);
    const [entry] = document.vulnerabilities;
    expect(entry!.product_status).toEqual({
      fixed: ['3.20/main/curl@8.8.0-r0'],
      known_affected: ['3.20/main/git@1.0-r0', '3.20/main/lua5.1@1.0-r0', '3.20/main/musl@1.0-r0'],
      known_not_affected: ['3.20/main/openssl@1.0-r0', '3.20/main/zlib@1.0-r0'],
      under_investigation: ['edge/main/busybox@*'],
    });
    // A rejection without a justification has no flag, but its impact threat still explains it.
    expect(entry!.flags).toEqual([{ label: 'vulnerable_code_not_present', product_ids: ['3.20/main/openssl@1.0-r0'] }]);
    expect(entry!.threats).toEqual([
      { category: 'impact', details: 'only 3.x ships', product_ids: ['3.20/main/openssl@1.0-r0'] },
      { category: 'impact', details: 'Rejected by the security team.', product_ids: ['3.20/main/zlib@1.0-r0'] },
    ]);
    expect(entry!.remediations!.map((remediation) => [remediation.category, remediation.product_ids[0]])).toEqual([
      ['vendor_fix', '3.20/main/curl@8.8.0-r0'],
      ['vendor_fix', '3.20/main/git@1.0-r0'],
      ['no_fix_planned', '3.20/main/lua5.1@1.0-r0'],
      ['none_available', '3.20/main/musl@1.0-r0'],
    ]);
    expect(entry!.remediations![1]!.details).toContain('fixed in git 2.45.1-r0');
    const edge = document.product_tree.branches[0]!.branches!.find((family) => family.name === 'Alpine Linux edge')!;
    expect(edge.branches![0]!.branches![0]).toMatchObject({ category: 'product_version_range', name: 'vers:apk/*', product: { product_identification_helper: { purl: 'pkg:apk/alpine/busybox?arch=source' } } });
  });

  it('numbers one revision per distinct change time, oldest first, the latest being the version', () => {
    const { tracking } = csafDocument(vulnerability, ['2024-05-02T00:00:00Z', '2024-05-01T10:00:00.000Z', '2024-05-02T00:00:00.000Z'], options).document;
    expect(tracking.revision_history.map(({ date, number }) => [date, number])).toEqual([
      ['2024-05-01T10:00:00.000Z', '1'],
      ['2024-05-02T00:00:00.000Z', '2'],
      ['2024-05-03T00:00:00.000Z', '3'],
    ]);
    expect([tracking.initial_release_date, tracking.current_release_date, tracking.version]).toEqual(['2024-05-01T10:00:00.000Z', '2024-05-03T00:00:00.000Z', '3']);
  });

  it('names a non-CVE id by its own system, and a branch export by id and branch', () => {
    const document = csafDocument({ ...vulnerability, id: 'GHSA-abcd-efgh-ijkl' }, [], { ...options, branch: '3.20' });
    expect(validCsaf(document), JSON.stringify(validCsaf.errors)).toBe(true);
    expect(document.vulnerabilities[0]!.ids).toEqual([{ system_name: 'GHSA', text: 'GHSA-abcd-efgh-ijkl' }]);
    expect(document.document.tracking.id).toBe('GHSA-abcd-efgh-ijkl-3.20');
    expect(csafFileName(document.document.tracking.id)).toBe('ghsa-abcd-efgh-ijkl-3_20.json');
  });

  it('refuses a document that breaks the schema', () => {
    const document = csafDocument(vulnerability, [], options);
    expect(validCsaf({ ...document, document: { ...document.document, category: 'csaf_vex', tracking: { ...document.document.tracking, status: 'done' } } })).toBe(false);
  });

  it("follows CSAF's file name rule and writes index.txt and changes.csv, latest first", () => {
    expect(csafFileName('Example Company - 2019-YH3234')).toBe('example_company_-_2019-yh3234.json');
    expect(csafFileName('2022_#01-A')).toBe('2022_01-a.json');
    const entries = [
      { file: 'cve-2024-1.json', currentReleaseDate: '2024-01-01T00:00:00.000Z' },
      { file: 'cve-2024-2.json', currentReleaseDate: '2024-03-01T00:00:00.000Z' },
    ];
    expect(formatCsafIndex(entries)).toBe('cve-2024-1.json\ncve-2024-2.json\n');
    expect(formatCsafChanges(entries)).toBe('"cve-2024-2.json","2024-03-01T00:00:00.000Z"\n"cve-2024-1.json","2024-01-01T00:00:00.000Z"\n');
  });
});
