import { type Html, html } from '../html.js';
import { QUALITY_KINDS, type QualityFinding, type QualityKind } from '../../engine/index.js';
import { pageQueryValue } from '../paging.js';
import { branchPath, qualityPath, vulnerabilityPath, withQuery } from '../urls.js';
import { packageLink, pagination } from './common.js';
import type { ShownUnmappedProduct } from '../../tracker/summaries.js';

/** Findings of each kind on the overview, and per page of one kind. */
export const FINDINGS_PER_PAGE = 100;

export interface QualityInput {
  /** Only this kind, paged; undefined shows the first page of every kind. */
  readonly kind: QualityKind | undefined;
  readonly page: number;
}

/** A finding with its 1-based place in the whole report, which names it (`/quality#<n>`). */
export interface NumberedFinding extends QualityFinding {
  readonly number: number;
}

export interface QualityKindSection {
  readonly kind: QualityKind;
  /** Findings of this kind in the whole report. */
  readonly total: number;
  readonly pageCount: number;
  /** The shown page of them. */
  readonly findings: readonly NumberedFinding[];
}

export interface QualityData {
  /** Findings of every kind. */
  readonly total: number;
  /** Findings of each kind, every kind listed, for the summary. */
  readonly counts: Readonly<Record<QualityKind, number>>;
  /** The kinds shown: all of them, or the one asked for. */
  readonly sections: readonly QualityKindSection[];
  /** Repositories with secfixes but no index, which could not be checked. */
  readonly skipped: readonly { readonly branch: string; readonly repo: string }[];
  /** CPE products that reach no package but resemble an index name (`secfix check --mapping`). */
  readonly unmapped: readonly ShownUnmappedProduct[];
}

/** The quality page of one kind (or every kind) at `page`. */
export const qualityPagePath = (kind: QualityKind | undefined, page = 1) => withQuery(qualityPath(), { kind, page: pageQueryValue(page) });

/** What each kind of finding means, and what usually causes it. */
const KIND_DESCRIPTIONS: Record<QualityKind, string> = {
  'fix-version-not-in-index': 'A secfixes line names a fix version that no index of the branch ever listed: a typo, or a release that was never built.',
  'invalid-fix-version': 'A fix version apk cannot order, so no published version can be judged against it.',
  'fix-below-affected-range': 'The fix is older than every NVD version range of the vulnerability for the package: a wrong id, or a wrong package.',
  'unrecognized-id': 'An id that is not a CVE, GHSA or ALPINE id, so no other database can refer to it.',
  'not-affected-and-fixed': 'An id listed both as never affecting the package (under 0) and as fixed in a version.',
  'package-not-in-index': 'A package with secfixes that no index of the branch has.',
  'introduced-after-published':
    'Decided not affected although the secfixes list a later fix: every NVD range for the package starts above the published version, so the line is taken as an upgrade record: for the team to confirm.',
  'sources-disagree': 'Decided unknown: NVD and a CVE 5 record (the CNA, or CISA) disagree about whether the published version is affected: for the team to decide.',
};

function findingTable(section: QualityKindSection): Html {
  return html`<div class="table-scroll"><table>
<caption class="skip">Findings of kind ${section.kind}</caption>
<thead><tr><th scope="col" class="num">#</th><th scope="col">Branch</th><th scope="col">Repository</th><th scope="col">Package</th><th scope="col">Id</th><th scope="col">Version</th><th scope="col">Problem</th></tr></thead>
<tbody>
${section.findings.map(
  (finding) => html`<tr id="${finding.number}">
<td class="num">${finding.number}</td>
<td><a href="${branchPath(finding.branch)}">${finding.branch}</a></td>
<td>${finding.repo ?? ''}</td>
<th scope="row">${packageLink(finding.package)}</th>
<td>${finding.id === undefined ? '' : html`<a href="${vulnerabilityPath(finding.id)}">${finding.id}</a>`}</td>
<td class="mono">${finding.version ?? ''}</td>
<td>${finding.detail}</td>
</tr>
`,
)}</tbody>
</table></div>`;
}

