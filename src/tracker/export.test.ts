import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CsafDocument, csafFileName } from '../formats/csaf.js';
import type { OsvRecord } from '../formats/osv.js';
import { parseSecdb } from '../formats/secdb.js';
import { type NamedState, ensureBranch, findStates, listTriageEvents, setBranchArchs } from '../store/index.js';
import { type TestStore, backends, openTestStore } from '../test-support/databases.js';
import { csafValidator, schemaValidator } from '../test-support/json-schema.js';
import { openVexExport, secdbExport, stateTableRows, statesTable, writeCsafExport, writeOsvExport } from './export.js';
import { importRejections } from './import-rejections.js';
import { importSecdb } from './import-secdb.js';
import { bundledRules } from './test-support/v316-sample.js';
import { recordTriage } from './triage.js';
import { updateStates } from './update.js';
import { listStateHistory } from '../store/test-support/history.js';

/** The fields of an OpenVEX statement these tests read (the document is validated against the schema elsewhere). */
interface VexStatement {
  readonly vulnerability: { readonly name: string };
  readonly products: readonly { readonly '@id': string }[];
  readonly status: string;
  readonly status_notes: string;
  readonly action_statement?: string;
}

const validOsv = schemaValidator('osv/schema.json');
const validOpenVex = schemaValidator('openvex/openvex_json_schema.json');
const validCsaf = csafValidator();

