import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseRejections } from '../formats/rejections.js';
import { listTriageEvents } from '../store/index.js';
import { backends, openTestStore, useTestStore } from '../test-support/databases.js';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { importRejections } from './import-rejections.js';
import { addTriageSample } from './test-support/triage-sample.js';
import { exportRejections } from './export-rejections.js';
import { countOpenPairs, listTriageHistory, recordTriage, recordTriageBatch, triageQueue } from './triage.js';
import { listAuditEvents } from '../store/test-support/history.js';

const REJECTIONS = `# Windows only
curl:
  - CVE-2023-38546
  # justification: component-not-present
  # not built with the SMB backend
  - CVE-2023-28319
zlib:
  - CVE-2018-25032
`;

/** The day of the sample's index snapshot: the queue is read on it. */
const TODAY = '2026-01-01';

describe.each(backends)('%s triage', (backend) => {
  const store = useTestStore(backend);
  const dir = mkdtempSync(join(tmpdir(), `secfix-triage-${backend}-`));

  beforeEach(() => addTriageSample(store().db));

  it('records one event per pair in one call, with the digest of the computed state', async () => {
    const events = await recordTriage(store(), { packages: ['openssl', 'curl'], vulnerabilities: ['CVE-2019-0190', 'CVE-2023-0001'], status: 'under-investigation' }, 'ann@example.org');
    expect(events.map((event) => [event.package, event.vulnerabilityId])).toEqual([
      ['openssl', 'CVE-2019-0190'],
      ['openssl', 'CVE-2023-0001'],
      ['curl', 'CVE-2019-0190'],
      ['curl', 'CVE-2023-0001'],
    ]);
    expect(Object.keys(events[0]!.computedDigests)).toEqual(['3.16/main']);
    expect(events[1]!.computedDigests).toEqual({});
    expect(await listTriageHistory(store(), { package: 'openssl' })).toEqual(events.slice(0, 2));
  });

  it.each([
    [{ packages: ['httpd'] }, 'package: unknown package "httpd"'],
    [{ branches: ['3.99'] }, 'branch: unknown branch "3.99"'],
    [{ vulnerabilities: ['CVE 1'] }, 'vulnerability: vulnerability id "CVE 1"'],
    [{ status: 'not-affected' }, 'justification: not-affected needs a justification'],
    [{ status: 'fix-not-planned' }, 'note: fix-not-planned needs a note'],
    [{ status: 'fixed' }, 'version: fixed needs the version'],
    [{ status: 'fixed', version: '1.x-r0' }, 'version: "1.x-r0" is not a valid apk version'],
    [{ status: 'ignored' }, 'status: unknown status "ignored"'],
  ])('refuses bad input %o, writing nothing', async (fields, message) => {
    const request = { packages: ['openssl'], vulnerabilities: ['CVE-2019-0190'], status: 'affected', ...fields };
    const error = await inputErrorFromAsync(() => recordTriage(store(), request, 'ann@example.org'));
    expect(error.message).toContain(message);
    expect(await listTriageEvents(store().db)).toEqual([]);
  });

  it('records several requests in one transaction, each event with its audit row; one bad request writes nothing', async () => {
    const good = { packages: ['openssl'], vulnerabilities: ['CVE-2019-0190'], status: 'affected', branches: ['3.16'] };
    const bad = { packages: ['curl'], vulnerabilities: ['CVE-2023-0001'], status: 'fixed' };
    await inputErrorFromAsync(() => recordTriageBatch(store(), [good, bad], 'ann@example.org'));
    expect(await listTriageEvents(store().db)).toEqual([]);
    expect(await listAuditEvents(store().db)).toEqual([]);

    const events = await recordTriageBatch(store(), [good, { ...bad, status: 'under-investigation' }], 'ann@example.org');
    expect(events.map((event) => [event.package, event.status, event.branches])).toEqual([
      ['openssl', 'affected', ['3.16']],
      ['curl', 'under-investigation', null],
    ]);
    const audit = await listAuditEvents(store().db);
    expect(audit.map((row) => [row.actor, row.action, row.subject, row.detail?.['event']])).toEqual([
      ['ann@example.org', 'triage.record', 'triage:openssl:CVE-2019-0190', events[0]!.id],
      ['ann@example.org', 'triage.record', 'triage:curl:CVE-2023-0001', events[1]!.id],
    ]);
  });

  it('queues open pairs, KEV first, then severity; triage takes a pair out', async () => {
    const ids = async (filter = {}) => (await triageQueue(store(), filter, TODAY)).map((entry) => entry.vulnerabilityId);
    expect(await ids()).toEqual(['CVE-2023-0001', 'CVE-2023-38545', 'CVE-2019-0190']);
    expect(await ids({ maintainer: 'ann@example.org' })).toEqual(['CVE-2019-0190']);
    await recordTriage(store(), { packages: ['openssl'], vulnerabilities: ['CVE-2019-0190'], status: 'not-affected', justification: 'component-not-present', note: 'mod_ssl is httpd' }, 'ann@example.org');
    expect(await ids()).toEqual(['CVE-2023-0001', 'CVE-2023-38545']);
    await recordTriage(store(), { packages: ['openssl'], vulnerabilities: ['CVE-2019-0190'], status: 'withdrawn' }, 'ann@example.org');
    expect(await ids()).toContain('CVE-2019-0190');
    // Confirmed by a person where the engine computed nothing: open all the same.
    await recordTriage(store(), { packages: ['openssl'], vulnerabilities: ['CVE-2024-9999'], status: 'affected' }, 'ann@example.org');
    const queue = await triageQueue(store(), { maintainer: 'ann@example.org' }, TODAY);
    expect(queue.map((entry) => [entry.vulnerabilityId, entry.version, entry.triage.status])).toEqual([
      ['CVE-2019-0190', '1.1.1q-r0', 'vulnerable'],
      ['CVE-2024-9999', null, 'affected'],
    ]);
  });

  it('counts open pairs per branch, repository and maintainer; a branch past its end of support has none, from the day after its end', async () => {
    const open = async (today: string | undefined, filter = {}) =>
      (await countOpenPairs(store().db, filter, today)).map((row) => [row.branch, row.repo, row.maintainer, row.open]).sort((a, b) => String(a[2]).localeCompare(String(b[2])));
    expect(await open(TODAY)).toEqual([
      ['3.16', 'main', 'Ann <ann@example.org>', 1],
      ['3.16', 'main', null, 2],
    ]);
    expect(await open(TODAY, { maintainer: 'ann@example.org' })).toEqual([['3.16', 'main', 'Ann <ann@example.org>', 1]]);
    await recordTriage(store(), { packages: ['curl'], vulnerabilities: ['CVE-2023-0001'], status: 'fix-not-planned', note: 'no upstream fix' }, 'ann@example.org');
    expect(await open(TODAY)).toEqual([
      ['3.16', 'main', 'Ann <ann@example.org>', 1],
      ['3.16', 'main', null, 1],
    ]);

    await store().db.updateTable('branch').set({ end_of_support: '2026-01-31' }).where('name', '=', '3.16').execute();
    // The end day itself is still supported.
    expect(await open('2026-01-31')).toHaveLength(2);
    expect((await triageQueue(store(), {}, '2026-01-31')).map((entry) => entry.vulnerabilityId)).toEqual(['CVE-2023-38545', 'CVE-2019-0190']);
    expect(await open('2026-02-01')).toEqual([]);
    expect(await triageQueue(store(), {}, '2026-02-01')).toEqual([]);
    // Without a day (a count built once per data version), no branch is taken as ended.
    expect(await open(undefined)).toHaveLength(2);
  });

  it('turns a rejections file into not-affected events once, and withdraws an id the file drops', async () => {
    const file = join(dir, 'main.yaml');
    writeFileSync(file, REJECTIONS);
    await importRejections(store(), { location: file });
    const first = await listTriageEvents(store().db);
    expect(first.map((event) => [event.package, event.vulnerabilityId, event.status, event.justification, event.author])).toEqual([
      ['curl', 'CVE-2023-38546', 'not-affected', 'disputed', 'security-rejections'],
      ['curl', 'CVE-2023-28319', 'not-affected', 'component-not-present', 'security-rejections'],
      ['zlib', 'CVE-2018-25032', 'not-affected', 'disputed', 'security-rejections'],
    ]);
    expect(first[1]!.note).toBe('Windows only\nnot built with the SMB backend');
    // The same entries in a changed file (so no checksum skip) add nothing.
    writeFileSync(file, `${REJECTIONS}\n`);
    await importRejections(store(), { location: file });
    expect(await listTriageEvents(store().db)).toHaveLength(3);
    writeFileSync(file, REJECTIONS.replace('zlib:\n  - CVE-2018-25032\n', ''));
    await importRejections(store(), { location: file });
    const events = await listTriageEvents(store().db);
    expect(events.slice(3).map((event) => [event.package, event.vulnerabilityId, event.status])).toEqual([['zlib', 'CVE-2018-25032', 'withdrawn']]);
    expect(parseRejections(await exportRejections(store()), 'export').map((rejection) => rejection.id)).toEqual(['CVE-2023-28319', 'CVE-2023-38546']);
  });

  it('exports rejections that import into a fresh database as the same not-affected set', async () => {
    await recordTriage(store(), { packages: ['openssl'], vulnerabilities: ['CVE-2019-0190'], status: 'not-affected', justification: 'vulnerable-code-not-in-execute-path', note: 'mod_ssl is httpd\nnot openssl' }, 'ann@example.org');
    await recordTriage(store(), { packages: ['curl'], vulnerabilities: ['CVE-2023-0001'], status: 'not-affected', justification: 'disputed' }, 'ann@example.org');
    await recordTriage(store(), { packages: ['curl'], vulnerabilities: ['CVE-2023-38545'], status: 'affected' }, 'ann@example.org');
    const yaml = await exportRejections(store());
    const file = join(dir, 'exported.yaml');
    writeFileSync(file, yaml);
    const fresh = await openTestStore(backend);
    try {
      await importRejections(fresh, { location: file });
      expect(await exportRejections(fresh)).toBe(yaml);
      const events = await listTriageEvents(fresh.db);
      expect(events.map((event) => [event.package, event.status, event.justification, event.note])).toEqual([
        ['curl', 'not-affected', 'disputed', null],
        ['openssl', 'not-affected', 'vulnerable-code-not-in-execute-path', 'mod_ssl is httpd\nnot openssl'],
      ]);
    } finally {
      await fresh.dispose();
    }
    expect(await exportRejections(store(), 'community')).toBe('');
  });
});