function kindSection(section: QualityKindSection, input: QualityInput): Html {
  const paged = input.kind !== undefined;
  return html`<h2 id="${section.kind}">${section.kind} (${section.total})</h2>
<p>${KIND_DESCRIPTIONS[section.kind]}</p>
${section.total === 0 ? html`<p>None found.</p>` : findingTable(section)}
${
  !paged && section.total > FINDINGS_PER_PAGE
    ? html`<p>The first ${FINDINGS_PER_PAGE} of ${section.total}: <a href="${qualityPagePath(section.kind)}">every ${section.kind} finding, page by page</a>.</p>`
    : ''
}
${paged ? pagination(qualityPath(), { kind: section.kind }, input.page, section.pageCount) : ''}`;
}

function resembling(product: ShownUnmappedProduct): string {
  const more = product.resemblesCount - product.resembles.length;
  return more > 0 ? `${product.resembles.join(', ')} and ${more} more` : product.resembles.join(', ');
}

/** The products the mapping rules may be missing, most vulnerabilities first. */
function mappingSection(unmapped: readonly ShownUnmappedProduct[]): Html {
  return html`<h2 id="mapping">Mapping coverage (${unmapped.length})</h2>
<p>CPE products of the NVD data that map to no package of a branch but whose name resembles a package, binary or origin name of its index, as <code>secfix check --mapping</code> lists them: a rule in the mapping configuration would tie their vulnerabilities to the package.</p>
${
  unmapped.length === 0
    ? html`<p>None found.</p>`
    : html`<div class="table-scroll"><table>
<caption class="skip">Unmapped products</caption>
<thead><tr><th scope="col">Vendor:product</th><th scope="col" class="num">CVEs</th><th scope="col">Resembles</th><th scope="col">Branches</th></tr></thead>
<tbody>
${unmapped.map(
  (product) => html`<tr><th scope="row"><code>${product.vendor}:${product.product}</code></th><td class="num">${product.vulnerabilities}</td><td>${resembling(product)}</td><td>${product.branches.join(', ')}</td></tr>
`,
)}</tbody>
</table></div>`
}`;
}

/** The data-quality report: a summary by kind, the unchecked repositories, then the findings of each kind. */
export function qualityView(data: QualityData, input: QualityInput): Html {
  return html`<h1>Data quality${input.kind === undefined ? '' : html`: ${input.kind}`}</h1>
<p>Problems in the stored secfixes that cannot be right as written, as <code>secfix check</code> reports them.
Each one may make the tracker call a package fixed or vulnerable wrongly.</p>
<h2>Summary</h2>
<div class="table-scroll"><table>
<caption class="skip">Findings by kind</caption>
<thead><tr><th scope="col">Kind</th><th scope="col" class="num">Findings</th></tr></thead>
<tbody>
${QUALITY_KINDS.map(
  (kind) => html`<tr><th scope="row"><a href="${qualityPagePath(kind)}">${kind}</a></th><td class="num">${data.counts[kind]}</td></tr>
`,
)}<tr><th scope="row">all kinds</th><td class="num">${data.total}</td></tr>
</tbody>
</table></div>
${input.kind === undefined ? '' : html`<p><a href="${qualityPath()}">Every kind</a></p>`}
${
  data.skipped.length === 0
    ? ''
    : html`<h2>Not checked</h2>
<p>These repositories have secfixes but no imported index, so their fix versions cannot be checked against one:</p>
<ul>${data.skipped.map(({ branch, repo }) => html`<li><a href="${branchPath(branch)}">${branch}</a>/${repo}</li>`)}</ul>`
}
${data.sections.map((section) => kindSection(section, input))}
${input.kind === undefined ? mappingSection(data.unmapped) : ''}`;
}