describe.each(backends)('%s exports', (backend) => {
  let store: TestStore;
  let notAffected: NamedState;
  let triagedFix: NamedState;
  const dir = mkdtempSync(join(tmpdir(), `secfix-export-${backend}-`));

  beforeEach(async () => {
    store = await openTestStore(backend, { contents: 'demo' });
    const vulnerable = (await findStates(store.db, { branch: '3.16', repo: 'main', state: 'vulnerable' })).filter((state) => state.version !== null);
    [notAffected, triagedFix] = [vulnerable[0]!, vulnerable.find((state) => state.package !== vulnerable[0]!.package)!];
    await recordTriage(
      store,
      { packages: [notAffected.package], vulnerabilities: [notAffected.vulnerabilityId], status: 'not-affected', justification: 'vulnerable-code-not-in-execute-path', note: 'only the client is built' },
      'ann@example.org',
    );
    await recordTriage(store, { packages: [triagedFix.package], vulnerabilities: [triagedFix.vulnerabilityId], status: 'fixed', version: triagedFix.version! }, 'ann@example.org');
  });
  afterEach(() => store.close());

  it('writes OSV records that validate, one per vulnerability, with ranges from the states and no fixed "0"', async () => {
    const out = join(dir, 'osv');
    const count = await writeOsvExport(store, out, { prefix: 'ALPINE-', purlNamespace: 'alpine', advisoryUrl: (id) => `https://security.example.org/vuln/${id}` });
    const index = JSON.parse(readFileSync(join(out, 'all.json'), 'utf8')) as { id: string; modified: string }[];
    expect(index).toHaveLength(count);
    expect(readdirSync(out).sort()).toEqual([...index.map((entry) => `${entry.id}.json`), 'all.json'].sort());
    expect(index.map((entry) => entry.id)).toEqual([...index.map((entry) => entry.id)].sort());
    const records = index.map((entry) => JSON.parse(readFileSync(join(out, `${entry.id}.json`), 'utf8')) as OsvRecord);
    for (const record of records) {
      expect(validOsv(record), JSON.stringify(validOsv.errors)).toBe(true);
      // A CVE's record is ALPINE-<CVE> about it; Alpine's own ALPINE-N ids are their own records.
      expect(record.id).toBe(record.upstream === undefined ? record.id : `ALPINE-${record.upstream[0]}`);
      expect(record.id.startsWith('ALPINE-ALPINE-')).toBe(false);
      for (const affected of record.affected) {
        expect(affected.package.ecosystem).toMatch(/^Alpine:(v\d+\.\d+|edge)$/);
        expect(affected.package.purl).toBe(`pkg:apk/alpine/${affected.package.name}?arch=source`);
        expect(affected.ranges[0]!.events[0]).toEqual({ introduced: '0' });
        expect(affected.ranges[0]!.events.slice(1).every((event) => event['fixed'] !== undefined && event['fixed'] !== '0')).toBe(true);
      }
    }
    const find = (state: NamedState) =>
      records.find((record) => record.upstream?.[0] === state.vulnerabilityId)?.affected.find((entry) => entry.package.name === state.package && entry.package.ecosystem === 'Alpine:v3.16');
    expect(find(notAffected)).toBeUndefined();
    const fixed = find(triagedFix)!;
    expect(fixed.ranges[0]!.events).toEqual([{ introduced: '0' }, { fixed: triagedFix.version }]);
    expect(fixed.database_specific.secfix.status).toBe('fixed');
    expect(fixed.ecosystem_specific.binaries.length).toBeGreaterThan(0);
    const fixedRecord = records.find((record) => record.upstream?.[0] === triagedFix.vulnerabilityId)!;
    expect(index.find((entry) => entry.id === fixedRecord.id)!.modified).toBe(fixedRecord.modified);

    const again = join(dir, 'osv-again');
    await writeOsvExport(store, again, { prefix: 'ALPINE-', purlNamespace: 'alpine', advisoryUrl: (id) => `https://security.example.org/vuln/${id}` });
    for (const name of readdirSync(out)) expect(readFileSync(join(again, name), 'utf8')).toBe(readFileSync(join(out, name), 'utf8'));
  });

  it('writes a secdb that imports into a fresh database with the same fixes and not-affected set', async () => {
    const text = await secdbExport(store, '3.16', 'main');
    const document = parseSecdb(text, 'export');
    expect(document.distroversion).toBe('v3.16');
    const versionsOf = (pkg: string, id: string) =>
      document.packages.find((entry) => entry.name === pkg)?.secfixes.filter((fix) => fix.ids.some((entry) => entry.id === id)).map((fix) => fix.version);
    expect(versionsOf(notAffected.package, notAffected.vulnerabilityId)).toEqual(['0']);
    expect(versionsOf(triagedFix.package, triagedFix.vulnerabilityId)).toContain(triagedFix.version);

    const fresh = await openTestStore(backend, { contents: 'schema' });
    try {
      await setBranchArchs(fresh.db, await ensureBranch(fresh.db, '3.16'), document.archs);
      const file = join(dir, 'main.json');
      writeFileSync(file, text);
      await importSecdb(fresh, { location: file });
      expect(await secdbExport(fresh, '3.16', 'main')).toBe(text);
    } finally {
      await fresh.close();
    }
  });

  it('writes one OpenVEX document that validates, with each status and justification', async () => {
    const text = await joined(openVexExport(store, { branch: '3.16' }, { author: 'secfix', idBase: 'urn:secfix:openvex:', purlNamespace: 'alpine' }));
    expect(await joined(openVexExport(store, { branch: '3.16' }, { author: 'secfix', idBase: 'urn:secfix:openvex:', purlNamespace: 'alpine' }))).toBe(text);
    const document = JSON.parse(text) as { statements: VexStatement[] };
    expect(validOpenVex(document), JSON.stringify(validOpenVex.errors)).toBe(true);
    const about = (state: NamedState) => document.statements.find((statement) => statement.vulnerability.name === state.vulnerabilityId && statement.status_notes.includes(` ${state.package}:`));
    expect(about(notAffected)).toMatchObject({ status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', impact_statement: 'only the client is built' });
    const fixed = about(triagedFix)!;
    expect(fixed.status).toBe('fixed');
    for (const product of fixed.products) expect(product['@id']).toMatch(new RegExp(`^pkg:apk/alpine/[^@]+@${triagedFix.version!.replaceAll('.', '\\.')}\\?arch=[a-z0-9_]+$`));
    const statuses = new Set(document.statements.map((statement) => statement.status));
    expect(statuses.has('under_investigation')).toBe(true);
    for (const statement of document.statements) if (statement.status === 'affected') expect(statement.action_statement).toBeTruthy();
  });

  it('says why a rejected pair is not affected from its rejection, the one untriaged pair whose evidence an export reads, and lists it under "0" in the secdb', async () => {
    const [rejected] = (await findStates(store.db, { branch: '3.16', repo: 'main', state: 'vulnerable' })).filter((state) => state.package !== notAffected.package && state.package !== triagedFix.package);
    const file = join(dir, 'rejections.yaml');
    writeFileSync(file, `${rejected!.package}:\n  # only the Windows build\n  - ${rejected!.vulnerabilityId}\n`);
    await importRejections(store, { location: file });
    await updateStates(store, { full: false, rules: await bundledRules() });
    const text = await joined(openVexExport(store, { branch: '3.16' }, { author: 'secfix', idBase: 'urn:secfix:openvex:', purlNamespace: 'alpine' }));
    const statement = (JSON.parse(text) as { statements: VexStatement[] }).statements.find(
      (candidate) => candidate.vulnerability.name === rejected!.vulnerabilityId && candidate.status_notes === `secfix 3.16/main ${rejected!.package}: not-affected`,
    );
    expect(statement).toMatchObject({ status: 'not_affected', impact_statement: 'only the Windows build' });
    // As in a database whose rejection predates the triage log: the rejection alone must still reach the secdb.
    await store.db.deleteFrom('triage_event').where('author', '=', 'security-rejections').execute();
    const secdb = parseSecdb(await secdbExport(store, '3.16', 'main'), 'export');
    const fixes = secdb.packages.find((entry) => entry.name === rejected!.package)?.secfixes;
    expect(fixes?.filter((fix) => fix.ids.some((entry) => entry.id === rejected!.vulnerabilityId)).map((fix) => fix.version)).toEqual(['0']);
  });

  it('writes CSAF VEX documents that validate, one per vulnerability, with statuses, flags, remediations and the same bytes twice', async () => {
    // An older change of the fixed pair's state, which its document must list as its first revision.
    const { repositoryId, package: origin, vulnerabilityId } = triagedFix;
    await store.db
      .insertInto('state_history')
      .values({ repository_id: repositoryId, package: origin, vulnerability_id: vulnerabilityId, old_state: null, new_state: 'vulnerable', changed_at: '2020-01-02T03:04:05.000Z', cause: 'test' })
      .execute();
    const out = join(dir, 'csaf');
    const options = { distribution: 'Alpine Linux', namespace: 'https://security.example.org', purlNamespace: 'alpine', branch: '3.16' };
    const count = await writeCsafExport(store, out, options);
    const files = readFileSync(join(out, 'index.txt'), 'utf8').split('\n').slice(0, -1);
    expect(files).toHaveLength(count);
    expect(readdirSync(out).sort()).toEqual([...files, 'changes.csv', 'index.txt'].sort());
    const documents = files.map((file) => JSON.parse(readFileSync(join(out, file), 'utf8')) as CsafDocument);
    for (const [index, document] of documents.entries()) {
      expect(validCsaf(document), JSON.stringify(validCsaf.errors)).toBe(true);
      expect(csafFileName(document.document.tracking.id)).toBe(files[index]);
      const { tracking } = document.document;
      expect(tracking.version).toBe(String(tracking.revision_history.length));
      expect(tracking.revision_history.map((revision) => revision.number)).toEqual(tracking.revision_history.map((_, number) => String(number + 1)));
      expect(tracking.initial_release_date).toBe(tracking.revision_history[0]!.date);
      expect(tracking.current_release_date).toBe(tracking.revision_history.at(-1)!.date);
      // The VEX profile: every known_not_affected product has an impact statement, every known_affected one an action.
      const [vulnerability] = document.vulnerabilities;
      for (const id of vulnerability!.product_status.known_not_affected ?? []) expect(vulnerability!.threats!.some((threat) => threat.product_ids.includes(id))).toBe(true);
      for (const id of vulnerability!.product_status.known_affected ?? []) expect(vulnerability!.remediations!.some((remediation) => remediation.product_ids.includes(id))).toBe(true);
    }
    const changes = readFileSync(join(out, 'changes.csv'), 'utf8').split('\n').slice(0, -1);
    expect(changes).toHaveLength(count);
    const dates = changes.map((line) => line.split(',')[1]!);
    expect(dates).toEqual([...dates].sort().reverse());

    const about = (state: NamedState) => documents.find((document) => document.document.tracking.id === `${state.vulnerabilityId}-3.16`)!;
    const productOf = (state: NamedState) => `3.16/main/${state.package}@${state.version!}`;
    const notAffectedVulnerability = about(notAffected).vulnerabilities[0]!;
    expect(notAffectedVulnerability.product_status.known_not_affected).toContain(productOf(notAffected));
    expect(notAffectedVulnerability.flags).toContainEqual({ label: 'vulnerable_code_not_in_execute_path', product_ids: [productOf(notAffected)] });
    expect(notAffectedVulnerability.threats).toContainEqual({ category: 'impact', details: 'only the client is built', product_ids: [productOf(notAffected)] });
    const fixedDocument = about(triagedFix);
    expect(fixedDocument.vulnerabilities[0]!.product_status.fixed).toContain(productOf(triagedFix));
    expect(fixedDocument.vulnerabilities[0]!.remediations).toContainEqual({
      category: 'vendor_fix',
      details: `Fixed in ${triagedFix.package} ${triagedFix.version!}: update to it or later.`,
      product_ids: [productOf(triagedFix)],
    });
    // The triage event is a revision of its own, the document's latest.
    const [event] = await listTriageEvents(store.db, { vulnerabilityId: triagedFix.vulnerabilityId });
    expect(fixedDocument.document.tracking.current_release_date).toBe(new Date(event!.createdAt).toISOString());
    // Each change of the pair's state (its history) is a revision too.
    const history = await listStateHistory(store.db, triagedFix);
    const revisionDates = fixedDocument.document.tracking.revision_history.map((revision) => revision.date);
    expect(revisionDates).toEqual(expect.arrayContaining(history.map((change) => new Date(change.changedAt).toISOString())));
    expect(fixedDocument.document.tracking.initial_release_date).toBe('2020-01-02T03:04:05.000Z');
    const leaf = fixedDocument.product_tree.branches[0]!.branches![0]!.branches!.find((branch) => branch.name === triagedFix.package)!.branches!;
    expect(leaf.find((branch) => branch.product?.product_id === productOf(triagedFix))).toMatchObject({
      category: 'product_version',
      name: triagedFix.version,
      product: { product_identification_helper: { purl: `pkg:apk/alpine/${triagedFix.package}@${encodeURIComponent(triagedFix.version!)}?arch=source` } },
    });
    const statuses = new Set(documents.flatMap((document) => Object.keys(document.vulnerabilities[0]!.product_status)));
    expect(statuses).toEqual(new Set(['fixed', 'known_not_affected', 'under_investigation', ...(statuses.has('known_affected') ? ['known_affected'] : [])]));

    const again = join(dir, 'csaf-again');
    await writeCsafExport(store, again, options);
    for (const name of readdirSync(out)) expect(readFileSync(join(again, name), 'utf8')).toBe(readFileSync(join(out, name), 'utf8'));
  });

  it('names the packages in the configured purl namespace in OSV, OpenVEX and CSAF, still valid', async () => {
    const osv = join(dir, 'osv-wolfi');
    await writeOsvExport(store, osv, { prefix: 'ALPINE-', purlNamespace: 'wolfi' });
    const records = readdirSync(osv).filter((name) => name !== 'all.json').map((name) => JSON.parse(readFileSync(join(osv, name), 'utf8')) as OsvRecord);
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(validOsv(record), JSON.stringify(validOsv.errors)).toBe(true);
      for (const affected of record.affected) expect(affected.package.purl).toBe(`pkg:apk/wolfi/${affected.package.name}?arch=source`);
    }
    const vex = JSON.parse(await joined(openVexExport(store, {}, { author: 'secfix', idBase: 'urn:secfix:openvex:', purlNamespace: 'wolfi' }))) as { statements: VexStatement[] };
    expect(validOpenVex(vex), JSON.stringify(validOpenVex.errors)).toBe(true);
    for (const statement of vex.statements) for (const product of statement.products) expect(product['@id']).toMatch(/^pkg:apk\/wolfi\//);
    const csaf = join(dir, 'csaf-wolfi');
    await writeCsafExport(store, csaf, { distribution: 'Wolfi', namespace: 'https://security.example.org', purlNamespace: 'wolfi', branch: '3.16' });
    const [first] = readFileSync(join(csaf, 'index.txt'), 'utf8').split('\n');
    const document = JSON.parse(readFileSync(join(csaf, first!), 'utf8')) as CsafDocument;
    expect(validCsaf(document), JSON.stringify(validCsaf.errors)).toBe(true);
    expect(JSON.stringify(document.product_tree)).toMatch(/"purl":"pkg:apk\/wolfi\//);
    expect(JSON.stringify(document.product_tree)).not.toMatch(/pkg:apk\/alpine\//);
  });

  it('writes the states table as JSON, the rows of query states, repository after repository in their order', async () => {
    for (const filter of [{}, { branch: '3.16' }, { repo: 'community' }, { branch: '3.16', repo: 'main', state: 'vulnerable' as const }]) {
      expect(JSON.parse(await joined(statesTable(store, filter, undefined, 'json')))).toEqual(JSON.parse(JSON.stringify(await stateTableRows(store, filter, undefined))));
    }
  });

  it('writes the states table as CSV, one line per pair with its triage', async () => {
    const filter = { branch: '3.16', package: notAffected.package };
    const rows = await stateTableRows(store, filter, undefined);
    const lines = (await joined(statesTable(store, filter, undefined, 'csv'))).split('\r\n');
    expect(lines[0]).toBe('branch,repo,package,version,cve,state,fixed_version,status,resolution,needs_review,triage_status,justification,note,author,triage_time');
    expect(lines).toHaveLength(rows.length + 2);
    const line = lines.find((text: string) => text.includes(`,${notAffected.vulnerabilityId},`))!;
    expect(line).toContain(',not-affected,resolved,false,not-affected,vulnerable-code-not-in-execute-path,only the client is built,ann@example.org,');
  });
});

async function joined(pieces: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const piece of pieces) text += piece;
  return text;
}
