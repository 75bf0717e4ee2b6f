import { type Html, html } from '../html.js';
import { BRANCH_PACKAGE_SORTS, type BranchPackageSort, SEVERITY_LEVELS, STATE_NAMES, type SeverityLevel, type StateName } from '../../store/index.js';
import { TRIAGE_PATH, branchFeedPath, branchPath, vulnerabilityPath, withQuery } from '../urls.js';
import type { PairTriage } from '../../engine/triage.js';
import { rulingText } from './triage.js';
import { day, maintainerLink, packageLink, pagination, selectOption, severityBadge, stateBadge } from './common.js';

export interface BranchInput {
  readonly branch: string;
  readonly repo: string | undefined;
  readonly state: StateName;
  /** The minimum severity; pairs without a severity only show when this is undefined. */
  readonly severity: SeverityLevel | undefined;
  /** A maintainer key (`maintainerKey()`): an e-mail address, or the whole text when there is none. */
  readonly maintainer: string | undefined;
  readonly orphaned: boolean;
  readonly sort: BranchPackageSort;
  readonly page: number;
}

export interface BranchVulnerabilityEntry {
  readonly id: string;
  readonly state: StateName;
  readonly fixedVersion: string | null;
  readonly severity: string | null;
  readonly cvssScore: number | null;
  readonly published: string | null;
  /** Whole days from publication to `asOf`. */
  readonly ageDays: number | null;
  /** The standing triage beside the computed state, and which rules. */
  readonly triage: PairTriage;
}

export interface BranchPackageEntry {
  readonly repo: string;
  readonly name: string;
  readonly version: string | null;
  /** Whether the repository's index lists the package; unlisted ones have no version or maintainer. */
  readonly indexed: boolean;
  readonly maintainer: string | null;
  /** Listed by the index without a maintainer. */
  readonly orphaned: boolean;
  readonly vulnerabilities: readonly BranchVulnerabilityEntry[];
}

export interface BranchData {
  readonly name: string;
  readonly endOfSupport: string | null;
  readonly supported: boolean;
  readonly architectures: readonly string[];
  readonly repositories: readonly string[];
  /** Pairs of the branch (of the chosen repository) in each state. */
  readonly counts: Readonly<Record<StateName, number>>;
  /** Open pairs of the branch (of the chosen repository); 0 past its end of support. */
  readonly open: number;
  readonly page: number;
  readonly pageCount: number;
  readonly totalPackages: number;
  readonly packages: readonly BranchPackageEntry[];
  /** When ages were computed. */
  readonly asOf: string;
}

/** Links the branch page makes to itself. */
export interface BranchLinks {
  /** The first page with some inputs changed and the other filters kept. */
  readonly to: (changes: Partial<BranchInput>) => string;
  /** The query parameters of the current filters, without the page, for the pager. */
  readonly filters: Readonly<Record<string, string | number | boolean | undefined>>;
}

const SORT_LABELS: Record<BranchPackageSort, string> = {
  package: 'package name',
  severity: 'highest CVSS score',
  age: 'oldest vulnerability',
  count: 'most vulnerabilities',
};

function supportText(data: BranchData): string {
  if (data.endOfSupport === null) return 'supported';
  return data.supported ? `supported until ${day(data.endOfSupport)}` : `end of life since ${day(data.endOfSupport)}`;
}

function filterForm(data: BranchData, input: BranchInput): Html {
  return html`<form class="filters" method="get" action="${branchPath(data.name)}">
<label for="filter-repo">Repository
<select id="filter-repo" name="repo">${selectOption('', 'all', input.repo === undefined)}${data.repositories.map((name) => selectOption(name, name, name === input.repo))}</select></label>
<label for="filter-state">State
<select id="filter-state" name="state">${STATE_NAMES.map((state) => selectOption(state, state, state === input.state))}</select></label>
<label for="filter-severity">Minimum severity
<select id="filter-severity" name="severity">${selectOption('', 'any (also none)', input.severity === undefined)}${SEVERITY_LEVELS.map((level) => selectOption(level, level, level === input.severity))}</select></label>
<label for="filter-maintainer">Maintainer e-mail (or name when none)
<input id="filter-maintainer" type="text" name="maintainer" value="${input.maintainer ?? ''}" maxlength="200"></label>
<label for="filter-orphaned"><span><input id="filter-orphaned" type="checkbox" name="orphaned" value="1"${input.orphaned ? html` checked` : ''}> Orphaned packages only</span></label>
<label for="filter-sort">Sort by
<select id="filter-sort" name="sort">${BRANCH_PACKAGE_SORTS.map((sort) => selectOption(sort, SORT_LABELS[sort], sort === input.sort))}</select></label>
<button type="submit">Apply</button>
</form>`;
}

