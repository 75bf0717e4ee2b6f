import { type Html, html } from '../html.js';
import type { StoredAuditEvent } from '../../store/index.js';
import { auditFeedPath, auditPath, vulnerabilityPath, withQuery } from '../urls.js';
import { packageLink } from './common.js';

/** The audit log's filters and where a page starts. */
export interface AuditInput {
  readonly vuln: string | undefined;
  readonly package: string | undefined;
  readonly user: string | undefined;
  /** Rows older than this id (the previous page's last row); undefined for the newest. */
  readonly before: number | undefined;
}

export interface AuditData {
  /** Newest first. */
  readonly events: readonly StoredAuditEvent[];
  /** The `before` of the next (older) page; undefined on the last page. */
  readonly olderBefore: number | undefined;
}

/** The filters as query parameters, unset ones left out. */
export const auditFilters = (input: AuditInput) => ({ vuln: input.vuln, package: input.package, user: input.user });

/**
 * The detail fields the log shows, in this order. Only these: a token row's detail never holds
 * the token, and whatever a later writer puts in a detail stays off the page unless named here.
 */
const SHOWN_DETAILS = ['status', 'justification', 'version', 'note', 'branches', 'role', 'email'] as const;

/** The shown detail fields of a row that have a value, as text. */
export function auditDetails(event: StoredAuditEvent): { readonly name: string; readonly value: string }[] {
  const detail = event.detail ?? {};
  return SHOWN_DETAILS.flatMap((name) => {
    const value = detail[name];
    if (value === undefined || value === null) return [];
    const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join(', ') : JSON.stringify(value);
    return [{ name, value: text }];
  });
}

const ACTIONS: Readonly<Record<string, string>> = {
  'triage.record': 'triage',
  'token.create': 'token created',
  'token.revoke': 'token revoked',
  'token.list': 'tokens listed',
};

/** What a row says was done, in words. */
const auditActionLabel = (action: string): string => ACTIONS[action] ?? action;

/** "ann@example.org: triage openssl CVE-2019-0190 (not-affected)", the one-line name of a row. */
export function auditTitle(event: StoredAuditEvent): string {
  const about = event.package !== null && event.vulnerabilityId !== null ? `${event.package} ${event.vulnerabilityId}` : event.subject;
  const status = event.detail?.['status'];
  return `${event.actor}: ${auditActionLabel(event.action)} ${about}${typeof status === 'string' ? ` (${status})` : ''}`;
}

function aboutCell(event: StoredAuditEvent): Html {
  if (event.package === null || event.vulnerabilityId === null) return html`${event.subject}`;
  return html`${packageLink(event.package)} <a href="${vulnerabilityPath(event.vulnerabilityId)}">${event.vulnerabilityId}</a>`;
}

function eventRow(event: StoredAuditEvent): Html {
  const details = auditDetails(event);
  return html`<tr id="event-${event.id}">
<td class="mono">${event.at.slice(0, 19).replace('T', ' ')}</td>
<td><a href="${withQuery(auditPath(), { user: event.actor })}">${event.actor}</a></td>
<td>${auditActionLabel(event.action)}</td>
<td>${aboutCell(event)}</td>
<td>${details.length === 0 ? '' : html`<dl class="facts">${details.map((field) => html`<dt>${field.name}</dt><dd>${field.value}</dd>`)}</dl>`}</td>
</tr>
`;
}

function filterForm(input: AuditInput): Html {
  return html`<form class="filters" method="get" action="${auditPath()}">
<label for="audit-vuln">Vulnerability <input id="audit-vuln" name="vuln" value="${input.vuln ?? ''}" maxlength="200"></label>
<label for="audit-package">Package <input id="audit-package" name="package" value="${input.package ?? ''}" maxlength="200"></label>
<label for="audit-user">Who <input id="audit-user" name="user" value="${input.user ?? ''}" maxlength="200"></label>
<button type="submit">Apply</button>
</form>`;
}

/** The heading's words for these filters. */
export function auditHeading(input: AuditInput): string {
  const about = [input.package, input.vuln].filter((part) => part !== undefined).join(' ');
  return `Audit log${about === '' ? '' : ` of ${about}`}${input.user === undefined ? '' : ` by ${input.user}`}`;
}

/** The audit log: the filters, then a page of rows, newest first, with a link to older ones. */
export function auditView(data: AuditData, input: AuditInput): Html {
  const filters = auditFilters(input);
  return html`<h1>${auditHeading(input)}</h1>
<p>Every triage decision and every API-token action, as recorded: nothing in this log is changed or deleted. Newest first;
times are UTC. Also as an <a href="${withQuery(auditFeedPath(), filters)}" type="application/atom+xml">Atom feed</a>.</p>
<h2>Filter</h2>
${filterForm(input)}
<h2>Entries</h2>
${
  data.events.length === 0
    ? html`<p>No entries${input.before === undefined ? '' : ' older than these'}.</p>`
    : html`<div class="table-scroll"><table>
<caption class="skip">Audit log entries, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">About</th><th scope="col">Details</th></tr></thead>
<tbody>
${data.events.map(eventRow)}</tbody>
</table></div>`
}
<nav class="pages" aria-label="Pages">
${input.before === undefined ? '' : html`<a href="${withQuery(auditPath(), filters)}">Newest</a>`}
${data.olderBefore === undefined ? '' : html`<a href="${withQuery(auditPath(), { ...filters, before: data.olderBefore })}" rel="next">Older →</a>`}
</nav>`;
}
