import { type Html, html } from '../html.js';
import type { VulnerabilityHit } from '../../store/index.js';
import { searchPath, vulnerabilityPath } from '../urls.js';
import { day, packageLink, severityBadge } from './common.js';

/** Hits shown of each list; one more is read to know whether there are more. */
export const SEARCH_LIMIT = 50;

export interface SearchInput {
  /** The search text, trimmed; undefined when none was given. */
  readonly q: string | undefined;
}

/** The vulnerability or package whose id or name is the search text (ignoring ASCII case). */
export interface ExactMatch {
  readonly kind: 'vulnerability' | 'package';
  readonly id: string;
  readonly url: string;
}

export interface SearchData {
  readonly q: string | undefined;
  readonly exactMatch: ExactMatch | undefined;
  readonly vulnerabilities: readonly VulnerabilityHit[];
  /** More vulnerabilities match than are listed. */
  readonly vulnerabilitiesCapped: boolean;
  readonly packages: readonly string[];
  readonly packagesCapped: boolean;
}

/** Descriptions are cut to this many characters in the result list. */
const DESCRIPTION_LENGTH = 240;

const excerpt = (text: string) => (text.length > DESCRIPTION_LENGTH ? `${text.slice(0, DESCRIPTION_LENGTH)}…` : text);

function searchForm(q: string | undefined): Html {
  return html`<form class="filters" method="get" action="${searchPath()}">
<label for="search-q">Search for
<input id="search-q" type="search" name="q" value="${q ?? ''}" maxlength="200" placeholder="CVE-2023-42366, busybox, heap overflow"></label>
<button type="submit">Search</button>
</form>`;
}

const HELP = html`<h2>What you can search</h2>
<ul>
<li>A vulnerability id, whole or its start: <code>CVE-2023-42366</code>, <code>cve-2023-4</code>, <code>GHSA-</code>, <code>ALPINE-</code>.</li>
<li>A package name or part of one: <code>busybox</code>, <code>openssl</code>.</li>
<li>Words of a vulnerability's description: <code>heap overflow</code>.</li>
</ul>
<p>Case does not matter. An exact vulnerability id or package name opens its page directly.</p>`;

function capNote(shown: number, capped: boolean): string {
  if (capped) return `The first ${SEARCH_LIMIT} hits; more match, so try a longer or more exact text.`;
  return `${shown} ${shown === 1 ? 'hit' : 'hits'}.`;
}

function vulnerabilityResults(data: SearchData): Html {
  if (data.vulnerabilities.length === 0) return html`<p>No vulnerability id starts with this text and no description contains it.</p>`;
  return html`<p>${capNote(data.vulnerabilities.length, data.vulnerabilitiesCapped)}</p>
<div class="table-scroll"><table>
<caption class="skip">Vulnerabilities matching the search</caption>
<thead><tr><th scope="col">Id</th><th scope="col">Severity</th><th scope="col">Published</th><th scope="col">Description</th></tr></thead>
<tbody>
${data.vulnerabilities.map(
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

function packageResults(data: SearchData): Html {
  if (data.packages.length === 0) return html`<p>No package name contains this text.</p>`;
  return html`<p>${capNote(data.packages.length, data.packagesCapped)}</p>
<ul class="inline">${data.packages.map((name) => html`<li>${packageLink(name)}</li>`)}</ul>`;
}

/** The search page: the form, then help when nothing was asked, else both result lists. */
export function searchView(data: SearchData): Html {
  return html`<h1>Search</h1>
${searchForm(data.q)}
${
  data.q === undefined
    ? HELP
    : html`<h2>Vulnerabilities</h2>
${vulnerabilityResults(data)}
<h2>Packages</h2>
${packageResults(data)}`
}`;
}
