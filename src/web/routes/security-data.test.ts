import { Writable } from 'node:stream';
import { setImmediate, setTimeout } from 'node:timers/promises';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { MAX_PACKAGE_NAME_LENGTH, MAX_REQUEST_PACKAGES, type SecurityDataJson, securityDataToJson } from '../../scan/tracker-api.js';
import { trackerSecurityData } from '../../scan/tracker.js';
import { recordTriage } from '../../tracker/triage.js';
import { getDataVersion, listBranches, listSecurityDataPackages } from '../../store/index.js';
import { type TestStore, backends } from '../../test-support/databases.js';
import { TEST_BASE_URL, useWebFixture } from '../test-support/web-fixture.js';

const PATH = '/api/branch/3.16/security-data';

/** Moves the data version on, as any import that writes does. */
async function bumpDataVersion(store: TestStore): Promise<void> {
  await store.db.updateTable('data_version').set({ version: sql`version + 1` }).where('id', '=', 1).execute();
}

/** The ids of a branch's repositories. */
async function repositoryIds(store: TestStore, branch: string): Promise<number[]> {
  const found = (await listBranches(store.db)).find((candidate) => candidate.name === branch);
  return (found?.repositories ?? []).map((repository) => repository.id);
}

describe.each(backends)('%s POST /api/branch/:branch/security-data', (backend) => {
  const web = useWebFixture(backend);

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    web().app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });

  it("answers the branch's security data for the origins asked, as the store holds it, reading the branch once per data version", async () => {
    const origins = ['busybox', 'openssl'];
    const expected = securityDataToJson(await trackerSecurityData(web().store.db, TEST_BASE_URL, '3.16', origins));
    await bumpDataVersion(web().store);
    web().queries.count = 0;
    const response = await post(PATH, { packages: [...origins, 'busybox'] });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json<SecurityDataJson>();
    expect(body).toEqual(expected);
    // The demo data has fixes and published versions for both, and nothing about other origins.
    expect(Object.keys(body.fixes).sort()).toEqual(origins);
    expect(Object.keys(body.published).sort()).toEqual(origins);
    expect(body.repos).toEqual(['community', 'main']);
    // The data version, listBranches' 3, the branch's package names, then per slice of 100 of them the triage
    // events and the secfixes, published versions and states of each of the 2 repositories.
    const readBranch = 5 + 7 * Math.ceil((await listSecurityDataPackages(web().store.db, await repositoryIds(web().store, '3.16'))).length / 100);
    expect(web().queries.count).toBe(readBranch);
    // Another request, whatever its names, reads only the data version: the branch is looked up in memory.
    web().queries.count = 0;
    const names = Array.from({ length: MAX_REQUEST_PACKAGES }, (_, index) => (index === 0 ? 'busybox' : `absent-${index}`));
    const again = await post(PATH, { packages: names });
    expect(again.json<SecurityDataJson>().fixes['busybox']).toEqual(expected.fixes['busybox']);
    expect(web().queries.count).toBe(1);
    // A new data version reads the branch again.
    await bumpDataVersion(web().store);
    web().queries.count = 0;
    expect((await post(PATH, { packages: origins })).json<SecurityDataJson>()).toEqual(expected);
    expect(web().queries.count).toBe(readBranch);
  });

  it('answers an empty list with the branch alone, so a scan of a system without packages still learns its repositories', async () => {
    const body = (await post(PATH, { packages: [] })).json<SecurityDataJson>();
    expect(body).toEqual(securityDataToJson(await trackerSecurityData(web().store.db, TEST_BASE_URL, '3.16', [])));
    expect(body.repos).toEqual(['community', 'main']);
    expect([body.fixes, body.open, body.rejected, body.published]).toEqual([{}, {}, {}, {}]);
  });

  it('answers 404 naming the branches the tracker has for an unknown branch', async () => {
    const names = (await listBranches(web().store.db)).map((branch) => branch.name);
    expect(names).not.toContain('3.99');
    const response = await post('/api/branch/3.99/security-data', { packages: ['busybox'] });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { status: 404, message: `no security data for branch 3.99 (it has ${names.join(', ')})` } });
  });

  const tooLong = 'x'.repeat(MAX_PACKAGE_NAME_LENGTH + 1);
  const badBodies: readonly [string, unknown, RegExp][] = [
    ['an array', ['busybox'], /^expected a JSON object/],
    ['a JSON string', '"busybox"', /^expected a JSON object/],
    ['no packages', {}, /^"packages" must be an array/],
    ['packages a string', { packages: 'busybox' }, /^"packages" must be an array/],
    ['an unknown field', { packages: ['busybox'], branch: '3.16' }, /^unknown field "branch"/],
    ['a number for a name', { packages: ['busybox', 3] }, /^"packages"\[1\] must be a non-empty string/],
    ['an empty name', { packages: [''] }, /^"packages"\[0\] must be a non-empty string/],
    [`a name of ${MAX_PACKAGE_NAME_LENGTH + 1} characters`, { packages: [tooLong] }, /^"packages"\[0\] must be a non-empty string of at most 200 characters$/],
    [`${MAX_REQUEST_PACKAGES + 1} names`, { packages: Array.from({ length: MAX_REQUEST_PACKAGES + 1 }, (_, index) => `p${index}`) }, /^"packages" has 20001 names; at most 20000/],
    ['malformed JSON', '{"packages": [', /JSON/],
  ];

  it.each(badBodies)('answers 400 in JSON to a body that is %s, whatever the Accept header', async (_name, payload, message) => {
    const response = await post(PATH, payload, { accept: 'text/html' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    const { error } = response.json<{ error: { status: number; message: string } }>();
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });

  it('answers 413 in JSON to a body over the limit, which 20,000 names of 100 characters exceed', async () => {
    const names = Array.from({ length: MAX_REQUEST_PACKAGES }, (_, index) => `${index}`.padEnd(100, 'x'));
    const response = await post(PATH, { packages: names }, { accept: 'text/html' });
    expect(response.statusCode).toBe(413);
    const { error } = response.json<{ error: { status: number; message: string } }>();
    expect(error.status).toBe(413);
    const limit = Number(/^the body is larger than (\d+) bytes \(20000 names of 64 characters\)$/.exec(error.message)?.[1]);
    // The limit admits the most names at 64 characters (the next test) and refuses this body.
    expect(limit).toBeGreaterThan(JSON.stringify({ packages: names.map((name) => name.slice(0, 64)) }).length);
    expect(limit).toBeLessThan(JSON.stringify({ packages: names }).length);
  });

  it('takes the most names allowed at 64 characters each, and a name of the longest length', async () => {
    const names = Array.from({ length: MAX_REQUEST_PACKAGES }, (_, index) => `${index}`.padEnd(index === 0 ? MAX_PACKAGE_NAME_LENGTH : 64, 'x'));
    const response = await post(PATH, { packages: names });
    expect(response.statusCode).toBe(200);
    expect(response.json<SecurityDataJson>().fixes).toEqual({});
  });

  it('answers 400 to a body nesting deeper than {"packages": [names]}, without parsing it', async () => {
    const response = await post(PATH, `{"packages": [${'['.repeat(100_000)}${']'.repeat(100_000)}]}`);
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { message: string } }>().error.message).toMatch(/^the body nests arrays or objects deeper than 2 levels/);
  });

  // On SQLite the build's queries run synchronously, so only its own yields let /healthz in and
  // their number is exact; on PostgreSQL each query yields too, and the count depends on timing.
  it.skipIf(backend === 'postgres')('answers /healthz while the first request after a data change is still building the branch', async () => {
    await bumpDataVersion(web().store);
    let built = false;
    const answer = post(PATH, { packages: ['busybox'] }).then((response) => {
      built = true;
      return response;
    });
    // One /healthz after another, counting those answered before the security data is.
    let answeredMeanwhile = 0;
    while (!built) {
      // Injected requests run on promise jobs alone; a turn of the loop lets the build go on.
      await setImmediate();
      const health = await web().get('/healthz');
      expect(health.statusCode).toBe(200);
      if (!built) answeredMeanwhile += 1;
    }
    expect((await answer).statusCode).toBe(200);
    // The demo's 3.16 holds over a thousand entries, built a few hundred a turn.
    expect(answeredMeanwhile).toBeGreaterThanOrEqual(5);
  });
});

