import { TRIAGE_JUSTIFICATIONS, TRIAGE_STATUSES, type TriageEvent } from '../../base/triage.js';
import type { PairTriage } from '../../engine/triage.js';
import type { QueueEntry } from '../../tracker/triage.js';
import { SEVERITY_LEVELS, type SeverityLevel } from '../../store/index.js';
import { type Html, html } from '../html.js';
import { CSRF_FIELD } from '../auth.js';
import { TRIAGE_PATH, branchPath, vulnerabilityPath, withQuery } from '../urls.js';
import type { Viewer } from '../web-context.js';
import { maintainerLink, packageLink, pagination, selectOption, severityBadge, stateBadge } from './common.js';

/** A triage status (or what rules a pair) as a word in a badge. */
function triageBadge(status: string): Html {
  return html`<span class="badge triage-${status}">${status}</span>`;
}

/**
 * The computed state beside the standing triage and which of them rules, with the flags a
 * person acts on: a decision made against inputs that changed since, and a fix not yet published.
 */
export function rulingText(pair: PairTriage): Html {
  const computed = pair.computedState === null ? html`<span class="muted">no computed state</span>` : stateBadge(pair.computedState);
  if (pair.status === 'end-of-life') {
    const standing = pair.triage === null ? '' : html` · triage ${triageBadge(pair.triage.status)}`;
    return html`${computed}${standing} · ${triageBadge('end-of-life')} <span class="muted">(the branch is past its end of support: no fix will come)</span>`;
  }
  if (pair.triage === null) return html`${computed} <span class="muted">(computed rules; no triage)</span>`;
  const flags = [
    pair.status === 'fix-pending-publication' ? html` <strong>fix pending publication</strong> (<code>${pair.triage.version ?? ''}</code>)` : '',
    pair.needsReview ? html` <strong class="review">needs re-review</strong>` : '',
  ];
  return html`${computed} · triage ${triageBadge(pair.triage.status)} <span class="muted">(triage rules: ${pair.status})</span>${flags}`;
}

/** The triage history, oldest first. */
export function triageHistoryTable(events: readonly TriageEvent[], caption: string): Html {
  if (events.length === 0) return html`<p>No triage event has been recorded.</p>`;
  return html`<div class="table-scroll"><table>
<caption class="skip">${caption}</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Package</th><th scope="col">Vulnerability</th><th scope="col">Status</th><th scope="col">Branches</th><th scope="col">Author</th><th scope="col">Note</th></tr></thead>
<tbody>
${events.map(
  (event) => html`<tr id="triage-event-${event.id}">
<td>${event.createdAt.slice(0, 16).replace('T', ' ')}</td>
<th scope="row">${packageLink(event.package)}</th>
<td><a href="${vulnerabilityPath(event.vulnerabilityId)}">${event.vulnerabilityId}</a></td>
<td>${triageBadge(event.status)}${event.justification === null ? '' : html` <code>${event.justification}</code>`}${event.version === null ? '' : html` <code>${event.version}</code>`}</td>
<td>${event.branches === null ? 'all' : event.branches.join(', ')}</td>
<td>${event.author}</td>
<td>${event.note ?? ''}</td>
</tr>
`,
)}</tbody>
</table></div>`;
}

/** The session's CSRF token as the hidden field every form that changes something carries. */
export function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${viewer.csrfToken}">`;
}

/** What a triage form held when it was sent, to show it again beside the reason it was refused. */
export interface SentDecision {
  readonly status?: string | undefined;
  readonly justification?: string | undefined;
  readonly version?: string | undefined;
  readonly note?: string | undefined;
}

/** Status, justification, fix version and note: the fields of one triage decision; `prefix` keeps ids unique on a page. */
export function triageFields(prefix: string, sent: SentDecision = {}): Html {
  const status = sent.status ?? 'under-investigation';
  return html`<label for="${prefix}-status">Status
<select id="${prefix}-status" name="status" required>${TRIAGE_STATUSES.map((name) => selectOption(name, name, name === status))}</select></label>
<label for="${prefix}-justification">Justification (not-affected)
<select id="${prefix}-justification" name="justification">${selectOption('', 'none', sent.justification === undefined)}${TRIAGE_JUSTIFICATIONS.map((name) => selectOption(name, name, name === sent.justification))}</select></label>
<label for="${prefix}-version">Fix version (fixed)
<input id="${prefix}-version" type="text" name="version" maxlength="100" value="${sent.version ?? ''}"></label>
<label for="${prefix}-note">Note
<textarea id="${prefix}-note" name="note" rows="2" cols="40" maxlength="2000">${sent.note ?? ''}</textarea></label>`;
}

export interface TriageQueueInput {
  readonly branch: string | undefined;
  readonly repo: string | undefined;
  /** A maintainer's e-mail. */
  readonly maintainer: string | undefined;
  readonly severity: SeverityLevel | undefined;
  /** Only vulnerabilities in CISA's known-exploited catalog. */
  readonly kev: boolean;
  /** Only vulnerabilities published at least this many days ago. */
  readonly age: number | undefined;
  readonly page: number;
}

/** A queue entry as the page shows it: with its age, and whether the reader may act on it. */
export interface TriageQueueRow extends QueueEntry {
  readonly ageDays: number | null;
  /** Whether the page's signed-in reader may triage it (always false for others). */
  readonly mayAct: boolean;
}

