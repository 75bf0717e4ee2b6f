import { describe, expect, it } from 'vitest';
import { backends } from '../../test-support/databases.js';
import { useWebFixture } from '../test-support/web-fixture.js';

/*
 * A branch past its end of support, on the demo data of both databases: 3.16 is given an end of
 * support of 2026-01-31 and the server is asked on that day (still supported) and the day after.
 */

const END = '2026-01-31';
const DAY_AFTER = '2026-02-01';

interface HomeJson {
  readonly branches: readonly { readonly name: string; readonly supported: boolean; readonly repositories: readonly { readonly name: string; readonly open: number }[] }[];
}
interface BranchJson {
  readonly branch: { readonly supported: boolean };
  readonly open: number;
  readonly packages: readonly { readonly vulnerabilities: readonly { readonly id: string; readonly status: string }[] }[];
}
interface VulnerabilityJson {
  readonly states: readonly { readonly branch: string; readonly state: string; readonly triage: { readonly status: string; readonly resolution: string } }[];
}

describe.each(backends)('%s end of life', (backend) => {
  let today = END;
  const web = useWebFixture(
    backend,
    { contents: 'demo', seed: async (store) => void (await store.db.updateTable('branch').set({ end_of_support: END }).where('name', '=', '3.16').execute()) },
    { today: () => today },
  );
  const openIn = (home: HomeJson, branch: string) => home.branches.find((entry) => entry.name === branch)!.repositories.reduce((sum, repository) => sum + repository.open, 0);
  const queueTotal = async (branch: string) => (await web().getJson<{ total: number }>(`/triage?branch=${branch}`)).total;

  it('keeps the end day supported: open pairs are counted as the queue lists them', async () => {
    today = END;
    const home = await web().getJson<HomeJson>('/');
    expect(home.branches.find((branch) => branch.name === '3.16')?.supported).toBe(true);
    const open = openIn(home, '3.16');
    expect(open).toBeGreaterThan(0);
    expect(open).toBe(await queueTotal('3.16'));
    const page = await web().getJson<BranchJson>('/branch/3.16');
    expect(page).toMatchObject({ branch: { supported: true }, open });
    expect(new Set(page.packages.flatMap((entry) => entry.vulnerabilities.map((vulnerability) => vulnerability.status)))).toContain('vulnerable');
  });

  it('shows end-of-life from the day after on the home, branch and CVE pages, and leaves the open counts and the queue', async () => {
    today = END;
    const openBefore = openIn(await web().getJson<HomeJson>('/'), '3.17');
    today = DAY_AFTER;
    const home = await web().getJson<HomeJson>('/');
    expect(home.branches.find((branch) => branch.name === '3.16')?.supported).toBe(false);
    expect(openIn(home, '3.16')).toBe(0);
    // 3.17 has no end of support in the demo: its open work stays.
    expect(openIn(home, '3.17')).toBe(openBefore);
    expect(openIn(home, '3.17')).toBeGreaterThan(0);
    expect(await queueTotal('3.16')).toBe(0);
    expect((await web().get('/')).body).toMatch(/<a href="\/branch\/3\.16">3\.16<\/a>[^]*?<span class="eol">end-of-life<\/span>/);

    const page = await web().getJson<BranchJson>('/branch/3.16');
    expect(page).toMatchObject({ branch: { supported: false }, open: 0 });
    const statuses = page.packages.flatMap((entry) => entry.vulnerabilities.map((vulnerability) => vulnerability.status));
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(['end-of-life']));
    const html = (await web().get('/branch/3.16')).body;
    expect(html).toContain('<span class="badge triage-end-of-life">end-of-life</span>');
    expect(html).toContain('none is open');

    const id = page.packages[0]!.vulnerabilities[0]!.id;
    const cve = await web().getJson<VulnerabilityJson>(`/cve/${id}`);
    const on316 = cve.states.filter((state) => state.branch === '3.16' && state.state === 'vulnerable');
    expect(on316.length).toBeGreaterThan(0);
    for (const state of on316) expect(state.triage).toMatchObject({ status: 'end-of-life', resolution: 'end-of-life' });
    expect((await web().get(`/cve/${id}`)).body).toContain('the branch is past its end of support');
  });
});
