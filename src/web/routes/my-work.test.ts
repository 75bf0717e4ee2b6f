import { describe, expect, it } from 'vitest';
import { newSecret, secretHash } from '../../base/secret.js';
import { createSession } from '../../store/index.js';
import { backends } from '../../test-support/databases.js';
import { createToken } from '../../tracker/tokens.js';
import { recordTriageBatch } from '../../tracker/triage.js';
import { useWebFixture } from '../test-support/web-fixture.js';
import { maintainerKey } from '../urls.js';

const ROLES = { securityTeam: { emails: ['sec@example.org'], groups: [] }, admins: { emails: [], groups: [] } };

/*
 * "My work" through the real server on the demo data, on both databases: anonymous readers are
 * asked to sign in, a maintainer (session) sees the open pairs of their packages grouped by
 * package, most first, and a triage decision takes a pair off it (and off the maintainer page's
 * open count); the security team (token) sees the top of the whole queue.
 */
describe.each(backends)('%s my work', (backend) => {
  // The issuer is never asked: nobody signs in through it here.
  const web = useWebFixture(backend, { contents: 'demo' }, { auth: { roles: ROLES, oidc: { issuer: 'http://127.0.0.1:9', clientId: 'secfix' } } });

  async function sessionCookie(email: string): Promise<string> {
    const id = newSecret();
    await createSession(web().store.db, { idHash: secretHash(id), email, groups: [], createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2999-01-01T00:00:00.000Z' });
    return `secfix_session=${id}`;
  }

  /** The maintainer with the most vulnerable pairs, with each of their packages' vulnerable pairs (`branch vuln`), from the store. */
  async function busiestMaintainer(): Promise<{ email: string; vulnerable: Map<string, string[]> }> {
    const rows = await web()
      .store.db.selectFrom('state as s')
      .innerJoin('source_package as sp', (join) => join.onRef('sp.repository_id', '=', 's.repository_id').onRef('sp.name', '=', 's.package'))
      .innerJoin('repository as r', 'r.id', 's.repository_id')
      .innerJoin('branch as b', 'b.id', 'r.branch_id')
      .select(['sp.maintainer', 's.package', 's.vulnerability_id', 'b.name as branch'])
      .where('s.state', '=', 'vulnerable')
      .where('sp.maintainer', 'like', '%<%@%>%')
      .execute();
    const byPerson = new Map<string, Map<string, string[]>>();
    for (const row of rows) {
      const person = byPerson.get(maintainerKey(row.maintainer!)) ?? new Map<string, string[]>();
      person.set(row.package, [...(person.get(row.package) ?? []), `${row.branch} ${row.vulnerability_id}`]);
      byPerson.set(maintainerKey(row.maintainer!), person);
    }
    const total = (packages: Map<string, string[]>) => [...packages.values()].reduce((sum, pairs) => sum + pairs.length, 0);
    const [email, vulnerable] = [...byPerson].sort((a, b) => total(b[1]) - total(a[1]))[0]!;
    return { email: email.toLowerCase(), vulnerable };
  }

  /** The package headings of the page and their open counts, in page order. */
  const headings = (body: string) => [...body.matchAll(/<h3><a href="\/package\/[^"]+">([^<]+)<\/a> <span class="muted">(\d+) open<\/span><\/h3>/g)].map((match) => [match[1]!, Number(match[2])] as const);

  it('asks an anonymous reader to sign in, and comes back to /me after', async () => {
    const response = await web().get('/me');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('private, no-store');
    expect(response.body).toContain('<a href="/login?return=%2Fme">Sign in</a> to see the open vulnerabilities');
  });

  it('shows a maintainer the open pairs of their packages by package, most first, then the rest; a triage takes a pair off', async () => {
    const { email, vulnerable } = await busiestMaintainer();
    const cookie = await sessionCookie(email);
    const response = await web().get('/me', { cookie });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`Signed in as ${email}</a> (maintainer) · <a href="/me">My work</a>`);
    // No triage in the demo data: the open pairs are the vulnerable ones.
    const expected = [...vulnerable].map(([name, pairs]) => [name, pairs.length] as const).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    expect(headings(response.body)).toEqual(expected);
    expect(response.body).toContain('<h2>The rest of your packages</h2>');

    const [top] = expected[0]!;
    const [pair] = vulnerable.get(top)!;
    const vulnerability = pair!.split(' ')[1]!;
    const branches = vulnerable.get(top)!.filter((entry) => entry.endsWith(` ${vulnerability}`)).length;
    await recordTriageBatch(web().store, [{ packages: [top], vulnerabilities: [vulnerability], status: 'not-affected', justification: 'vulnerable-code-not-present' }], email);
    const after = headings((await web().get('/me', { cookie })).body);
    expect(after.find(([name]) => name === top)?.[1] ?? 0).toBe(expected[0]![1] - branches);

    // The maintainer page counts the same open work: the pair stays vulnerable but is no longer open.
    const page = await web().getJson<{ packages: { name: string; open: number; vulnerable: { id: string }[] }[] }>(`/maintainer/${encodeURIComponent(email)}`);
    const entries = page.packages.filter((entry) => entry.name === top && entry.vulnerable.some((listed) => listed.id === vulnerability));
    expect(entries.length).toBe(branches);
    for (const entry of entries) expect(entry.open).toBe(entry.vulnerable.length - 1);
    expect(page.packages.map((entry) => entry.open)).toEqual([...page.packages.map((entry) => entry.open)].sort((a, b) => b - a));
  });

  it('shows the security team the top of the whole queue, through a token too', async () => {
    const { token } = await createToken(web().store, { name: `sec-${backend}`, role: 'security-team', email: 'sec@example.org' }, 'test');
    const response = await web().get('/me', { authorization: `Bearer ${token}` });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('most urgent open pairs of the <a href="/triage">triage queue</a>');
    expect(headings(response.body).length).toBeGreaterThan(0);
  });
});
