import { describe, expect, it } from 'vitest';
import { newSecret, secretHash } from '../../base/secret.js';
import { createSession, withWriteLock } from '../../store/index.js';
import type { TestStore } from '../../test-support/databases.js';
import { backends } from '../../test-support/databases.js';
import { createToken } from '../../tracker/tokens.js';
import { recordTriageBatch } from '../../tracker/triage.js';
import { useWebFixture } from '../test-support/web-fixture.js';
import { maintainerKey } from '../urls.js';
import { MY_WORK_PACKAGES, MY_WORK_PAIRS } from './my-work.js';

const ROLES = { securityTeam: { emails: ['sec@example.org'], groups: [] }, admins: { emails: [], groups: [] } };

/*
 * "My work" through the real server on the demo data, on both databases: anonymous readers are
 * asked to sign in, a maintainer (session) sees the open pairs of their packages grouped by
 * package, most first, and a triage decision takes a pair off it (and off the maintainer page's
 * open count); the security team (token) sees the top of the whole queue.
 */
/** The package headings of the page and their open counts, in page order. */
const headings = (body: string) => [...body.matchAll(/<h3><a href="\/package\/[^"]+">([^<]+)<\/a> <span class="muted">(\d+) open<\/span><\/h3>/g)].map((match) => [match[1]!, Number(match[2])] as const);

async function sessionCookieIn(store: TestStore, email: string): Promise<string> {
  const id = newSecret();
  await createSession(store.db, { idHash: secretHash(id), email, groups: [], createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2999-01-01T00:00:00.000Z' });
  return `secfix_session=${id}`;
}

describe.each(backends)('%s my work', (backend) => {
  // The issuer is never asked: nobody signs in through it here.
  const web = useWebFixture(backend, { contents: 'demo' }, { auth: { roles: ROLES, oidc: { issuer: 'http://127.0.0.1:9', clientId: 'secfix' } } });

  const sessionCookie = (email: string) => sessionCookieIn(web().store, email);

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


  it('asks an anonymous reader to sign in, and comes back to /me after', async () => {
    const response = await web().get('/me');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('private, no-store');
    expect(response.body).toContain('<a href="/login?return=%2Fme">Sign in</a> to see the open vulnerabilities');
  });

  it('shows a maintainer the open pairs of their packages by package, most first; a triage takes a pair off', async () => {
    const { email, vulnerable } = await busiestMaintainer();
    const cookie = await sessionCookie(email);
    const response = await web().get('/me', { cookie });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`Signed in as ${email}</a> (maintainer) · <a href="/me">My work</a>`);
    // No triage in the demo data: the open pairs are the vulnerable ones.
    const expected = [...vulnerable].map(([name, pairs]) => [name, pairs.length] as const).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    expect(headings(response.body)).toEqual(expected.slice(0, MY_WORK_PACKAGES));

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

const BUSY = 'busy@example.org';

/** Every package of the demo data maintained by one person, as an index import would say it (the data version moves on). */
async function seedBusyMaintainer(store: TestStore): Promise<void> {
  await withWriteLock(store, (db) => db.updateTable('source_package').set({ maintainer: `Busy Person <${BUSY}>` }).execute());
}

/*
 * A maintainer of every package: "my work" pages through the packages with open pairs, most
 * first, and shows each package's most urgent pairs with a link to the rest.
 */
describe.each(backends)('%s my work of a maintainer of many packages', (backend) => {
  const web = useWebFixture(backend, { contents: 'demo', seed: seedBusyMaintainer }, { auth: { roles: ROLES, oidc: { issuer: 'http://127.0.0.1:9', clientId: 'secfix' } } });

  it('pages the packages, most open pairs first, each with its most urgent pairs and a link to the rest; the other packages close the last page', async () => {
    const rows = await web().store.db.selectFrom('state').select(['package']).where('state', '=', 'vulnerable').execute();
    const open = new Map<string, number>();
    for (const row of rows) open.set(row.package, (open.get(row.package) ?? 0) + 1);
    const expected = [...open].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    expect(expected.length).toBeGreaterThan(MY_WORK_PACKAGES);
    expect(expected[0]![1]).toBeGreaterThan(MY_WORK_PAIRS);

    const cookie = await sessionCookieIn(web().store, BUSY);
    const pageCount = Math.ceil(expected.length / MY_WORK_PACKAGES);
    const listed: (readonly [string, number])[] = [];
    for (let page = 1; page <= pageCount; page += 1) {
      const response = await web().get(page === 1 ? '/me' : `/me?page=${page}`, { cookie });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain(`Page ${page} of ${pageCount}`);
      expect(response.body.includes('<h2>The rest of your packages</h2>')).toBe(page === pageCount);
      const shown = headings(response.body);
      expect(shown.length).toBeLessThanOrEqual(MY_WORK_PACKAGES);
      listed.push(...shown);
      // Each package's table: its open pairs, at most MY_WORK_PAIRS of them, and a link to the rest.
      for (const section of response.body.split('<h3>').slice(1)) {
        const [name, count] = headings(`<h3>${section}`)[0]!;
        const table = section.slice(0, section.indexOf('</table>'));
        expect((table.match(/<th scope="row">/g) ?? []).length, name).toBe(Math.min(count, MY_WORK_PAIRS));
        expect(table.includes(`The ${MY_WORK_PAIRS} most urgent of ${count}; all of them are on <a href="/package/`), name).toBe(count > MY_WORK_PAIRS);
      }
    }
    expect(listed).toEqual(expected);
    expect((await web().get(`/me?page=${pageCount + 1}`, { cookie })).statusCode).toBe(404);
  });
});
