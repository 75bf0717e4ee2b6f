import { type Html, html } from '../html.js';
import { branchPath, orphansPath } from '../urls.js';
import { branchFilterForm, packageLink, pagination } from './common.js';

export interface OrphansInput {
  readonly branch: string | undefined;
  readonly page: number;
}

/** One orphaned package of one branch and repository. */
export interface OrphanEntry {
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly version: string;
  /** Pairs that need work (the triage's open). */
  readonly open: number;
  /** Pairs in computed state vulnerable. */
  readonly vulnerable: number;
}

export interface OrphansData {
  /** Every branch name, in reading order, for the filter. */
  readonly branches: readonly string[];
  readonly page: number;
  readonly pageCount: number;
  readonly total: number;
  readonly packages: readonly OrphanEntry[];
}

/** The orphaned packages: the branch filter and a page of packages with their vulnerable pairs. */
export function orphansView(data: OrphansData, input: OrphansInput): Html {
  return html`<h1>Orphaned packages${input.branch === undefined ? '' : ` in ${input.branch}`}</h1>
<p>Packages the indexes publish without a maintainer, per branch and repository, with their newest version and the
number of open and of vulnerable (repository, package, vulnerability) pairs: nobody is known to look after their fixes.
Most open pairs first, then by name. Open pairs need work: vulnerable with no triage standing, triaged affected or under
investigation, or triaged against data that has changed since.</p>
<h2>Filter</h2>
${branchFilterForm(orphansPath(), data.branches, input.branch)}
<h2>Packages</h2>
<p>${data.total} ${data.total === 1 ? 'package' : 'packages'}${data.pageCount > 1 ? `, page ${data.page} of ${data.pageCount}` : ''}.</p>
${
  data.packages.length === 0
    ? html`<p>Every published package has a maintainer.</p>`
    : html`<div class="table-scroll"><table>
<caption class="skip">Orphaned packages with their newest version and open and vulnerable pairs, most open first</caption>
<thead><tr><th scope="col">Branch</th><th scope="col">Repository</th><th scope="col">Package</th><th scope="col">Version</th><th scope="col" class="num">Open pairs</th><th scope="col" class="num">Vulnerable pairs</th></tr></thead>
<tbody>
${data.packages.map(
  (entry) => html`<tr>
<td><a href="${branchPath(entry.branch)}">${entry.branch}</a></td>
<td>${entry.repo}</td>
<th scope="row">${packageLink(entry.package)}</th>
<td class="mono">${entry.version}</td>
<td class="num">${entry.open}</td>
<td class="num">${entry.vulnerable}</td>
</tr>
`,
)}</tbody>
</table></div>`
}
${pagination(orphansPath(), { branch: input.branch }, data.page, data.pageCount)}`;
}
