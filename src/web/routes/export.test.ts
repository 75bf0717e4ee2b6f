import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type CsafDocument, csafFileName } from '../../formats/csaf.js';
import { parseSecdb } from '../../formats/secdb.js';
import { parseSecurityIndex } from '../../formats/security-index.js';
import { findStates, listTriageEvents } from '../../store/index.js';
import { backends } from '../../test-support/databases.js';
import { csafValidator, schemaValidator } from '../../test-support/json-schema.js';
import { recordTriage } from '../../tracker/triage.js';
import { TEST_BASE_URL, useWebFixture } from '../test-support/web-fixture.js';
import { EXPORT_PATHS } from '../urls.js';

const validOsv = schemaValidator('osv/schema.json');
const validOpenVex = schemaValidator('openvex/openvex_json_schema.json');
const validCsaf = csafValidator();

describe.each(backends)('%s export routes', (backend) => {
  const web = useWebFixture(backend, {
    contents: 'demo',
    // One not-affected decision, so the exports have a triage to carry.
    seed: async (store) => {
      const [state] = (await findStates(store.db, { branch: '3.16', repo: 'main', state: 'vulnerable' })).filter((row) => row.version !== null);
      await recordTriage(store, { packages: [state!.package], vulnerabilities: [state!.vulnerabilityId], status: 'not-affected', justification: 'component-not-present', note: 'not built' }, 'ann@example.org');
    },
  });

  it('lists every OSV record in all.json, and serves each one valid, with the tracker page as advisory', async () => {
    const index = await web().getJson<{ id: string; modified: string }[]>(EXPORT_PATHS.osvIndex);
    expect(index.length).toBeGreaterThan(10);
    expect(index.map((entry) => entry.id)).toEqual(index.map((entry) => entry.id).sort());
    // The first records are Alpine's own ALPINE-N ids, the rest CVEs: both kinds are fetched.
    for (const { id, modified } of [...index.slice(0, 3), ...index.slice(-3)]) {
      const record = await web().getJson<{ id: string; modified: string; upstream?: string[]; references?: { url: string }[] }>(EXPORT_PATHS.osvRecord(id));
      expect(validOsv(record), JSON.stringify(validOsv.errors)).toBe(true);
      expect({ id: record.id, modified: record.modified }).toEqual({ id, modified });
      expect(record.references).toContainEqual(expect.objectContaining({ url: `${TEST_BASE_URL}/cve/${record.upstream?.[0] ?? record.id}` }));
    }
  });

  it('serves the security index of a branch and architecture with the triaged decision as not affected, 304 when unchanged, 404 and 400 for bad names', async () => {
    const url = EXPORT_PATHS.securityIndex('3.16', 'x86_64');
    const first = await web().get(url, { 'accept-encoding': 'gzip' });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-encoding']).toBe('gzip');
    const index = parseSecurityIndex(gunzipSync(first.rawPayload), url);
    expect(index).toMatchObject({ branch: '3.16', arch: 'x86_64' });
    const [event] = await listTriageEvents(web().store.db);
    expect(index.packages.get(event!.package)?.notAffected).toContain(event!.vulnerabilityId);
    expect((await web().get(url, { 'if-none-match': String(first.headers.etag) })).statusCode).toBe(304);
    expect((await web().get(EXPORT_PATHS.securityIndex('9.99', undefined))).statusCode).toBe(404);
    expect((await web().get(EXPORT_PATHS.securityIndex('3.16', 'mips'))).statusCode).toBe(404);
    expect((await web().get(`${url}&repo=main`)).statusCode).toBe(400);
  });

  it('answers 304 to a repeated request and compresses on request', async () => {
    const first = await web().get(EXPORT_PATHS.osvIndex, { 'accept-encoding': 'gzip' });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(first.rawPayload).toString())).toBeInstanceOf(Array);
    const again = await web().get(EXPORT_PATHS.osvIndex, { 'if-none-match': String(first.headers.etag) });
    expect(again.statusCode).toBe(304);
  });

  it('streams OpenVEX and the states table compressed, with the data version ETag and 304 when unchanged', async () => {
    for (const [url, encoding, decode] of [
      [EXPORT_PATHS.openVex, 'br', brotliDecompressSync],
      [EXPORT_PATHS.states, 'gzip', gunzipSync],
    ] as const) {
      const plain = await web().get(url);
      const first = await web().get(url, { 'accept-encoding': encoding });
      expect(first.statusCode, url).toBe(200);
      expect(first.headers['content-encoding'], url).toBe(encoding);
      expect(decode(first.rawPayload).toString(), url).toBe(plain.body);
      expect(first.headers.etag, url).toBe(plain.headers.etag);
      expect((await web().get(url, { 'if-none-match': String(first.headers.etag) })).statusCode, url).toBe(304);
    }
  });

  it('answers 404 for an unknown record, a file that is not .json, and an unknown branch or repository', async () => {
    for (const url of ['/export/osv/ALPINE-CVE-1999-0001.json', '/export/osv/CVE-2023-42363.json', '/export/osv/all', '/export/secdb/9.99/main.json', '/export/secdb/3.16/nothing.json']) {
      expect((await web().get(url)).statusCode, url).toBe(404);
    }
  });

  it('serves a branch repository as a secdb with the not-affected decision under "0"', async () => {
    const response = await web().get(EXPORT_PATHS.secdb('3.16', 'main'));
    expect(response.statusCode).toBe(200);
    const secdb = parseSecdb(response.body, 'export');
    expect({ distroversion: secdb.distroversion, repo: secdb.repo }).toEqual({ distroversion: 'v3.16', repo: 'main' });
    const [decided] = await listTriageEvents(web().store.db);
    const zeros = secdb.packages.flatMap((pkg) => pkg.secfixes.filter((line) => line.version === '0').flatMap((line) => line.ids.map((id) => `${pkg.name} ${id.id}`)));
    expect(zeros).toContain(`${decided!.package} ${decided!.vulnerabilityId}`);
  });

  it('serves one OpenVEX document that validates, and the states as CSV', async () => {
    const vex = await web().getJson<{ statements: { status: string; justification?: string }[] }>(EXPORT_PATHS.openVex);
    expect(validOpenVex(vex), JSON.stringify(validOpenVex.errors)).toBe(true);
    expect(vex.statements).toContainEqual(expect.objectContaining({ status: 'not_affected', justification: 'component_not_present' }));
    const csv = await web().get(EXPORT_PATHS.states);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const [header, ...rows] = csv.body.trimEnd().split('\n');
    expect(header!.split(',').slice(0, 5)).toEqual(['branch', 'repo', 'package', 'version', 'cve']);
    expect(rows.length).toBeGreaterThan(100);
  });

  it('lists the CSAF documents in index.txt and changes.csv, and serves each one valid by its file name, with an ETag', async () => {
    const index = await web().get(EXPORT_PATHS.csafIndex);
    expect(index.headers['content-type']).toBe('text/plain; charset=utf-8');
    const files = index.body.split('\n').slice(0, -1);
    expect(files.length).toBeGreaterThan(10);
    const changes = (await web().get(EXPORT_PATHS.csafChanges)).body.split('\n').slice(0, -1);
    expect(changes.map((line) => JSON.parse(`[${line}]`) as string[]).map(([file]) => file).sort()).toEqual([...files].sort());
    const [decided] = await listTriageEvents(web().store.db);
    // The first files are Alpine's own ALPINE-N ids, the rest CVEs: both kinds are found from the lower-case name.
    const wanted = [...files.slice(0, 2), ...files.slice(-2), `${decided!.vulnerabilityId.toLowerCase()}.json`];
    for (const file of wanted) {
      const response = await web().get(`/export/csaf/${file}`);
      expect(response.statusCode, file).toBe(200);
      expect(response.headers.etag).toBeTruthy();
      const document = JSON.parse(response.body) as CsafDocument;
      expect(validCsaf(document), JSON.stringify(validCsaf.errors)).toBe(true);
      expect(csafFileName(document.document.tracking.id)).toBe(file);
      expect(document.document.publisher.namespace).toBe(TEST_BASE_URL);
      expect((await web().get(`/export/csaf/${file}`, { 'if-none-match': String(response.headers.etag) })).statusCode).toBe(304);
    }
    const decision = JSON.parse((await web().get(`/export/csaf/${decided!.vulnerabilityId.toLowerCase()}.json`)).body) as CsafDocument;
    expect(decision.vulnerabilities[0]!.flags).toContainEqual(expect.objectContaining({ label: 'component_not_present' }));
    for (const url of ['/export/csaf/cve-1999-0001.json', '/export/csaf/CVE-2022-37434.json', '/export/csaf/cve-2022-37434']) expect((await web().get(url)).statusCode, url).toBe(404);
  });

  it('links the exports from the home page', async () => {
    const home = await web().get('/', { accept: 'text/html' });
    for (const href of [EXPORT_PATHS.osvIndex, EXPORT_PATHS.openVex, EXPORT_PATHS.csafIndex, EXPORT_PATHS.states, EXPORT_PATHS.secdb('3.16', 'main')]) expect(home.body).toContain(`href="${href}"`);
  });
});
