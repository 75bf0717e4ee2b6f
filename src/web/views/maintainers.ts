import { type Html, html } from '../html.js';
import type { OpenPair } from '../../store/index.js';
import { branchPath, maintainerFeedPath, maintainerPath, maintainersPath, orphansPath, vulnerabilityPath, withQuery } from '../urls.js';
import { branchFilterForm, packageLink, pagination, severityBadge } from './common.js';

/** One person as the package indexes name them: all spellings of one maintainer key. */
export interface MaintainerIdentity {
  /** `maintainerKey()`: the e-mail address, or the whole text when there is none. */
  readonly key: string;
  /** The name of the first spelling (in byte order), so every page shows the same one. */
  readonly name: string;
  readonly email: string | null;
  /** Every maintainer text with this key, in byte order. */
  readonly spellings: readonly string[];
}

export interface MaintainerSummary extends MaintainerIdentity {
  /** Distinct package names the indexes list with this maintainer, over all branches. */
  readonly packages: number;
  /** Open (branch, package, vulnerability) pairs of those packages, in supported branches (`countOpenPairs`). */
  readonly open: number;
}

export interface MaintainersData {
  readonly page: number;
  readonly pageCount: number;
  readonly total: number;
  readonly maintainers: readonly MaintainerSummary[];
}

export interface MaintainerInput {
  readonly key: string;
  readonly branch: string | undefined;
  readonly page: number;
}

export interface MaintainerPackageEntry {
  readonly branch: string;
  readonly repo: string;
  readonly name: string;
  readonly version: string;
  /** Pairs that need work (the triage's open, not only the computed vulnerable ones). */
  readonly open: number;
  readonly vulnerable: readonly OpenPair[];
  readonly unknown: readonly OpenPair[];
}

export interface MaintainerData extends MaintainerIdentity {
  /** Every branch name, in reading order, for the filter. */
  readonly branches: readonly string[];
  readonly page: number;
  readonly pageCount: number;
  /** Packages (per branch and repository) on all pages. */
  readonly totalPackages: number;
  readonly packages: readonly MaintainerPackageEntry[];
}

/** The maintainer list: one row per person, most open pairs first. */
export function maintainersView(data: MaintainersData): Html {
  return html`<h1>Maintainers</h1>
<p>The people the package indexes name as maintainers, one row per e-mail address (a name without one is its own row),
with how many packages they maintain in any branch and the open (branch, package, vulnerability) pairs of those packages
in supported branches: vulnerable with no triage standing, triaged affected or under investigation, or due for re-review.
Most open pairs first. Packages nobody maintains are listed as <a href="${orphansPath()}">orphaned packages</a>.</p>
<h2>All maintainers</h2>
<p>${data.total} ${data.total === 1 ? 'maintainer' : 'maintainers'}${data.pageCount > 1 ? `, page ${data.page} of ${data.pageCount}` : ''}.</p>
${
  data.maintainers.length === 0
    ? html`<p>No package index names a maintainer.</p>`
    : html`<div class="table-scroll"><table>
<caption class="skip">Maintainers with their package counts and open pairs</caption>
<thead><tr><th scope="col">Maintainer</th><th scope="col">E-mail</th><th scope="col" class="num">Packages</th><th scope="col" class="num">Open pairs</th></tr></thead>
<tbody>
${data.maintainers.map(
  (person) => html`<tr>
<th scope="row"><a href="${maintainerPath(person.key)}">${person.name}</a></th>
<td>${person.email ?? html`<span class="muted">none</span>`}</td>
<td class="num">${person.packages}</td>
<td class="num">${person.open}</td>
</tr>
`,
)}</tbody>
</table></div>`
}
${pagination(maintainersPath(), {}, data.page, data.pageCount)}`;
}

function pairList(pairs: readonly OpenPair[]): Html {
  if (pairs.length === 0) return html`<span class="muted">none</span>`;
  return html`<ul>${pairs.map(
    (pair) =>
      html`<li><a href="${vulnerabilityPath(pair.vulnerabilityId)}">${pair.vulnerabilityId}</a> ${severityBadge(pair.severity, pair.cvssScore)}${
        pair.fixedVersion === null ? '' : html`, fixed in <span class="mono">${pair.fixedVersion}</span>`
      }</li>`,
  )}</ul>`;
}

function packagesTable(data: MaintainerData): Html {
  return html`<div class="table-scroll"><table>
<caption class="skip">${data.name}'s packages with their open work, most open pairs first</caption>
<thead><tr><th scope="col">Package</th><th scope="col">Branch</th><th scope="col">Repository</th><th scope="col">Version</th><th scope="col" class="num">Open pairs</th><th scope="col">Vulnerable</th><th scope="col">Unknown</th></tr></thead>
<tbody>
${data.packages.map(
  (entry) => html`<tr>
<th scope="row">${packageLink(entry.name)}</th>
<td><a href="${withQuery(branchPath(entry.branch), { maintainer: data.key })}">${entry.branch}</a></td>
<td>${entry.repo}</td>
<td class="mono">${entry.version}</td>
<td class="num">${entry.open}</td>
<td>${pairList(entry.vulnerable)}</td>
<td>${pairList(entry.unknown)}</td>
</tr>
`,
)}</tbody>
</table></div>`;
}

/** One maintainer: who they are, the branch filter, and a page of their packages with open vulnerabilities. */
export function maintainerView(data: MaintainerData, input: MaintainerInput): Html {
  const path = maintainerPath(data.key);
  return html`<h1>Maintainer ${data.name}</h1>
<dl class="facts">
${data.email === null ? '' : html`<dt>E-mail</dt><dd>${data.email}</dd>`}
<dt>${data.spellings.length === 1 ? 'As the indexes write it' : 'As the indexes write it (several ways)'}</dt><dd><ul>${data.spellings.map((text) => html`<li>${text}</li>`)}</ul></dd>
<dt>Feed</dt><dd><a href="${maintainerFeedPath(data.key)}" type="application/atom+xml">State changes of these packages (Atom)</a></dd>
</dl>
<h2>Filter</h2>
${branchFilterForm(path, data.branches, input.branch)}
<h2>Packages</h2>
<p>${data.totalPackages} ${data.totalPackages === 1 ? 'package' : 'packages'} (one per branch and repository that publishes it)${
    data.pageCount > 1 ? `, page ${data.page} of ${data.pageCount}` : ''
  }, most open pairs first, then by name. Open pairs need work: vulnerable with no triage standing, triaged affected or
under investigation, or triaged against data that has changed since. Unknown pairs could not be decided (no usable version
range or version) and need a look. A branch links to its page with this person's vulnerable pairs there. Severities and
CVSS scores come from NVD.</p>
${data.packages.length === 0 ? html`<p>No package in this branch.</p>` : packagesTable(data)}
${pagination(path, { branch: input.branch }, data.page, data.pageCount)}`;
}