export interface TriageQueueData {
  readonly branches: readonly string[];
  readonly rows: readonly TriageQueueRow[];
  readonly total: number;
  /** How many of them the pages list: the most urgent, up to a limit. */
  readonly listed: number;
  readonly page: number;
  readonly pageCount: number;
  readonly asOf: string;
}

/** The value of a queue row's checkbox: what the bulk form records it as. */
const queuePairValue = (row: Pick<TriageQueueRow, 'branch' | 'package' | 'vulnerabilityId'>) => `${row.branch} ${row.package} ${row.vulnerabilityId}`;

function queueFilters(data: TriageQueueData, input: TriageQueueInput): Html {
  return html`<form class="filters" method="get" action="${TRIAGE_PATH}">
<label for="queue-branch">Branch
<select id="queue-branch" name="branch">${selectOption('', 'all', input.branch === undefined)}${data.branches.map((branch) => selectOption(branch, branch, branch === input.branch))}</select></label>
<label for="queue-repo">Repository
<input id="queue-repo" type="text" name="repo" value="${input.repo ?? ''}" maxlength="200"></label>
<label for="queue-maintainer">Maintainer e-mail
<input id="queue-maintainer" type="text" name="maintainer" value="${input.maintainer ?? ''}" maxlength="200"></label>
<label for="queue-severity">Minimum severity
<select id="queue-severity" name="severity">${selectOption('', 'any (also none)', input.severity === undefined)}${SEVERITY_LEVELS.map((level) => selectOption(level, level, level === input.severity))}</select></label>
<label for="queue-kev"><span><input id="queue-kev" type="checkbox" name="kev" value="1"${input.kev ? html` checked` : ''}> Known exploited only</span></label>
<label for="queue-age">Published at least (days ago)
<input id="queue-age" type="number" name="age" min="0" max="100000" value="${input.age ?? ''}"></label>
<button type="submit">Apply</button>
</form>`;
}

function queueRow(row: TriageQueueRow, selectable: boolean): Html {
  const label = `${row.branch} ${row.package} ${row.vulnerabilityId}`;
  return html`<tr>
${selectable ? html`<td>${row.mayAct ? html`<input type="checkbox" name="pair" value="${queuePairValue(row)}" aria-label="select ${label}">` : ''}</td>` : ''}
<td><a href="${vulnerabilityPath(row.vulnerabilityId)}">${row.vulnerabilityId}</a>${row.urgency.kev ? html` <strong>KEV</strong>` : ''}</td>
<td>${severityBadge(row.urgency.severity, row.urgency.cvssScore)}</td>
<td>${row.ageDays === null ? '' : `${row.ageDays} days`}</td>
<td><a href="${branchPath(row.branch)}">${row.branch}</a>/${row.repo}</td>
<th scope="row">${packageLink(row.package)}${row.version === null ? '' : html` <code>${row.version}</code>`}</th>
<td>${rulingText(row.triage)}</td>
<td>${maintainerLink(row.maintainer)}</td>
</tr>
`;
}

/** `/triage`: the open pairs, most urgent first, and for a signed-in reader one form that triages the selected rows. */
export function triageQueueView(data: TriageQueueData, input: TriageQueueInput, viewer: Viewer | undefined, filters: Readonly<Record<string, string | number | boolean | undefined>>): Html {
  const selectable = viewer !== undefined && data.rows.some((row) => row.mayAct);
  const table = html`<div class="table-scroll"><table>
<caption class="skip">Open pairs, most urgent first</caption>
<thead><tr>${selectable ? html`<th scope="col">Select</th>` : ''}<th scope="col">Vulnerability</th><th scope="col">Severity</th><th scope="col">Age</th><th scope="col">Where</th><th scope="col">Package</th><th scope="col">Computed · triage</th><th scope="col">Maintainer</th></tr></thead>
<tbody>
${data.rows.map((row) => queueRow(row, selectable))}</tbody>
</table></div>`;
  const here = withQuery(TRIAGE_PATH, { ...filters, page: input.page === 1 ? undefined : input.page });
  return html`<h1>Triage queue</h1>
<p>Open (branch, package, vulnerability) pairs: computed vulnerable with no triage, triaged affected or under-investigation, or triaged against computed inputs that changed since (needs re-review). Most urgent first: known exploited (CISA KEV), then severity, then age. ${data.total} open pairs.${
    data.listed < data.total ? html` The pages list the ${data.listed} most urgent: narrow the queue with the filters below, or list every pair with <code>secfix triage queue</code>.` : ''
  }</p>
${queueFilters(data, input)}
${
  data.rows.length === 0
    ? html`<p>No open pair matches.</p>`
    : selectable
      ? html`<form class="triage" method="post" action="${TRIAGE_PATH}">
${csrfField(viewer)}<input type="hidden" name="return" value="${here}">
${table}
<fieldset class="filters"><legend>Triage the selected rows</legend>
${triageFields('bulk')}
<label for="bulk-scope">Branches
<select id="bulk-scope" name="scope">${selectOption('selected', 'the selected rows’ branches', true)}${selectOption('all', 'every branch', false)}</select></label>
<button type="submit">Record for the selected rows</button>
</fieldset>
</form>`
      : html`${table}${viewer === undefined ? html`<p class="muted">Sign in to triage these pairs.</p>` : ''}`
}
${pagination(TRIAGE_PATH, filters, data.page, data.pageCount)}`;
}
