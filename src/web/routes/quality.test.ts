import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { QUALITY_KINDS, type QualityKind } from '../../engine/index.js';
import { BUNDLED_DEMO_CONFIG, loadConfig, loadMappingRules } from '../../sources/config.js';
import { withWriteLock } from '../../store/index.js';
import { type Backend, type TestStore, backends } from '../../test-support/databases.js';
import { type CheckReport, checkData } from '../../tracker/check.js';
import { checkMapping } from '../../tracker/mapping-coverage.js';
import { refreshPageSummaries } from '../../tracker/summaries.js';
import { QUALITY_SUMMARY } from '../../tracker/summary-names.js';
import { syncFromConfig } from '../../tracker/sync.js';
import { TEST_BASE_URL, type WebFixture, contextLoader, getAllPages, useWebFixture } from '../test-support/web-fixture.js';
import { FINDINGS_PER_PAGE } from '../views/quality.js';

interface FindingJson {
  readonly number: number;
  readonly kind: QualityKind;
  readonly branch: string;
  readonly repository: string | null;
  readonly package: string;
  readonly packageUrl: string;
  readonly vulnerability: string | null;
  readonly version: string | null;
  readonly detail: string;
}
interface QualityJson {
  readonly total: number;
  readonly counts: Record<QualityKind, number>;
  readonly kind: QualityKind | null;
  readonly page: number;
  readonly previous: string | null;
  readonly next: string | null;
  readonly kinds: readonly { kind: QualityKind; total: number; pageCount: number; url: string; findings: readonly FindingJson[] }[];
  readonly skipped: readonly { branch: string; repo: string }[];
}

/** What `secfix check` reports for the fixture's data, with the rules the server uses. */
async function cliReport(store: TestStore): Promise<CheckReport> {
  return checkData(store, await loadMappingRules());
}

/** The findings of a report as the page numbers and shows them. */
function numbered(report: CheckReport): FindingJson[] {
  return report.findings.map((finding, index) => ({
    number: index + 1,
    kind: finding.kind,
    branch: finding.branch,
    repository: finding.repo ?? null,
    package: finding.package,
    packageUrl: `/package/${encodeURIComponent(finding.package)}`,
    vulnerability: finding.id ?? null,
    version: finding.version ?? null,
    detail: finding.detail,
  }));
}

async function queriesOf(web: WebFixture, url: string, accept: string): Promise<number> {
  const before = web.queries.count;
  expect((await web.get(url, { accept })).statusCode, url).toBe(200);
  return web.queries.count - before;
}

/**
 * The queries of a /quality request that runs the check: the data version, the lookup of the
 * report `update` stores (none at this version), the branches (three), the index rows the check
 * and the mapping coverage share (seen versions, published binaries), the product counts, the
 * secfixes and their configurations, and the states to confirm.
 */
const QUALITY_QUERIES = 11;

/** The queries of a /quality request that finds the report `update` stored: the data version and the report. */
const STORED_QUALITY_QUERIES = 2;

/** A write that changes nothing but the data version, as every import and update bumps it. */
const newDataVersion = (store: TestStore) => withWriteLock(store, () => Promise.resolve());

