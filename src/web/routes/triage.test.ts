import { describe, expect, it } from 'vitest';
import { newSecret, secretHash } from '../../base/secret.js';
import type { TriageEvent } from '../../base/triage.js';
import { maintainerEmail } from '../../engine/index.js';
import { loadMappingRules } from '../../sources/config.js';
import { createSession, listMaintainersOfPackages, upsertVulnerabilities, withWriteLock, writeStates } from '../../store/index.js';
import { vulnerabilityRecord } from '../../store/test-support/records.js';
import { backends } from '../../test-support/databases.js';
import { refreshPageSummaries } from '../../tracker/summaries.js';
import { QUEUE_SUMMARY } from '../../tracker/summary-names.js';
import { createToken, revokeToken } from '../../tracker/tokens.js';
import { demoRepositoryId, useWebFixture } from '../test-support/web-fixture.js';
import { TRIAGE_MAX_PAGES, TRIAGE_PAGE_SIZE } from './triage.js';
import { listAuditEvents } from '../../store/test-support/history.js';

const ROLES = { securityTeam: { emails: ['sec@example.org'], groups: [] }, admins: { emails: [], groups: [] } };
const VULN = 'CVE-2023-42363';
const PACKAGE = 'busybox';
/** A package of the demo data busybox's maintainer does not maintain. */
const OTHER = 'openssl';

/*
 * The triage API, the CVE page's form and the queue page with its bulk form, through the real
 * server on the demo data, on both databases: who may record what, CSRF, validation, the audit
 * rows, and what the pages show afterwards.
 */