describe.each(backends)('%s POST /api/branch/:branch/security-data built two origins a slice', (backend) => {
  const web = useWebFixture(backend, { contents: 'demo' }, { securityData: { originsPerSlice: 2 } });

  it("answers every origin of the branch byte for byte as reading the whole branch at once gives it, each section in the request's order", async () => {
    const whole = securityDataToJson(await trackerSecurityData(web().store.db, TEST_BASE_URL, '3.16'));
    const sections = ['fixes', 'open', 'rejected', 'notAffected', 'published'] as const;
    // Reversed, so the answer's order is the request's and not the one slices are read in.
    const origins = [...new Set(sections.flatMap((name) => Object.keys(whole[name])))].sort().reverse();
    // Hundreds of slice boundaries, with origins on both sides of each in several sections.
    expect(origins.length).toBeGreaterThan(500);
    const inRequestOrder = (section: Readonly<Record<string, unknown>>) => Object.fromEntries(origins.flatMap((origin) => (origin in section ? [[origin, section[origin]]] : [])));
    const expected = JSON.stringify({ ...whole, ...Object.fromEntries(sections.map((name) => [name, inRequestOrder(whole[name])])) });
    const response = await web().app.inject({ method: 'POST', url: PATH, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ packages: origins }) });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(expected);
  });

  it('answers a pair open by triage whatever its computed state, though untriaged pairs in that state are not read', async () => {
    const pair = await web()
      .store.db.selectFrom('state as s')
      .innerJoin('repository as r', 'r.id', 's.repository_id')
      .innerJoin('branch as b', 'b.id', 'r.branch_id')
      .where('b.name', '=', '3.16')
      .where('s.state', 'in', ['unknown', 'fixed'])
      .where('s.fixed_version', 'is', null)
      .select(['s.package', 's.vulnerability_id'])
      .orderBy('s.package')
      .orderBy('s.vulnerability_id')
      .executeTakeFirstOrThrow();
    const openIds = async () => {
      const response = await web().app.inject({ method: 'POST', url: PATH, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ packages: [pair.package] }) });
      return (response.json<SecurityDataJson>().open[pair.package] ?? []).map((entry) => entry.id);
    };
    expect(await openIds()).not.toContain(pair.vulnerability_id);
    await recordTriage(web().store, { packages: [pair.package], vulnerabilities: [pair.vulnerability_id], status: 'affected' }, 'ann@example.org');
    await bumpDataVersion(web().store);
    expect(await openIds()).toContain(pair.vulnerability_id);
  });
});