describe.each(backends)('%s quality page', (backend: Backend) => {
  const web = useWebFixture(backend);

  it('shows the report of secfix check by kind: every count, and the first 100 findings of each kind', async () => {
    const report = await cliReport(web().store);
    const findings = numbered(report);
    const body = await web().getJson<QualityJson>('/quality');
    expect(body.total).toBe(report.findings.length);
    expect(body.skipped).toEqual(report.skipped);
    expect(body.kinds.map((section) => section.kind)).toEqual([...QUALITY_KINDS]);
    for (const section of body.kinds) {
      const ofKind = findings.filter((finding) => finding.kind === section.kind);
      expect(body.counts[section.kind]).toBe(ofKind.length);
      expect(section.total).toBe(ofKind.length);
      expect(section.findings).toEqual(ofKind.slice(0, FINDINGS_PER_PAGE));
    }
    // The demo data has more of one kind than a page holds, so the cap shows.
    expect(Math.max(...body.kinds.map((section) => section.total))).toBeGreaterThan(FINDINGS_PER_PAGE);
  });

  it('pages through one kind, and answers 400 for a bad kind or a page without kind, 404 past the end', async () => {
    const findings = numbered(await cliReport(web().store));
    const kind = QUALITY_KINDS.find((candidate) => findings.filter((finding) => finding.kind === candidate).length > FINDINGS_PER_PAGE) as QualityKind;
    const ofKind = findings.filter((finding) => finding.kind === kind);
    const pageCount = Math.ceil(ofKind.length / FINDINGS_PER_PAGE);
    const pages = await getAllPages<QualityJson>(web(), `/quality?kind=${kind}`);
    for (const page of pages) expect(page.kinds.map((section) => section.kind)).toEqual([kind]);
    const shown = pages.flatMap((page) => page.kinds[0]?.findings ?? []);
    expect(shown).toEqual(ofKind);
    const last = await web().getJson<QualityJson>(`/quality?kind=${kind}&page=${pageCount}`);
    expect(last.previous).toBe(`/quality?kind=${kind}${pageCount - 1 === 1 ? '' : `&page=${pageCount - 1}`}`);
    for (const accept of ['text/html', 'application/json', 'application/ld+json']) {
      expect((await web().get(`/quality?kind=${kind}&page=${pageCount + 1}`, { accept })).statusCode, accept).toBe(404);
      expect((await web().get('/quality?kind=typo', { accept })).statusCode, accept).toBe(400);
      expect((await web().get('/quality?page=2', { accept })).statusCode, accept).toBe(400);
    }
    expect((await web().get('/api/quality?branch=3.16')).statusCode).toBe(400);
  });

  it('renders HTML with one heading, the summary, the unchecked repositories and capped sections', async () => {
    const report = await cliReport(web().store);
    const findings = numbered(report);
    const response = await web().get('/quality');
    expect(response.statusCode).toBe(200);
    expect(response.body.match(/<h1>/g)).toHaveLength(1);
    for (const kind of QUALITY_KINDS) {
      const total = findings.filter((finding) => finding.kind === kind).length;
      expect(response.body).toContain(`<tr><th scope="row"><a href="/quality?kind=${kind}">${kind}</a></th><td class="num">${total}</td></tr>`);
      expect(response.body).toContain(`<h2 id="${kind}">${kind} (${total})</h2>`);
      if (total > FINDINGS_PER_PAGE) expect(response.body).toContain(`The first ${FINDINGS_PER_PAGE} of ${total}: <a href="/quality?kind=${kind}">`);
    }
    for (const { branch, repo } of report.skipped) expect(response.body).toContain(`<li><a href="/branch/${branch}">${branch}</a>/${repo}</li>`);
    // The mapping-coverage section: the demo's rules cover the sample, so its gaps are other vendors' look-alikes.
    const unmapped = await checkMapping(web().store, await loadMappingRules());
    expect(response.body).toContain(`<h2 id="mapping">Mapping coverage (${unmapped.length})</h2>`);
    for (const product of unmapped) expect(response.body).toContain(`<code>${product.vendor}:${product.product}</code>`);
    const first = findings[0];
    expect(response.body).toContain(`<tr id="1">\n<td class="num">1</td>\n<td><a href="/branch/${first?.branch}">${first?.branch}</a></td>`);
  });

  it('describes the findings in JSON-LD, each named by its number in the report', async () => {
    const report = await cliReport(web().store);
    const findings = numbered(report);
    const document = await web().getJson('/quality', 'application/ld+json');
    expect(document).toMatchObject({ id: `${TEST_BASE_URL}/quality`, type: 'Collection', totalItems: findings.length });
    const items = document['items'] as Record<string, unknown>[];
    const capped = QUALITY_KINDS.flatMap((kind) => findings.filter((finding) => finding.kind === kind).slice(0, FINDINGS_PER_PAGE));
    expect(items.map((item) => item['id'])).toEqual(capped.map((finding) => `${TEST_BASE_URL}/quality#${finding.number}`));
    const withId = capped.find((finding) => finding.vulnerability !== null);
    expect(items.find((item) => item['id'] === `${TEST_BASE_URL}/quality#${withId?.number}`)).toMatchObject({
      type: 'QualityFinding',
      problem: withId?.kind,
      detail: withId?.detail,
      vulnerability: `${TEST_BASE_URL}/cve/${withId?.vulnerability}`,
      package: `${TEST_BASE_URL}/package/${withId?.package}`,
    });
    expect(document['uncheckedRepositories']).toEqual(report.skipped.map(({ branch, repo }) => `${TEST_BASE_URL}/branch/${branch}#repo-${repo}`));
    await expect(jsonld.expand(document, { documentLoader: contextLoader(web()), safe: true })).resolves.toHaveLength(1);
  });

  it(`runs the check in ${QUALITY_QUERIES} queries once per data version, shared by every format, kind and page`, async () => {
    await newDataVersion(web().store);
    expect(await queriesOf(web(), '/quality', 'text/html')).toBe(QUALITY_QUERIES);
    for (const url of ['/quality', '/quality?kind=fix-version-not-in-index', '/quality?kind=fix-version-not-in-index&page=2']) {
      for (const accept of ['text/html', 'application/json', 'application/ld+json']) expect(await queriesOf(web(), url, accept), `${url} ${accept}`).toBe(1);
    }
    await newDataVersion(web().store);
    expect(await queriesOf(web(), '/quality?kind=fix-version-not-in-index&page=2', 'application/json')).toBe(QUALITY_QUERIES);
  });

  it('reads the report update stored at the current data version in one query', async () => {
    await newDataVersion(web().store);
    expect(await refreshPageSummaries(web().store, await loadMappingRules())).toContain(QUALITY_SUMMARY);
    expect(await queriesOf(web(), '/quality', 'application/json')).toBe(STORED_QUALITY_QUERIES);
    const body = await web().getJson<QualityJson>('/quality');
    expect(body.total).toBe((await cliReport(web().store)).findings.length);
    expect(await refreshPageSummaries(web().store, await loadMappingRules())).toEqual([]);
  });
});

/** Only one branch of the demo: less data, the same number of queries. */
async function seedOneBranch(store: TestStore): Promise<void> {
  const config = await loadConfig(BUNDLED_DEMO_CONFIG);
  await syncFromConfig(store, { ...config, branches: config.branches.filter((branch) => branch.name === '3.16') });
}

describe.each(backends)('%s quality page over less data', (backend: Backend) => {
  const web = useWebFixture(backend, { contents: 'schema', seed: seedOneBranch });

  it(`still runs the check in ${QUALITY_QUERIES} queries`, async () => {
    await newDataVersion(web().store);
    const before = web().queries.count;
    const body = await web().getJson<QualityJson>('/quality');
    expect(web().queries.count - before).toBe(QUALITY_QUERIES);
    expect(body.total).toBe((await cliReport(web().store)).findings.length);
  });
});
