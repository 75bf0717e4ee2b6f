import { describe, expect, it } from 'vitest';
import { childText, childrenNamed, parseXml } from '../../formats/test-support/xml-tree.js';
import { backends } from '../../test-support/databases.js';
import { createToken, revokeToken } from '../../tracker/tokens.js';
import { recordTriageBatch } from '../../tracker/triage.js';
import { TEST_BASE_URL, useWebFixture } from '../test-support/web-fixture.js';
import { listAuditEvents } from '../../store/test-support/history.js';

const ATOM = 'http://www.w3.org/2005/Atom';
const VULN = 'CVE-2023-42363';

interface AuditJson {
  readonly pageSize: number;
  readonly next: string | null;
  readonly events: readonly { id: number; at: string; actor: string; action: string; package: string | null; vulnerabilityId: string | null; details: Record<string, string> }[];
}

/*
 * The audit log's page, JSON and feed on the demo data, on both databases: triage rows and token
 * rows, newest first, the three filters, paging to the oldest row, no token secret anywhere,
 * and feed ids and links from the configured origin whatever the request's Host says.
 */
describe.each(backends)('%s audit log', (backend) => {
  const web = useWebFixture(backend);
  let secret = '';

  it('lists triage decisions and token actions newest first, filtered by vuln, package and user', async () => {
    await recordTriageBatch(web().store, [{ packages: ['busybox'], vulnerabilities: [VULN], status: 'under-investigation', note: 'looking <now>' }], 'ann@example.org');
    ({ token: secret } = await createToken(web().store, { name: 'ci', role: 'security-team', email: null }, 'cli'));
    await recordTriageBatch(web().store, [{ packages: ['openssl'], vulnerabilities: ['CVE-2019-0190'], status: 'not-affected', justification: 'component-not-present' }], 'bob@example.org');
    await revokeToken(web().store, 'ci', 'cli');
    const stored = await listAuditEvents(web().store.db);

    const all = await web().getJson<AuditJson>('/audit');
    expect(all.events.map((event) => [event.actor, event.action, event.package, event.vulnerabilityId])).toEqual([
      ['cli', 'token.revoke', null, null],
      ['bob@example.org', 'triage.record', 'openssl', 'CVE-2019-0190'],
      ['cli', 'token.create', null, null],
      ['ann@example.org', 'triage.record', 'busybox', VULN],
    ]);
    // Times are the recorded ones.
    expect(all.events.map((event) => event.at)).toEqual(stored.map((row) => row.at).reverse());
    expect(all.events[1]!.details).toEqual({ status: 'not-affected', justification: 'component-not-present' });
    expect(all.next).toBeNull();

    const actors = async (url: string) => (await web().getJson<AuditJson>(url)).events.map((event) => `${event.actor} ${event.action}`);
    expect(await actors(`/audit?vuln=${VULN}`)).toEqual(['ann@example.org triage.record']);
    expect(await actors('/audit?package=openssl')).toEqual(['bob@example.org triage.record']);
    expect(await actors('/audit?user=cli')).toEqual(['cli token.revoke', 'cli token.create']);
    expect(await actors('/audit?user=cli&package=openssl')).toEqual([]);

    const page = await web().get('/audit?package=busybox');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Audit log of busybox</h1>');
    // Notes are text: escaped, never markup.
    expect(page.body).toContain('looking &lt;now&gt;');
    expect(page.body).toContain('href="/audit.atom?package=busybox"');
  });

  it('never shows a token secret, in the page, the JSON or the feed', async () => {
    expect(secret).toMatch(/^secfix_/);
    for (const url of ['/audit', '/api/audit', '/audit.atom', '/audit?user=cli']) {
      const response = await web().get(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).not.toContain(secret);
      expect(response.body, url).not.toContain(secret.slice('secfix_'.length));
    }
  });

  it('pages back to the oldest row, a fixed page at a time', async () => {
    const { pageSize } = await web().getJson<AuditJson>('/api/audit');
    const vulnerabilities = Array.from({ length: pageSize + 5 }, (_, index) => `CVE-2020-${String(10_000 + index)}`);
    await recordTriageBatch(web().store, [{ packages: ['busybox'], vulnerabilities, status: 'affected' }], 'carol@example.org');
    const first = await web().getJson<AuditJson>('/api/audit?user=carol%40example.org');
    expect(first.events).toHaveLength(pageSize);
    expect(first.next).not.toBeNull();
    const second = await web().getJson<AuditJson>(first.next!);
    expect(second.next).toBeNull();
    const ids = [...first.events, ...second.events].map((event) => event.id);
    expect(ids).toHaveLength(vulnerabilities.length);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set([...first.events, ...second.events].map((event) => event.vulnerabilityId))).toEqual(new Set(vulnerabilities));
    expect((await web().get(first.next!.replace('/api', ''))).body).toContain('>Newest</a>');
  });

  it('serves the same rows as an Atom feed, with ids and links from the configured origin', async () => {
    const response = await web().get('/audit.atom?vuln=CVE-2019-0190', { host: 'evil.example', 'x-forwarded-host': 'evil.example' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    const feed = parseXml(response.body);
    expect(feed.namespace).toBe(ATOM);
    expect(childText(feed, 'id')).toBe(`${TEST_BASE_URL}/audit.atom?vuln=CVE-2019-0190`);
    const entries = childrenNamed(feed, 'entry');
    const [row] = await listAuditEvents(web().store.db, { vulnerabilityId: 'CVE-2019-0190' });
    expect(entries.map((entry) => childText(entry, 'id'))).toEqual([`${TEST_BASE_URL}/audit#event-${row!.id}`]);
    expect(childText(entries[0]!, 'title')).toBe('bob@example.org: triage openssl CVE-2019-0190 (not-affected)');
    expect(childText(entries[0]!, 'updated')).toBe(row!.at);
    expect(childText(feed, 'updated')).toBe(row!.at);
    expect(response.body).not.toContain('evil.example');
    for (const link of childrenNamed(entries[0]!, 'link')) expect(link.attributes['href']).toMatch(new RegExp(`^${TEST_BASE_URL}/`));
    const unfiltered = childrenNamed(parseXml((await web().get('/audit.atom')).body), 'entry');
    expect(unfiltered.length).toBeGreaterThan((await web().getJson<AuditJson>('/api/audit')).pageSize);
  });

  it('is linked as audit history from the CVE and package pages', async () => {
    expect((await web().get(`/cve/${VULN}`)).body).toContain(`href="/audit?vuln=${VULN}"`);
    expect((await web().get('/package/busybox')).body).toContain('href="/audit?package=busybox"');
  });

  it('answers 400 for a bad page start', async () => {
    expect((await web().get('/audit?before=x')).statusCode).toBe(400);
  });
});