describe.each(backends)('%s security data built ahead of requests', (backend) => {
  /** The server's log lines: which branches it built at which data version, and any error. */
  const built: string[] = [];
  const errors: unknown[] = [];
  const log = new Writable({
    write(chunk: Buffer, _encoding, next) {
      const line = JSON.parse(chunk.toString()) as { level: number; msg: string; branch?: string; dataVersion?: number };
      if (line.msg === 'security data built') built.push(`${line.branch} ${line.dataVersion}`);
      if (line.level >= 50) errors.push(line);
      next();
    },
  });
  const web = useWebFixture(backend, { contents: 'demo' }, { logger: { level: 'info', stream: log }, securityData: { checkEveryMs: 10 } });

  /** Waits until the server has built every branch at the current data version. */
  async function builtAhead(): Promise<void> {
    const { version } = await getDataVersion(web().store.db);
    const expected = (await listBranches(web().store.db)).map((branch) => `${branch.name} ${version}`);
    while (!expected.every((line) => built.includes(line))) await setTimeout(5);
  }

  it('builds every branch once listening, and again for each new data version, and answers from what it built', async () => {
    const busybox = () => web().app.inject({ method: 'POST', url: PATH, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ packages: ['busybox'] }) });
    await web().app.listen({ port: 0, host: '127.0.0.1' });
    await builtAhead();
    const fixes = securityDataToJson(await trackerSecurityData(web().store.db, TEST_BASE_URL, '3.16', ['busybox'])).fixes['busybox'];
    expect(fixes?.length).toBeGreaterThan(0);
    // Gone from the store without a new data version: the answer is what was built before.
    await web().store.db.deleteFrom('secfix').where('package', '=', 'busybox').execute();
    expect((await busybox()).json<SecurityDataJson>().fixes['busybox']).toEqual(fixes);
    await bumpDataVersion(web().store);
    await builtAhead();
    expect((await busybox()).json<SecurityDataJson>().fixes['busybox']).toBeUndefined();
    expect(errors).toEqual([]);
  });
});
