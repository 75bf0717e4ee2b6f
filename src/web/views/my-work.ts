import { type Html, html } from '../html.js';
import { LOGIN_PATH, TRIAGE_PATH, maintainerPath, vulnerabilityPath, withQuery } from '../urls.js';
import { packageLink, severityBadge } from './common.js';

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
  readonly pairs: readonly MyWorkPair[];
}

export interface MyWorkData {
  readonly email: string | null;
  /** Whether the reader acts on every package: then the queue's most urgent pairs are shown. */
  readonly wholeQueue: boolean;
  /** Packages with open pairs, the most first (for the security team, the queue's top in urgency order). */
  readonly open: readonly MyWorkPackage[];
  /** The reader's other packages (names), with nothing open. */
  readonly rest: readonly string[];
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

/** "My work": the reader's open pairs grouped by package, then their other packages. */
export function myWorkView(data: MyWorkData): Html {
  const count = data.open.reduce((sum, entry) => sum + entry.pairs.length, 0);
  return html`<h1>My work</h1>
<p>${
    data.wholeQueue
      ? html`You act on every package: these are the ${count} most urgent open pairs of the <a href="${TRIAGE_PATH}">triage queue</a> (known exploited first, then severity, then age), by package.`
      : html`Open pairs of the packages whose index maintainer has your address (${data.email ?? ''}), the packages with the most first.
Open pairs need work: vulnerable with no triage standing, triaged affected or under investigation, or triaged against data that has changed since.
${data.email === null ? '' : html`All your packages: <a href="${maintainerPath(data.email)}">your maintainer page</a>.`}`
  }</p>
<h2>Open</h2>
${data.open.length === 0 ? html`<p>Nothing open.</p>` : data.open.map((entry) => html`<h3>${packageLink(entry.name)} <span class="muted">${entry.pairs.length} open</span></h3>\n${pairsTable(entry)}`)}
${
  data.wholeQueue
    ? html`<p><a href="${TRIAGE_PATH}">The whole triage queue</a></p>`
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
