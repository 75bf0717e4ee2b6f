import { type Html, html } from '../html.js';
import { STATE_NAMES, type StateName } from '../../store/index.js';
import { EXPORT_PATHS, TRIAGE_PATH, branchFeedPath, branchPath, withQuery } from '../urls.js';
import { type ChartSeries, lineChart } from './chart.js';
import { stateBadge } from './common.js';

export interface HomeData {
  readonly distribution: string;
  readonly branches: readonly {
    readonly name: string;
    readonly endOfSupport: string | null;
    readonly supported: boolean;
    readonly architectures: readonly string[];
    readonly repositories: readonly {
      readonly name: string;
      readonly counts: Readonly<Record<StateName, number>>;
      /** Open pairs (see the README's "Open and resolved"); 0 on a branch past its end of support. */
      readonly open: number;
    }[];
  }[];
  /** Vulnerable pairs per supported branch, at each day the number changed. */
  readonly trend: readonly ChartSeries[];
}

/** The home page: every branch with its state counts per repository, and the trend chart. */
export function homeView(data: HomeData): Html {
  return html`<h1>${data.distribution} security tracker</h1>
<p>Which packages of each release branch are exposed to which vulnerabilities, and why.
Counts are (repository, package, vulnerability) pairs. Open: needs work (vulnerable with no triage, or triaged
affected or under investigation); a branch past its end of support shows end-of-life instead.</p>
<h2>Vulnerable pairs over time</h2>
${lineChart('Vulnerable pairs per supported branch over time', data.trend)}
<h2>Branches</h2>
<div class="table-scroll"><table>
<caption class="skip">State counts per branch and repository</caption>
<thead><tr><th scope="col">Branch</th><th scope="col">Repository</th><th scope="col" class="num">Open</th>${STATE_NAMES.map((state) => html`<th scope="col" class="num">${stateBadge(state)}</th>`)}<th scope="col">Feed</th></tr></thead>
<tbody>
${data.branches.map((branch) =>
  branch.repositories.map(
    (repository, index) => html`<tr>
${index === 0 ? html`<th scope="rowgroup" rowspan="${branch.repositories.length}"><a href="${branchPath(branch.name)}">${branch.name}</a>${branch.supported ? '' : html` <span class="eol">(end of life${branch.endOfSupport === null ? '' : ` since ${branch.endOfSupport}`})</span>`}${branch.supported && branch.endOfSupport !== null ? html`<br><span class="muted">supported until ${branch.endOfSupport}</span>` : ''}</th>` : ''}
<td><a href="${withQuery(branchPath(branch.name), { repo: repository.name })}">${repository.name}</a></td>
<td class="num">${branch.supported ? html`<a href="${withQuery(TRIAGE_PATH, { branch: branch.name, repo: repository.name })}" aria-label="${repository.open} open in ${branch.name}/${repository.name}">${repository.open}</a>` : html`<span class="eol">end-of-life</span>`}</td>
${STATE_NAMES.map((state) => html`<td class="num"><a href="${withQuery(branchPath(branch.name), { repo: repository.name, state })}" aria-label="${repository.counts[state]} ${state} in ${branch.name}/${repository.name}">${repository.counts[state]}</a></td>`)}
${index === 0 ? html`<td rowspan="${branch.repositories.length}"><a href="${branchFeedPath(branch.name)}" type="application/atom+xml">Atom</a></td>` : ''}
</tr>`,
  ),
)}
</tbody>
</table></div>
<h2>Exports</h2>
<p>For scanners and other trackers, rebuilt whenever the data changes:
<a href="${EXPORT_PATHS.osvIndex}">OSV</a> (one record per vulnerability, listed in all.json),
<a href="${EXPORT_PATHS.openVex}">OpenVEX</a>,
<a href="${EXPORT_PATHS.csafIndex}">CSAF VEX</a> (one document per vulnerability, listed in index.txt),
<a href="${EXPORT_PATHS.states}">every state as CSV</a>, and each repository's secdb:
${data.branches.map((branch) => branch.repositories.map((repository) => html`<a href="${EXPORT_PATHS.secdb(branch.name, repository.name)}">${branch.name}/${repository.name}</a> `))}</p>`;
}