describe.each(backends)('%s triage on the web', (backend) => {
  const web = useWebFixture(backend, { contents: 'demo' }, { auth: { roles: ROLES } });

  async function session(email: string, expiresAt = '2999-01-01T00:00:00.000Z'): Promise<{ cookie: string; csrf: string }> {
    const id = newSecret();
    await createSession(web().store.db, { idHash: secretHash(id), email, groups: [], createdAt: '2026-01-01T00:00:00.000Z', expiresAt });
    const me = await web().get('/api/me', { cookie: `secfix_session=${id}` });
    return { cookie: `secfix_session=${id}`, csrf: String(me.json<{ csrfToken?: string }>().csrfToken) };
  }

  async function maintainerOf(name: string): Promise<string> {
    const texts = (await listMaintainersOfPackages(web().store.db, [name])).get(name) ?? [];
    const email = texts.map((text) => (text === null ? undefined : maintainerEmail(text))).find((found) => found !== undefined);
    if (email === undefined) throw new Error(`the demo data names no maintainer of ${name}`);
    return email;
  }

  const post = (payload: unknown, headers: Record<string, string>) =>
    web().app.inject({ method: 'POST', url: '/api/triage', payload: payload as Record<string, unknown>, headers: { 'content-type': 'application/json', ...headers } });

  it('records through a token: 201 with the events, an audit row each, the history after', async () => {
    const { token } = await createToken(web().store, { name: `sec-${backend}`, role: 'security-team', email: 'sec@example.org' }, 'test');
    const response = await post({ package: PACKAGE, vuln: VULN, status: 'not-affected', justification: 'component-not-present', note: 'not built', branches: ['3.16'] }, { authorization: `Bearer ${token}` });
    expect(response.statusCode, response.body).toBe(201);
    const events = response.json<{ events: TriageEvent[] }>().events;
    expect(events).toMatchObject([{ package: PACKAGE, vulnerabilityId: VULN, status: 'not-affected', justification: 'component-not-present', branches: ['3.16'], author: 'sec@example.org' }]);
    const audit = await listAuditEvents(web().store.db, { subject: `triage:${PACKAGE}:${VULN}` });
    expect(audit.map((row) => [row.actor, row.action, row.detail?.['event']])).toEqual([['sec@example.org', 'triage.record', events[0]!.id]]);

    const history = await web().getJson<{ events: TriageEvent[] }>(`/api/triage?package=${PACKAGE}&vuln=${VULN}`);
    expect(history.events.map((event) => event.id)).toEqual([events[0]!.id]);
    expect((await web().getJson<{ events: TriageEvent[] }>(`/api/triage?package=${OTHER}`)).events).toEqual([]);

    // Comma lists make every pair, in one request.
    const pairs = await post({ package: `${PACKAGE},${OTHER}`, vuln: [VULN], status: 'under-investigation' }, { authorization: `Bearer ${token}` });
    expect(pairs.statusCode, pairs.body).toBe(201);
    expect(pairs.json<{ events: TriageEvent[] }>().events.map((event) => event.package).sort()).toEqual([PACKAGE, OTHER].sort());
  });

  it('answers 400 naming the bad field, and records nothing', async () => {
    const { token } = await createToken(web().store, { name: `sec400-${backend}`, role: 'security-team', email: 'sec@example.org' }, 'test');
    const auth = { authorization: `Bearer ${token}` };
    const before = (await listAuditEvents(web().store.db)).length;
    const cases: [unknown, RegExp][] = [
      [{ package: PACKAGE, vuln: VULN, status: 'nope' }, /status/],
      [{ package: PACKAGE, vuln: VULN, status: 'not-affected' }, /justification/],
      [{ package: PACKAGE, vuln: VULN, status: 'fixed', version: 'not a version' }, /version/],
      [{ package: PACKAGE, vuln: VULN, status: 'fix-not-planned' }, /note/],
      [{ package: 'no-such-package', vuln: VULN, status: 'affected' }, /unknown package/],
      [{ package: PACKAGE, vuln: VULN, status: 'affected', branches: ['9.99'] }, /unknown branch/],
      [{ package: PACKAGE, vuln: 'CVE<1>', status: 'affected' }, /vulnerability id/],
      [{ package: PACKAGE, vuln: VULN, status: 'affected', colour: 'red' }, /unknown field "colour"/],
      [{ package: PACKAGE, vuln: VULN, status: 7 }, /field "status" must be a string/],
      [{ vuln: VULN, status: 'affected' }, /field "package" is required/],
    ];
    for (const [payload, message] of cases) {
      const response = await post(payload, auth);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json<{ error: { message: string } }>().error.message).toMatch(message);
    }
    expect((await listAuditEvents(web().store.db)).length).toBe(before);
  });

  it('answers 401 without credentials or with a revoked token, 403 outside the role', async () => {
    const body = { package: PACKAGE, vuln: VULN, status: 'affected' };
    expect((await post(body, {})).statusCode).toBe(401);
    const { token } = await createToken(web().store, { name: `gone-${backend}`, role: 'security-team', email: null }, 'test');
    await revokeToken(web().store, `gone-${backend}`, 'test');
    expect((await post(body, { authorization: `Bearer ${token}` })).statusCode).toBe(401);

    const owner = await maintainerOf(PACKAGE);
    const mine = await createToken(web().store, { name: `own-${backend}`, role: 'maintainer', email: owner }, 'test');
    expect((await post(body, { authorization: `Bearer ${mine.token}` })).statusCode).toBe(201);
    const theirs = await post({ package: `${PACKAGE},${OTHER}`, vuln: VULN, status: 'affected' }, { authorization: `Bearer ${mine.token}` });
    expect(theirs.statusCode).toBe(403);
    expect(theirs.json<{ error: { message: string } }>().error.message).toContain(OTHER);
  });

  it('needs the CSRF token from a session, not from a token', async () => {
    const sec = await session('sec@example.org');
    const body = { package: PACKAGE, vuln: VULN, status: 'under-investigation' };
    expect((await post(body, { cookie: sec.cookie })).statusCode).toBe(403);
    expect((await post(body, { cookie: sec.cookie, 'x-csrf-token': 'f'.repeat(64) })).statusCode).toBe(403);
    const accepted = await post(body, { cookie: sec.cookie, 'x-csrf-token': sec.csrf });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json<{ events: TriageEvent[] }>().events[0]?.author).toBe('sec@example.org');

    // An expired session signs nobody in: its token proves nothing any more.
    const expired = await session('sec@example.org', '2000-01-01T00:00:00.000Z');
    const before = (await listAuditEvents(web().store.db)).length;
    expect((await post(body, { cookie: expired.cookie, 'x-csrf-token': sec.csrf })).statusCode).toBe(403);
    expect((await listAuditEvents(web().store.db)).length).toBe(before);
  });

  it('shows the computed state beside the triage and the history on the CVE page; its form records and redirects', async () => {
    const sec = await session('sec@example.org');
    const anonymous = await web().get(`/cve/${VULN}`);
    expect(anonymous.body).toContain('id="triage-history"');
    expect(anonymous.body).not.toContain('action="/cve/CVE-2023-42363/triage"');

    const signedIn = await web().get(`/cve/${VULN}`, { cookie: sec.cookie });
    expect(signedIn.headers['cache-control']).toBe('private, no-store');
    expect(signedIn.body).toContain('action="/cve/CVE-2023-42363/triage"');
    expect(signedIn.body).toContain(`value="${sec.csrf}"`);

    const form = (fields: Record<string, string>) =>
      web().app.inject({ method: 'POST', url: `/cve/${VULN}/triage`, payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: sec.cookie } });
    expect((await form({ package: PACKAGE, status: 'affected' })).statusCode).toBe(403);
    const recorded = await form({ csrf: sec.csrf, package: PACKAGE, status: 'pending-upstream-fix', note: 'waiting for 1.37', justification: '', version: '' });
    expect(recorded.statusCode, recorded.body).toBe(303);
    expect(recorded.headers.location).toMatch(new RegExp(`^/cve/${VULN}#triage-event-\\d+$`));
    const page = await web().get(`/cve/${VULN}`);
    expect(page.body).toContain('waiting for 1.37');
    expect(page.body).toContain('triage rules: pending-upstream-fix');
    const json = await web().getJson<{ states: { package: string; triage: { status: string; computedState: string } }[] }>(`/api/cve/${VULN}`);
    expect(json.states.filter((state) => state.package === PACKAGE).map((state) => state.triage.status)).toContain('pending-upstream-fix');

    const refused = await form({ csrf: sec.csrf, package: PACKAGE, status: 'not-affected', note: 'kept <as sent>' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Not recorded');
    expect(refused.body).toContain('justification');
    // The form comes back as it was sent, escaped.
    expect(refused.body).toContain('<option value="not-affected" selected>');
    expect(refused.body).toContain('kept &lt;as sent&gt;</textarea>');
  });

  it('lists the open pairs on /triage, filters them, and triages the selected rows in one request', async () => {
    const queue = await web().getJson<{ total: number; pairs: { branch: string; package: string; vulnerabilityId: string; kev: boolean }[] }>('/triage', 'application/json');
    expect(queue.total).toBeGreaterThan(0);
    const kev = await web().getJson<{ pairs: { kev: boolean }[] }>('/triage?kev=1', 'application/json');
    expect(kev.pairs.every((pair) => pair.kev)).toBe(true);
    const branch = queue.pairs[0]!.branch;
    const onBranch = await web().getJson<{ pairs: { branch: string }[] }>(`/triage?branch=${branch}`, 'application/json');
    expect(onBranch.pairs.every((pair) => pair.branch === branch)).toBe(true);
    expect((await web().get('/triage?branch=9.99')).statusCode).toBe(400);

    const anonymous = await web().get('/triage');
    expect(anonymous.body).toContain('Sign in to triage');
    const sec = await session('sec@example.org');
    const page = await web().get('/triage', { cookie: sec.cookie });
    expect(page.body).toContain('name="pair"');

    const selected = queue.pairs.slice(0, 3);
    const fields = new URLSearchParams({ csrf: sec.csrf, status: 'analysis-not-planned', note: 'bulk', scope: 'selected', return: '/triage?kev=0' });
    for (const pair of selected) fields.append('pair', `${pair.branch} ${pair.package} ${pair.vulnerabilityId}`);
    const bulk = await web().app.inject({ method: 'POST', url: '/triage', payload: fields.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: sec.cookie } });
    expect(bulk.statusCode, bulk.body).toBe(303);
    expect(bulk.headers.location).toBe('/triage?kev=0');
    const after = await web().getJson<{ pairs: { branch: string; package: string; vulnerabilityId: string }[] }>('/triage', 'application/json');
    const key = (pair: { branch: string; package: string; vulnerabilityId: string }) => `${pair.branch} ${pair.package} ${pair.vulnerabilityId}`;
    const still = new Set(after.pairs.map(key));
    expect(selected.filter((pair) => still.has(key(pair)))).toEqual([]);
  });

  it('refuses a bulk triage of another maintainer\'s pairs with 403 naming them', async () => {
    const owner = await maintainerOf(PACKAGE);
    const ann = await session(owner);
    const fields = new URLSearchParams({ csrf: ann.csrf, status: 'affected' });
    fields.append('pair', `3.16 ${OTHER} ${VULN}`);
    const refused = await web().app.inject({ method: 'POST', url: '/triage', payload: fields.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: ann.cookie, accept: 'application/json' } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ error: { message: string } }>().error.message).toContain(OTHER);
  });

  it('shows the triage status on the branch page', async () => {
    const { token } = await createToken(web().store, { name: `branch-${backend}`, role: 'security-team', email: 'sec@example.org' }, 'test');
    const branchJson = await web().getJson<{ packages: { name: string; vulnerabilities: { id: string; status: string }[] }[] }>('/api/branch/3.16');
    const target = branchJson.packages.find((entry) => entry.vulnerabilities.length > 0)!;
    const vulnerability = target.vulnerabilities[0]!.id;
    const recorded = await post({ package: target.name, vuln: vulnerability, status: 'not-affected', justification: 'vulnerable-code-not-in-execute-path', branches: '3.16' }, { authorization: `Bearer ${token}` });
    expect(recorded.statusCode, recorded.body).toBe(201);
    const after = await web().getJson<{ packages: { name: string; vulnerabilities: { id: string; status: string; triage: { status: string } | null }[] }[] }>('/api/branch/3.16');
    const pair = after.packages.find((entry) => entry.name === target.name)?.vulnerabilities.find((entry) => entry.id === vulnerability);
    expect(pair).toMatchObject({ status: 'not-affected', triage: { status: 'not-affected' } });
    expect((await web().get('/branch/3.16')).body).toContain('triage rules: not-affected');
  });

  it('totals a filtered queue from the counts update stored as it counts it live, and never from counts of an older data version', async () => {
    const { store } = web();
    const queries = ['severity=high', 'severity=critical', 'kev=1', 'age=365', 'age=3000&severity=medium', 'branch=3.16&severity=low', 'branch=3.16&repo=main&kev=1&age=30', 'repo=community&age=1000'];
    const totals = async () => Promise.all(queries.map(async (query) => (await web().getJson<{ total: number }>(`/triage?${query}`, 'application/json')).total));
    // A data version no summary was built at: every total counted live.
    await withWriteLock(store, () => Promise.resolve());
    const live = await totals();
    expect(await refreshPageSummaries(store, await loadMappingRules())).toContain(QUEUE_SUMMARY);
    expect(await totals()).toEqual(live);
    expect(live.some((total) => total > 0)).toBe(true);

    // A new open state of a critical, known exploited and old vulnerability joins every one of these queues at once.
    const main = await demoRepositoryId(store, '3.16', 'main');
    await withWriteLock(store, async (db) => {
      await upsertVulnerabilities(db, [vulnerabilityRecord('CVE-2001-0001', { severity: 'CRITICAL', published: '2001-01-01T00:00:00.000Z', kev: { dateAdded: '2001-02-01' } })]);
      await writeStates(db, [{ repositoryId: main, package: PACKAGE, vulnerabilityId: 'CVE-2001-0001', state: 'vulnerable', version: '1.0-r0', fixedVersion: null, evidence: [] }], { cause: 'test' });
    });
    const onMain = queries.map((query) => !query.includes('repo=community'));
    expect(await totals()).toEqual(live.map((total, index) => total + Number(onMain[index])));
  });

  describe('a queue longer than its pages', () => {
    const long = useWebFixture(backend, { contents: 'demo' }, { auth: { roles: ROLES } });

    it('lists the most urgent pairs up to its last page, says so, and refuses a deeper page', async () => {
      const { store } = long();
      const main = await demoRepositoryId(store, '3.16', 'main');
      const ids = Array.from({ length: TRIAGE_MAX_PAGES * TRIAGE_PAGE_SIZE + 1 }, (_, index) => `CVE-2000-${String(10_000 + index)}`);
      await withWriteLock(store, async (db) => {
        await upsertVulnerabilities(db, ids.map((id) => vulnerabilityRecord(id, { severity: 'LOW', published: '2000-06-01T00:00:00.000Z' })));
        await writeStates(db, ids.map((id) => ({ repositoryId: main, package: PACKAGE, vulnerabilityId: id, state: 'vulnerable' as const, version: '1.0-r0', fixedVersion: null, evidence: [] })), { cause: 'test' });
      });
      type QueueJson = { total: number; listed: number; pageCount: number; next: string | null; pairs: unknown[] };
      const first = await long().getJson<QueueJson>('/triage', 'application/json');
      expect(first.total).toBeGreaterThan(ids.length);
      expect(first).toMatchObject({ listed: TRIAGE_MAX_PAGES * TRIAGE_PAGE_SIZE, pageCount: TRIAGE_MAX_PAGES });
      const last = await long().getJson<QueueJson>(`/triage?page=${TRIAGE_MAX_PAGES}`, 'application/json');
      expect(last.pairs).toHaveLength(TRIAGE_PAGE_SIZE);
      expect(last.next).toBeNull();
      const deeper = await long().get(`/triage?page=${TRIAGE_MAX_PAGES + 1}`);
      expect(deeper.statusCode).toBe(400);
      expect(deeper.body).toContain(`from 1 to ${TRIAGE_MAX_PAGES}`);
      expect((await long().get('/triage')).body).toContain(`The pages list the ${TRIAGE_MAX_PAGES * TRIAGE_PAGE_SIZE} most urgent`);
      // A filter that leaves fewer pairs lists them all, without the note.
      const narrowed = await long().getJson<QueueJson>('/triage?severity=high', 'application/json');
      expect(narrowed.listed).toBe(narrowed.total);
      expect((await long().get('/triage?severity=high')).body).not.toContain('The pages list the');
    });
  });

  describe('with the response cache on', () => {
    const cached = useWebFixture(backend, { contents: 'demo' }, { auth: { roles: ROLES }, cache: { maxEntries: 100, maxBytes: 64 * 1024 * 1024 } });

    it('serves no stale CVE or branch page after a triage event: recording moves the data version', async () => {
      const { token } = await createToken(cached().store, { name: `cache-${backend}`, role: 'security-team', email: 'sec@example.org' }, 'test');
      const cvePage = async () => (await cached().get(`/cve/${VULN}`)).body;
      const branchPage = async () => (await cached().get('/branch/3.16')).body;
      const [cveBefore, branchBefore] = [await cvePage(), await branchPage()];
      expect(cveBefore).not.toContain('cached-note');
      const version = (await cached().getJson<{ dataVersion: number }>('/healthz')).dataVersion;
      const response = await cached().app.inject({
        method: 'POST',
        url: '/api/triage',
        payload: { package: PACKAGE, vuln: VULN, status: 'affected', note: 'cached-note' },
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.statusCode, response.body).toBe(201);
      expect((await cached().getJson<{ dataVersion: number }>('/healthz')).dataVersion).toBe(version + 1);
      expect(await cvePage()).toContain('cached-note');
      // The branch page is rendered anew for the new data version, not served from the cache.
      expect(branchBefore).toContain(`Data version ${version},`);
      expect(await branchPage()).toContain(`Data version ${version + 1},`);
    });
  });
});
