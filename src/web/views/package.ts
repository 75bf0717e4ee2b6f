import { type Html, html } from '../html.js';
import { type BinaryOrigin, STATE_NAMES, type SecfixSource, type StateName } from '../../store/index.js';
import { auditPath, branchPath, packageFeedPath, packagePath, vulnerabilityPath, withQuery } from '../urls.js';
import { day, maintainerLink, pagination, selectOption, severityBadge, stateBadge } from './common.js';

export interface PackageInput {
  readonly name: string;
  /** Only vulnerabilities with this state in some repository. */
  readonly state: StateName | undefined;
  readonly page: number;
  /** The binary package name the reader came by (`?binary=`), to be named on the page. */
  readonly binary: string | undefined;
}

export interface PackageVersionEntry {
  readonly version: string;
  /** The maintainer this version's index entry named. */
  readonly maintainer: string | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly removedAt: string | null;
}

/** The package in one repository: who maintains it, what it publishes, what it published before. */
export interface PackageRepositoryEntry {
  readonly branch: string;
  readonly repo: string;
  readonly maintainer: string | null;
  readonly current: readonly PackageVersionEntry[];
  /** The most recently removed versions, newest first. */
  readonly history: readonly PackageVersionEntry[];
  /** All removed versions, of which `history` lists at most VERSION_HISTORY_LIMIT. */
  readonly removedCount: number;
}

/** One `version: [ids]` line of the secfixes of one repository. */
export interface PackageSecfixLine {
  readonly branch: string;
  readonly repo: string;
  /** The fixed version, or `0`. */
  readonly version: string;
  /** Version `0`: the ids never affected the package. */
  readonly notAffected: boolean;
  readonly vulnerabilities: readonly { readonly id: string; readonly note: string | null; readonly sources: readonly SecfixSource[] }[];
}

export interface PackageStateEntry {
  readonly branch: string;
  readonly repo: string;
  readonly state: StateName;
  readonly version: string | null;
  readonly fixedVersion: string | null;
  readonly updatedAt: string;
}

/** One vulnerability of the package with its state in each repository that has one. */
export interface PackageVulnerabilityEntry {
  readonly id: string;
  readonly severity: string | null;
  readonly cvssScore: number | null;
  readonly published: string | null;
  readonly states: readonly PackageStateEntry[];
}

/** Where a binary package is built from one origin: the repositories publishing it from there. */
export interface BuiltBinary {
  readonly name: string;
  readonly places: readonly { readonly branch: string; readonly repo: string }[];
}

export interface PackageData {
  readonly name: string;
  /** The binary the reader came by, where this package builds it; null without one or when this package builds none of that name. */
  readonly binary: BuiltBinary | null;
  /**
   * For a name that is no origin but a binary built from several (in different branches or
   * repositories): each origin and where, for the reader to choose. Empty for an origin.
   */
  readonly binaryOf: readonly BinaryOrigin[];
  readonly repositories: readonly PackageRepositoryEntry[];
  readonly secfixes: readonly PackageSecfixLine[];
  /** State counts of each repository with states, in branch order. */
  readonly stateCounts: readonly { readonly branch: string; readonly repo: string; readonly counts: Readonly<Record<StateName, number>> }[];
  readonly page: number;
  readonly pageCount: number;
  /** Vulnerabilities matching the state filter, over all pages. */
  readonly totalVulnerabilities: number;
  readonly vulnerabilities: readonly PackageVulnerabilityEntry[];
}

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

/** The page of an origin for a reader who came by the name of one of its binary packages. */
export const binaryOriginPath = (origin: string, binary: string): string => withQuery(packagePath(origin), { binary });

const placesText = (places: readonly { readonly branch: string; readonly repo: string }[]) => places.map((place) => `${place.branch}/${place.repo}`).join(', ');

/** The choice for a binary name built from several origins: each origin with where it builds the binary. */
function binaryChoiceView(data: PackageData): Html {
  const origins = [...new Set(data.binaryOf.map((entry) => entry.origin))];
  return html`<h1>${data.name}</h1>
<p>${data.name} is a binary package, built from different source packages (origins) in different branches or repositories. Choose one:</p>
<ul>
${origins.map((origin) => html`<li><a href="${binaryOriginPath(origin, data.name)}">${origin}</a> in ${placesText(data.binaryOf.filter((entry) => entry.origin === origin))}</li>\n`)}</ul>`;
}

/** The package page: versions and maintainers per branch, its vulnerabilities' states, its secfixes and removed versions. */
export function packageView(data: PackageData, input: PackageInput): Html {
  if (data.binaryOf.length > 0) return binaryChoiceView(data);
  return html`<h1>${data.name}</h1>
${data.binary === null ? '' : html`<p class="note">${data.binary.name} is built from ${data.name} (in ${placesText(data.binary.places)}).</p>`}
<p>Source package (origin) across the tracked branches. <a href="${packageFeedPath(data.name)}" type="application/atom+xml">State changes (Atom)</a>
· <a href="${withQuery(auditPath(), { package: data.name })}">Audit history</a></p>
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
