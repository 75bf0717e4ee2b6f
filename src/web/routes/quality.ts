import type { Kysely } from 'kysely';
import { QUALITY_KINDS, type QualityKind } from '../../engine/index.js';
import type { Schema } from '../../store/index.js';
import { type QualitySummary, buildQualitySummary, pageSummary } from '../../tracker/summaries.js';
import { QUALITY_SUMMARY } from '../../tracker/summary-names.js';
import { badRequest, notFound } from '../errors.js';
import { MAX_PAGE, linkedPaging, neighbourPagePaths, pageCountOf } from '../paging.js';
import { choiceParam, integerParam } from '../query-params.js';
import { type VersionedBuild, builtAtVersion } from '../per-version.js';
import type { Resource } from '../resource.js';
import { branchPath, packagePath, qualityPath, repositoryId, vulnerabilityPath } from '../urls.js';
import { FINDINGS_PER_PAGE, type NumberedFinding, type QualityData, type QualityInput, qualityPagePath, qualityView } from '../views/quality.js';
import type { WebContext } from '../web-context.js';

/**
 * The latest report of each database with the data version it was made at: `update` stores it
 * (see tracker/summaries.ts), so a page reads one row; after a newer write it is built here, once
 * for every format, kind and page of that data version, and requests arriving meanwhile wait for it.
 */
const latestReports = new WeakMap<Kysely<Schema>, VersionedBuild<QualitySummary>>();

/** The report of `secfix check` and `secfix check --mapping`; only the shown findings are kept. */
async function loadQuality(web: WebContext, input: QualityInput, dataVersion: number): Promise<QualityData> {
  const report = await builtAtVersion(latestReports, web.db, dataVersion, async () => {
    const rules = await web.mappingRules();
    return pageSummary(web.db, QUALITY_SUMMARY, dataVersion, () => buildQualitySummary(web.db, rules));
  });
  const numbered: NumberedFinding[] = report.findings.map((finding, index) => ({ ...finding, number: index + 1 }));
  const counts = Object.fromEntries(QUALITY_KINDS.map((kind) => [kind, 0])) as Record<QualityKind, number>;
  for (const finding of numbered) counts[finding.kind] += 1;
  const sections = (input.kind === undefined ? QUALITY_KINDS : [input.kind]).map((kind) => {
    const ofKind = numbered.filter((finding) => finding.kind === kind);
    return {
      kind,
      total: ofKind.length,
      pageCount: pageCountOf(ofKind.length, FINDINGS_PER_PAGE),
      findings: ofKind.slice((input.page - 1) * FINDINGS_PER_PAGE, input.page * FINDINGS_PER_PAGE),
    };
  });
  if (input.kind !== undefined && input.page > (sections[0]?.pageCount ?? 1)) throw notFound(`page ${input.page} of the ${input.kind} findings`);
  return { total: numbered.length, counts, sections, skipped: report.skipped, unmapped: report.unmapped };
}

/** Pages of the shown findings: those of the one kind paged through; the overview of every kind is one page. */
function shownPageCount(data: QualityData, input: QualityInput): number {
  return input.kind === undefined ? 1 : (data.sections[0]?.pageCount ?? 1);
}

/** A finding as the JSON answer lists it. */
function qualityFindingJson(finding: NumberedFinding) {
  return {
    number: finding.number,
    kind: finding.kind,
    branch: finding.branch,
    repository: finding.repo ?? null,
    package: finding.package,
    packageUrl: packagePath(finding.package),
    vulnerability: finding.id ?? null,
    version: finding.version ?? null,
    detail: finding.detail,
  };
}

/**
 * `/quality`: the data-quality report of `secfix check`, by kind, the first 100 findings of each;
 * `kind` shows one kind and `page` pages through it.
 */
export const qualityResource: Resource<QualityInput, QualityData> = {
  path: '/quality',
  queryParams: ['kind', 'page'],
  parse: (_params, query) => {
    const kind = choiceParam(query, 'kind', QUALITY_KINDS);
    const page = integerParam(query, 'page', 1, MAX_PAGE);
    if (page !== undefined && kind === undefined) throw badRequest('query parameter "page" pages through one kind; give "kind" too');
    return { kind, page: page ?? 1 };
  },
  load: (web, input, context) => loadQuality(web, input, context.dataVersion.version),
  title: (_data, input) => (input.kind === undefined ? 'Data quality' : `Data quality: ${input.kind}`),
  html: (data, _context, input) => qualityView(data, input),
  json: (data, _context, input) => ({
    total: data.total,
    counts: data.counts,
    kind: input.kind ?? null,
    page: input.page,
    pageSize: FINDINGS_PER_PAGE,
    ...neighbourPagePaths(input.page, shownPageCount(data, input), (page) => qualityPagePath(input.kind, page)),
    kinds: data.sections.map((section) => ({
      kind: section.kind,
      total: section.total,
      pageCount: section.pageCount,
      url: qualityPagePath(section.kind),
      findings: section.findings.map(qualityFindingJson),
    })),
    skipped: data.skipped,
    unmappedProducts: data.unmapped,
  }),
  jsonld: (data, context, input) => {
    const absolute = (path: string) => `${context.base}${path}`;
    return {
      id: absolute(qualityPagePath(input.kind, input.page)),
      type: 'Collection',
      name: input.kind === undefined ? 'Data-quality findings' : `Data-quality findings: ${input.kind}`,
      ...linkedPaging(input.kind === undefined ? data.total : data.counts[input.kind], input.page, shownPageCount(data, input), (page) =>
        absolute(qualityPagePath(input.kind, page)),
      ),
      items: data.sections.flatMap((shown) =>
        shown.findings.map((finding) => ({
          // Numbered in the whole report, so a finding keeps its id on every page showing it.
          id: absolute(`${qualityPath()}#${finding.number}`),
          type: 'QualityFinding',
          problem: finding.kind,
          detail: finding.detail,
          branch: absolute(branchPath(finding.branch)),
          ...(finding.repo === undefined ? {} : { repository: absolute(repositoryId(finding.branch, finding.repo)) }),
          package: absolute(packagePath(finding.package)),
          ...(finding.id === undefined ? {} : { vulnerability: absolute(vulnerabilityPath(finding.id)) }),
          ...(finding.version === undefined ? {} : { version: finding.version }),
        })),
      ),
      uncheckedRepositories: data.skipped.map(({ branch, repo }) => absolute(repositoryId(branch, repo))),
    };
  },
};
