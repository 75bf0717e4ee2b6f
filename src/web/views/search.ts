import { type Html, html } from '../html.js';
import type { SearchPage, VulnerabilitySearchPage } from '../../store/index.js';
import { maintainerPath, searchPath, vulnerabilityPath } from '../urls.js';
import { day, packageLink, pagination, severityBadge } from './common.js';

/** Hits shown of each list on one page. */
export const SEARCH_LIMIT = 50;

export interface SearchInput {
  /** The search text, trimmed; undefined when none was given. */
  readonly q: string | undefined;
  /** The page of every list: hits from (page - 1) x SEARCH_LIMIT. */
  readonly page: number;
}

/** The vulnerability, package or maintainer whose id, name or e-mail address is the search text (ignoring ASCII case). */
export interface ExactMatch {
  readonly kind: 'vulnerability' | 'package' | 'maintainer';
  readonly id: string;
  readonly url: string;
}

export interface SearchData {
  readonly q: string | undefined;
  readonly page: number;
  /** The most pages any of the lists needs. */
  readonly pageCount: number;
  readonly exactMatch: ExactMatch | undefined;
  readonly vulnerabilities: VulnerabilitySearchPage;
  readonly packages: SearchPage<string>;
  /** Maintainer texts as the indexes write them (`Name <e-mail>`). */
  readonly maintainers: SearchPage<string>;
}

/** Descriptions are cut to this many characters in the result list. */
const DESCRIPTION_LENGTH = 240;

const excerpt = (text: string) => (text.length > DESCRIPTION_LENGTH ? `${text.slice(0, DESCRIPTION_LENGTH)}…` : text);

function searchForm(q: string | undefined): Html {
  return html`<form class="filters" method="get" action="${searchPath()}">
<label for="search-q">Search for
<input id="search-q" type="search" name="q" value="${q ?? ''}" maxlength="200" placeholder="CVE-2023-42366, busybox, overflow heap"></label>
<button type="submit">Search</button>
</form>`;
}

const HELP = html`<h2>What you can search</h2>
<ul>
<li>A vulnerability id, whole or its start: <code>CVE-2023-42366</code>, <code>cve-2023-4</code>, <code>GHSA-</code>, <code>ALPINE-</code>.</li>
<li>Words of a vulnerability's description, in any order: <code>heap overflow</code> finds descriptions holding both words. Words are letters and digits; quotes, <code>-</code>, <code>*</code> and <code>OR</code> are plain text, not operators.</li>
<li>A package name or part of one: <code>busybox</code>, <code>ssl</code> (binary package names such as <code>libssl3</code> lead to their origin).</li>
<li>A maintainer's name or e-mail address, or part of one.</li>
</ul>
<p>Case does not matter. An exact vulnerability id, package name or maintainer e-mail address opens its page directly.</p>`;

/** "Hits 51–100 of 240." for a list on this page ("of more than 1000" past the vulnerabilities' count limit). */
function countNote(list: SearchPage<unknown>, page: number, moreThanTotal = false): string {
  const first = (page - 1) * SEARCH_LIMIT + 1;
  if (list.total <= SEARCH_LIMIT) return `${list.total} ${list.total === 1 ? 'hit' : 'hits'}.`;
  return `Hits ${first}–${first + list.hits.length - 1} of ${moreThanTotal ? `more than ${list.total}` : list.total}.`;
}

function vulnerabilityResults(data: SearchData): Html {
  const list = data.vulnerabilities;
  if (list.total === 0) return html`<p>No vulnerability id starts with this text and no description holds all its words.</p>`;
  if (list.hits.length === 0) return html`<p>All ${list.total} hits are on earlier pages.</p>`;
  return html`<p>${countNote(list, data.page, list.moreThanTotal)}</p>
<div class="table-scroll"><table>
<caption class="skip">Vulnerabilities matching the search</caption>
<thead><tr><th scope="col">Id</th><th scope="col">Severity</th><th scope="col">Published</th><th scope="col">Description</th></tr></thead>
<tbody>
${list.hits.map(
  (hit) => html`<tr>
<th scope="row"><a href="${vulnerabilityPath(hit.id)}">${hit.id}</a></th>
<td>${severityBadge(hit.severity, hit.cvssScore)}</td>
<td>${day(hit.published)}</td>
<td>${hit.description === null ? html`<span class="muted">no feed record</span>` : excerpt(hit.description)}</td>
</tr>
`,
)}</tbody>
</table></div>`;
}

function nameResults(list: SearchPage<string>, page: number, none: string, link: (name: string) => Html): Html {
  if (list.total === 0) return html`<p>${none}</p>`;
  if (list.hits.length === 0) return html`<p>All ${list.total} hits are on earlier pages.</p>`;
  return html`<p>${countNote(list, page)}</p>
<ul class="inline">${list.hits.map((name) => html`<li>${link(name)}</li>`)}</ul>`;
}

/** The search page: the form, then help when nothing was asked, else the result lists and their pages. */
export function searchView(data: SearchData): Html {
  if (data.q === undefined) return html`<h1>Search</h1>
${searchForm(data.q)}
${HELP}`;
  return html`<h1>Search</h1>
${searchForm(data.q)}
<h2>Vulnerabilities</h2>
${vulnerabilityResults(data)}
<h2>Packages</h2>
${nameResults(data.packages, data.page, 'No package name contains this text.', packageLink)}
<h2>Maintainers</h2>
${nameResults(data.maintainers, data.page, 'No maintainer name or e-mail address contains this text.', (maintainer) => html`<a href="${maintainerPath(maintainer)}">${maintainer}</a>`)}
${pagination(searchPath(), { q: data.q }, data.page, data.pageCount)}`;
}
