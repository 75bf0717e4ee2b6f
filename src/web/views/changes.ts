import { type Html, html } from '../html.js';
import { STATE_NAMES, type StateChangeRow, type StateName } from '../../store/index.js';
import { pageQueryValue } from '../paging.js';
import { branchFeedPath, branchPath, changesPath, feedPath, vulnerabilityPath, withQuery } from '../urls.js';
import { packageLink, selectOption, severityBadge, stateBadge } from './common.js';

export interface ChangesInput {
  readonly page: number;
  readonly branch?: string;
  /** The state changed to. */
  readonly state?: StateName;
}

export interface ChangesData {
  /** Every branch, for the filter form. */
  readonly branches: readonly string[];
  readonly changes: readonly StateChangeRow[];
  readonly hasNextPage: boolean;
}

/** The old state in words: a pair without one got its first state. */
const oldStateLabel = (state: StateName | null): string => state ?? 'none';
/** The new state in words: a pair without one no longer applies (its package or record went). */
export const newStateLabel = (state: StateName | null): string => state ?? 'removed';

/** "busybox 3.16/main: CVE-2023-42366 unknown → vulnerable", the one-line name of a change. */
export function changeTitle(change: StateChangeRow): string {
  return `${change.package} ${change.branch}/${change.repo}: ${change.vulnerabilityId} ${oldStateLabel(change.oldState)} → ${newStateLabel(change.newState)}`;
}

/** The changes page with these filters at `page` (1 is the first). */
export function changesPagePath(input: ChangesInput, page: number): string {
  return withQuery(changesPath(), { branch: input.branch, state: input.state, page: pageQueryValue(page) });
}

function stateCell(state: StateName | null, missing: string): Html {
  return state === null ? html`<span class="muted">${missing}</span>` : stateBadge(state);
}

function filterForm(data: ChangesData, input: ChangesInput): Html {
  return html`<form class="filters" method="get" action="${changesPath()}">
<label for="changes-branch">Branch
<select id="changes-branch" name="branch">${selectOption('', 'all', input.branch === undefined)}${data.branches.map((name) => selectOption(name, name, name === input.branch))}</select></label>
<label for="changes-state">New state
<select id="changes-state" name="state">${selectOption('', 'any', input.state === undefined)}${STATE_NAMES.map((state) => selectOption(state, state, state === input.state))}</select></label>
<button type="submit">Apply</button>
</form>`;
}

function changeRow(change: StateChangeRow): Html {
  return html`<tr id="change-${change.id}">
<td><time datetime="${change.changedAt}">${change.changedAt.slice(0, 16).replace('T', ' ')}</time></td>
<td><a href="${branchPath(change.branch)}">${change.branch}</a>/${change.repo}</td>
<th scope="row">${packageLink(change.package)}</th>
<td><a href="${vulnerabilityPath(change.vulnerabilityId)}">${change.vulnerabilityId}</a></td>
<td>${severityBadge(change.severity, change.cvssScore)}</td>
<td>${stateCell(change.oldState, oldStateLabel(null))} → ${stateCell(change.newState, newStateLabel(null))}</td>
<td>${change.cause}</td>
</tr>
`;
}

function pageLinks(data: ChangesData, input: ChangesInput): Html {
  if (input.page === 1 && !data.hasNextPage) return html``;
  return html`<nav class="pages" aria-label="Pages">
${input.page > 1 ? html`<a href="${changesPagePath(input, input.page - 1)}" rel="prev">← Newer</a>` : ''}
<span>Page ${input.page}</span>
${data.hasNextPage ? html`<a href="${changesPagePath(input, input.page + 1)}" rel="next">Older →</a>` : ''}
</nav>`;
}

/** The recent changes page: the filter form and one page of state changes, newest first. */
export function changesView(data: ChangesData, input: ChangesInput): Html {
  const scope = [input.branch === undefined ? '' : ` in ${input.branch}`, input.state === undefined ? '' : ` to ${input.state}`].join('');
  return html`<h1>Recent changes${scope}</h1>
<p>Every change of a (repository, package, vulnerability) pair's state, newest first, with what caused it.
Follow them in a feed reader: <a href="${feedPath()}" type="application/atom+xml">all changes (Atom)</a>${
  input.branch === undefined ? '' : html`, <a href="${branchFeedPath(input.branch)}" type="application/atom+xml">changes in ${input.branch} (Atom)</a>`
}.</p>
${filterForm(data, input)}
<h2>Changes</h2>
${
  data.changes.length === 0
    ? html`<p>No state change matches these filters.</p>`
    : html`<div class="table-scroll"><table>
<caption class="skip">State changes${scope}, newest first</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Branch/repository</th><th scope="col">Package</th><th scope="col">Vulnerability</th><th scope="col">Severity</th><th scope="col">Change</th><th scope="col">Cause</th></tr></thead>
<tbody>
${data.changes.map(changeRow)}</tbody>
</table></div>`
}
${pageLinks(data, input)}`;
}