function maintainerCell(entry: BranchPackageEntry): Html {
  if (!entry.indexed) return html`<span class="muted">not in the index</span>`;
  if (entry.maintainer === null) return html`<span class="muted">orphaned</span>`;
  return maintainerLink(entry.maintainer);
}

function vulnerabilityItem(vulnerability: BranchVulnerabilityEntry): Html {
  return html`<li><a href="${vulnerabilityPath(vulnerability.id)}">${vulnerability.id}</a> ${severityBadge(vulnerability.severity, vulnerability.cvssScore)}${
    vulnerability.ageDays === null ? '' : html` <span class="muted">${vulnerability.ageDays} days old</span>`
  }${vulnerability.fixedVersion === null ? '' : html`, fixed in <span class="mono">${vulnerability.fixedVersion}</span>`}${
    vulnerability.triage.triage === null && vulnerability.triage.status !== 'end-of-life' ? '' : html` <span class="triage-note">${rulingText(vulnerability.triage)}</span>`
  }</li>`;
}

function packageTable(data: BranchData, input: BranchInput): Html {
  if (data.packages.length === 0) return html`<p>No package matches these filters.</p>`;
  return html`<div class="table-scroll"><table>
<caption class="skip">Packages of branch ${data.name} with ${input.state} pairs, and their vulnerabilities</caption>
<thead><tr><th scope="col">Repository</th><th scope="col">Package</th><th scope="col">Version</th><th scope="col">Maintainer</th><th scope="col">Vulnerabilities</th></tr></thead>
<tbody>
${data.packages.map(
  (entry) => html`<tr>
<td>${entry.repo}</td>
<th scope="row">${packageLink(entry.name)}</th>
<td>${entry.version === null ? html`<span class="muted">none</span>` : html`<span class="mono">${entry.version}</span>`}</td>
<td>${maintainerCell(entry)}</td>
<td><ul>${entry.vulnerabilities.map(vulnerabilityItem)}</ul></td>
</tr>
`,
)}</tbody>
</table></div>`;
}

/** The branch page: its facts, state counts as filters, the filter form and one page of packages. */
export function branchView(data: BranchData, input: BranchInput, links: BranchLinks): Html {
  const path = branchPath(data.name);
  return html`<h1>Branch ${data.name}</h1>
<dl class="facts">
<dt>Support</dt><dd>${data.supported ? supportText(data) : html`<span class="eol">${supportText(data)}</span>`}</dd>
<dt>Architectures</dt><dd>${data.architectures.join(', ')}</dd>
<dt>Repositories</dt><dd><ul class="inline">${data.repositories.map((name) => html`<li><a href="${links.to({ repo: name })}">${name}</a></li>`)}</ul></dd>
<dt>Feed</dt><dd><a href="${branchFeedPath(data.name)}" type="application/atom+xml">State changes (Atom)</a></dd>
</dl>
<h2>Open work</h2>
<p>${data.supported ? html`<a href="${withQuery(TRIAGE_PATH, { branch: data.name, repo: input.repo })}">${data.open} open pairs</a> (vulnerable with no triage, or triaged affected or under investigation) in the triage queue.` : html`<span class="eol">end-of-life</span>: the branch is past its end of support, so its vulnerable pairs are shown as end-of-life and none is open.`}</p>
<h2>Pairs by state</h2>
<p>(Repository, package, vulnerability) pairs of ${input.repo === undefined ? 'this branch' : `repository ${input.repo}`} in each state; choose a state to list its packages.</p>
<ul class="inline">
${STATE_NAMES.map(
  (state) => html`<li><a href="${links.to({ state })}"${state === input.state ? html` aria-current="page"` : ''}>${stateBadge(state)} ${data.counts[state]}</a></li>`,
)}
</ul>
<h2>Filters</h2>
${filterForm(data, input)}
<p><a href="${path}">Clear the filters</a></p>
<h2>Packages with ${input.state} pairs</h2>
<p>${data.totalPackages} ${data.totalPackages === 1 ? 'package' : 'packages'}${data.pageCount > 1 ? `, page ${data.page} of ${data.pageCount}` : ''}.
A vulnerability's age is the number of whole days since it was published, as of ${day(data.asOf)}; severities and CVSS scores come from NVD.</p>
${packageTable(data, input)}
${pagination(path, links.filters, data.page, data.pageCount)}`;
}
