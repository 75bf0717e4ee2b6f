import { type Html, html } from '../html.js';
import { LOGIN_PATH, MY_WORK_PATH, TRIAGE_PATH, maintainerPath, packagePath, vulnerabilityPath, withQuery } from '../urls.js';
import { packageLink, pagination, severityBadge } from './common.js';

/** One open pair as "my work" lists it. */
export interface MyWorkPair {
  readonly branch: string;
  readonly repo: string;
  readonly vulnerabilityId: string;
  /** What rules the pair (the computed state or the triage status). */
  readonly status: string;
  readonly needsReview: boolean;
  readonly severity: string | null;
  readonly cvssScore: number | null;
}

/** An origin package with its open pairs in every branch and repository. */
export interface MyWorkPackage {
  readonly name: string;
  /** How many open pairs it has. */
  readonly open: number;
  /** The ones shown: all of them, or the most urgent when there are many. */
  readonly pairs: readonly MyWorkPair[];
}

export interface MyWorkData {
  readonly email: string | null;
  /** Whether the reader acts on every package: then the queue's most urgent pairs are shown. */
  readonly wholeQueue: boolean;
  /** Packages with open pairs, the most first (for the security team, the queue's top in urgency order). */
  readonly open: readonly MyWorkPackage[];
  /** The reader's other packages (names), with nothing open; listed on the last page. */
  readonly rest: readonly string[];
  readonly page: number;
  readonly pageCount: number;
  /** Open pairs and packages with open pairs, on every page. */
  readonly openPairs: number;
  readonly openPackages: number;
}

function pairsTable(entry: MyWorkPackage): Html {
  return html`<div class="table-scroll"><table>
<caption class="skip">Open pairs of ${entry.name}</caption>
<thead><tr><th scope="col">Vulnerability</th><th scope="col">Branch</th><th scope="col">Repository</th><th scope="col">Severity</th><th scope="col">Status</th></tr></thead>
<tbody>
${entry.pairs.map(
  (pair) => html`<tr>
<th scope="row"><a href="${vulnerabilityPath(pair.vulnerabilityId)}#triage">${pair.vulnerabilityId}</a></th>
<td>${pair.branch}</td>
<td>${pair.repo}</td>
<td>${severityBadge(pair.severity, pair.cvssScore)}</td>
<td>${pair.status}${pair.needsReview ? ' (needs re-review)' : ''}</td>
</tr>
`,
)}</tbody>
</table></div>`;
}

/** A package's open pairs, with where to find the rest when only the most urgent are shown. */
function packageWork(entry: MyWorkPackage): Html {
  const more =
    entry.pairs.length < entry.open
      ? html`<p>The ${entry.pairs.length} most urgent of ${entry.open}; all of them are on <a href="${packagePath(entry.name)}">the package's page</a>.</p>\n`
      : '';
  return html`<h3>${packageLink(entry.name)} <span class="muted">${entry.open} open</span></h3>\n${more}${pairsTable(entry)}`;
}

/** "My work": the reader's open pairs grouped by package, then their other packages. */
export function myWorkView(data: MyWorkData): Html {
  return html`<h1>My work</h1>
<p>${
    data.wholeQueue
      ? html`You act on every package: these are the ${data.openPairs} most urgent open pairs of the <a href="${TRIAGE_PATH}">triage queue</a> (known exploited first, then severity, then age), by package.`
      : html`Open pairs of the packages whose index maintainer has your address (${data.email ?? ''}): ${data.openPairs} in ${data.openPackages} ${data.openPackages === 1 ? 'package' : 'packages'}, the packages with the most first, each with its most urgent pairs first.
Open pairs need work: vulnerable with no triage standing, triaged affected or under investigation, or triaged against data that has changed since.
${data.email === null ? '' : html`All your packages: <a href="${maintainerPath(data.email)}">your maintainer page</a>.`}`
  }</p>
<h2>Open</h2>
${data.open.length === 0 ? html`<p>Nothing open.</p>` : data.open.map(packageWork)}
${pagination(MY_WORK_PATH, {}, data.page, data.pageCount)}
${
  data.wholeQueue
    ? html`<p><a href="${TRIAGE_PATH}">The whole triage queue</a></p>`
    : data.page < data.pageCount
      ? ''
      : html`<h2>The rest of your packages</h2>
${data.rest.length === 0 ? html`<p>None: every package of yours has open work.</p>` : html`<ul class="inline">${data.rest.map((name) => html`<li>${packageLink(name)}</li>`)}</ul>`}`
}`;
}

/** For a reader nobody has signed in as: where to sign in. */
export function signInFirstView(signInAvailable: boolean, returnPath: string): Html {
  return html`<h1>My work</h1>
${
  signInAvailable
    ? html`<p><a href="${withQuery(LOGIN_PATH, { return: returnPath })}">Sign in</a> to see the open vulnerabilities of the packages you maintain.</p>`
    : html`<p>This tracker has no sign-in; an API token (<code>Authorization: Bearer TOKEN</code>) with an e-mail address shows that address's work.</p>`
}`;
}
