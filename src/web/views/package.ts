import { type Html, html } from '../html.js';
import { STATE_NAMES } from '../../store/index.js';
import type { PackageData, PackageInput, PackageRepositoryEntry } from '../routes/package.js';
import { branchPath, packageFeedPath, packagePath, vulnerabilityPath } from '../urls.js';
import { day, maintainerLink, pagination, selectOption, severityBadge, stateBadge } from './common.js';

function versionsTable(data: PackageData): Html {
  if (data.repositories.length === 0) return html`<p>No branch publishes ${data.name} now or did before; it is known from secfixes or states only.</p>`;
  return html`<div class="table-scroll"><table>
<caption class="skip">Published versions and maintainer per branch and repository</caption>
<thead><tr><th scope="col">Branch</th><th scope="col">Repository</th><th scope="col">Maintainer</th><th scope="col">Published version</th><th scope="col">First seen</th></tr></thead>
<tbody>
${data.repositories.map(
  (repository) => html`<tr>
<th scope="row"><a href="${branchPath(repository.branch)}">${repository.branch}</a></th>
<td>${repository.repo}</td>
<td>${maintainerLink(repository.maintainer)}</td>
<td>${repository.current.length === 0 ? html`<span class="muted">none (removed)</span>` : repository.current.map((version, index) => html`${index === 0 ? '' : ', '}<code>${version.version}</code>`)}</td>
<td>${repository.current.map((version) => day(version.firstSeen)).join(', ')}</td>
</tr>
`,
)}</tbody>
</table></div>`;
}

function historyRows(repository: PackageRepositoryEntry): Html[] {
  return repository.history.map(
    (version, index) => html`<tr>
${index === 0 ? html`<th scope="rowgroup" rowspan="${repository.history.length}">${repository.branch}/${repository.repo}${repository.removedCount > repository.history.length ? html`<br><span class="muted">newest ${repository.history.length} of ${repository.removedCount}</span>` : ''}</th>` : ''}
<td><code>${version.version}</code></td><td>${day(version.firstSeen)}</td><td>${day(version.lastSeen)}</td><td>${day(version.removedAt)}</td>
</tr>
`,
  );
}

function historyTable(data: PackageData): Html {
  const repositories = data.repositories.filter((repository) => repository.history.length > 0);
  if (repositories.length === 0) return html`<p>No version of ${data.name} has been removed from an index the tracker reads.</p>`;
  return html`<div class="table-scroll"><table>
<caption class="skip">Removed versions per branch and repository, newest first</caption>
<thead><tr><th scope="col">Branch/repository</th><th scope="col">Version</th><th scope="col">First seen</th><th scope="col">Last seen</th><th scope="col">Removed</th></tr></thead>
<tbody>
${repositories.map(historyRows)}</tbody>
</table></div>`;
}

function secfixesTable(data: PackageData): Html {
  if (data.secfixes.length === 0) return html`<p>No secfixes line names ${data.name}.</p>`;
  return html`<div class="table-scroll"><table>
<caption class="skip">Secfixes lines per branch and repository, newest version first</caption>
<thead><tr><th scope="col">Branch</th><th scope="col">Repository</th><th scope="col">Fixed version</th><th scope="col">Vulnerabilities</th></tr></thead>
<tbody>
${data.secfixes.map(
  (line) => html`<tr><td><a href="${branchPath(line.branch)}">${line.branch}</a></td><td>${line.repo}</td><th scope="row"><code>${line.version}</code>${line.notAffected ? ' (not affected)' : ''}</th>
<td>${line.vulnerabilities.map((vulnerability, index) => html`${index === 0 ? '' : ', '}<a href="${vulnerabilityPath(vulnerability.id)}">${vulnerability.id}</a>${vulnerability.note === null ? '' : html` <span class="muted">(${vulnerability.note})</span>`}`)}</td></tr>
`,
)}</tbody>
</table></div>`;
}

function stateCountsTable(data: PackageData): Html {
  return html`<div class="table-scroll"><table>
<caption class="skip">State counts of ${data.name} per branch and repository</caption>
<thead><tr><th scope="col">Branch</th><th scope="col">Repository</th>${STATE_NAMES.map((state) => html`<th scope="col" class="num">${stateBadge(state)}</th>`)}</tr></thead>
<tbody>
${data.stateCounts.map(
  (entry) => html`<tr><th scope="row"><a href="${branchPath(entry.branch)}">${entry.branch}</a></th><td>${entry.repo}</td>${STATE_NAMES.map((state) => html`<td class="num">${entry.counts[state]}</td>`)}</tr>\n`,
)}</tbody>
</table></div>`;
}

function stateFilter(data: PackageData, input: PackageInput): Html {
  return html`<form class="filters" method="get" action="${packagePath(data.name)}">
<label>Vulnerabilities with this state somewhere
<select name="state">${selectOption('', 'any state', input.state === undefined)}${STATE_NAMES.map((state) => selectOption(state, state, input.state === state))}</select>
</label>
<button type="submit">Show</button>
</form>`;
}

/** A table of the page's vulnerabilities, one column per repository that has states. */
function stateMatrix(data: PackageData, input: PackageInput): Html {
  if (data.vulnerabilities.length === 0) return html`<p>No vulnerability of ${data.name}${input.state === undefined ? '' : html` is ${input.state} anywhere`}.</p>`;
  const columns = data.stateCounts;
  return html`<div class="table-scroll"><table>
<caption class="skip">State of each vulnerability of ${data.name} per branch and repository, with the fixed version</caption>
<thead><tr><th scope="col">Vulnerability</th><th scope="col">Severity</th>${columns.map((column) => html`<th scope="col">${column.branch}/${column.repo}</th>`)}</tr></thead>
<tbody>
${data.vulnerabilities.map((vulnerability) => {
  const byPlace = new Map(vulnerability.states.map((state) => [`${state.branch}\u0000${state.repo}`, state]));
  return html`<tr><th scope="row"><a href="${vulnerabilityPath(vulnerability.id)}">${vulnerability.id}</a></th><td>${severityBadge(vulnerability.severity, vulnerability.cvssScore)}</td>${columns.map((column) => {
    const state = byPlace.get(`${column.branch}\u0000${column.repo}`);
    return html`<td>${state === undefined ? html`<span class="muted">—</span>` : html`${stateBadge(state.state)}${state.fixedVersion === null ? '' : html` <code>${state.fixedVersion}</code>`}`}</td>`;
  })}</tr>\n`;
})}</tbody>
</table></div>
${pagination(packagePath(data.name), { state: input.state }, data.page, data.pageCount)}`;
}

/** The package page: versions and maintainers per branch, its vulnerabilities' states, its secfixes and removed versions. */
export function packageView(data: PackageData, input: PackageInput): Html {
  return html`<h1>${data.name}</h1>
<p>Source package (origin) across the tracked branches. <a href="${packageFeedPath(data.name)}" type="application/atom+xml">State changes (Atom)</a></p>
<h2>Versions</h2>
${versionsTable(data)}
<h2>Vulnerabilities</h2>
${data.stateCounts.length === 0 ? html`<p>No vulnerability has a state for ${data.name}.</p>` : html`${stateCountsTable(data)}
${stateFilter(data, input)}
<p>${data.totalVulnerabilities} ${data.totalVulnerabilities === 1 ? 'vulnerability' : 'vulnerabilities'}${input.state === undefined ? '' : html` ${input.state} in some repository`}, newest first.</p>
${stateMatrix(data, input)}`}
<h2>Secfixes</h2>
${secfixesTable(data)}
<h2>Removed versions</h2>
${historyTable(data)}`;
}
