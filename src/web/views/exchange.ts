import type { OutboxEntry, Suggestion } from '../../store/index.js';
import { type Html, html } from '../html.js';
import { packageLink } from './common.js';
import { vulnerabilityPath } from '../urls.js';

export const SUGGESTIONS_PATH = '/suggestions';

/** What a suggestion says, in words. */
function decisionText(suggestion: Suggestion): string {
  if (suggestion.status === 'fixed') return `fixed in ${suggestion.version ?? '?'}`;
  return `${suggestion.status}${suggestion.justification === null ? '' : ` (${suggestion.justification})`}`;
}

/**
 * The suggestions peers sent: who, what, and for a person who may decide (`csrfToken` given)
 * the accept and dismiss forms of the open ones.
 */
export function suggestionsView(suggestions: readonly Suggestion[], csrfToken: string | undefined): Html {
  const open = suggestions.filter((suggestion) => suggestion.state === 'open');
  const decided = suggestions.filter((suggestion) => suggestion.state !== 'open');
  const row = (suggestion: Suggestion, actions: boolean) => html`<tr id="suggestion-${suggestion.id}">
<td>${suggestion.peerOrigin}</td>
<th scope="row">${packageLink(suggestion.package)}</th>
<td><a href="${vulnerabilityPath(suggestion.vulnerabilityId)}">${suggestion.vulnerabilityId}</a></td>
<td>${decisionText(suggestion)}</td>
<td>${suggestion.note ?? ''}</td>
<td>${suggestion.receivedAt.slice(0, 16).replace('T', ' ')}</td>
<td>${
    actions
      ? csrfToken === undefined
        ? 'sign in to decide'
        : html`<form method="post" action="${SUGGESTIONS_PATH}/${suggestion.id}/accept"><input type="hidden" name="csrf" value="${csrfToken}"><button type="submit">Accept</button></form>
<form method="post" action="${SUGGESTIONS_PATH}/${suggestion.id}/dismiss"><input type="hidden" name="csrf" value="${csrfToken}"><button type="submit">Dismiss</button></form>`
      : `${suggestion.state}${suggestion.decidedBy === null ? '' : ` by ${suggestion.decidedBy}`}`
  }</td>
</tr>
`;
  const table = (rows: readonly Suggestion[], actions: boolean, caption: string) => html`<div class="table-scroll"><table>
<caption class="skip">${caption}</caption>
<thead><tr><th scope="col">Peer</th><th scope="col">Package</th><th scope="col">Vulnerability</th><th scope="col">Says</th><th scope="col">Note</th><th scope="col">Received (UTC)</th><th scope="col">${actions ? 'Decide' : 'Outcome'}</th></tr></thead>
<tbody>
${rows.map((suggestion) => row(suggestion, actions))}</tbody>
</table></div>`;
  return html`<h1>Suggestions from peer trackers</h1>
<p>Decisions other trackers announced to this one's inbox. Nothing changes until a person accepts one: accepting records
a triage event with the peer as its author; dismissing keeps the suggestion listed and changes nothing.
The notifications themselves are in the <a href="/inbox">inbox</a> (JSON-LD); what this tracker sent is in the <a href="/outbox">outbox</a>.</p>
<h2>Open</h2>
${open.length === 0 ? html`<p>No open suggestions.</p>` : table(open, true, 'Open suggestions')}
<h2>Decided or withdrawn</h2>
${decided.length === 0 ? html`<p>None yet.</p>` : table(decided, false, 'Decided or withdrawn suggestions')}`;
}

/** What the outbox sent to each peer and what came back. */
export function outboxView(entries: readonly OutboxEntry[]): Html {
  // An event sent to several peers has several rows; its anchor (the activity's IRI) is the first.
  const anchored = new Set<string>();
  const anchor = (id: string) => (anchored.has(id) ? '' : (anchored.add(id), html` id="${id}"`));
  return html`<h1>Outbox</h1>
<p>Notifications this tracker sends its peers when a triage decision lands, with the result of the last attempt.
Undelivered ones are retried with growing delays.</p>
${
  entries.length === 0
    ? html`<p>Nothing sent yet.</p>`
    : html`<div class="table-scroll"><table>
<caption class="skip">Outbox entries, newest first</caption>
<thead><tr><th scope="col">What</th><th scope="col">Peer</th><th scope="col">State</th><th scope="col" class="num">Attempts</th><th scope="col">Last attempt (UTC)</th><th scope="col">Result</th><th scope="col">Peer's answer</th></tr></thead>
<tbody>
${entries.map(
  (entry) => html`<tr${anchor(entry.triageEventId === null ? `reply-${entry.id}` : `event-${entry.triageEventId}`)}>
<th scope="row">${entry.triageEventId === null ? `${entry.reply ?? ''} of ${entry.inReplyTo ?? ''}` : `triage event ${entry.triageEventId}`}</th>
<td>${entry.peerOrigin}</td>
<td>${entry.state}</td>
<td class="num">${entry.attempts}</td>
<td>${entry.lastAttemptAt?.slice(0, 16).replace('T', ' ') ?? ''}</td>
<td>${entry.lastStatus === null ? '' : `${entry.lastStatus} `}${entry.lastResult ?? ''}</td>
<td>${entry.answer ?? ''}</td>
</tr>
`,
)}</tbody>
</table></div>`
}`;
}
