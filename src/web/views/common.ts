import { type Html, html } from '../html.js';
import { withQuery } from '../urls.js';

/** A state as a word in its colour; the word carries the meaning, the colour only helps. */
export function stateBadge(state: string): Html {
  return html`<span class="badge state-${state}">${state}</span>`;
}

/** NVD severity (CRITICAL, HIGH, ...) with its score when known. */
export function severityBadge(severity: string | null, score: number | null): Html {
  if (severity === null) return html`<span class="muted">n/a</span>`;
  const level = severity.toLowerCase();
  return html`<span class="badge severity-${level}">${level}${score === null ? '' : ` ${score.toFixed(1)}`}</span>`;
}

/** The date part of an ISO time, for tables. */
export function day(iso: string | null): string {
  return iso === null ? '' : iso.slice(0, 10);
}

/** Whole days from `iso` to `now`, for "age" columns. */
export function ageInDays(iso: string | null, now: string): number | null {
  if (iso === null) return null;
  return Math.max(0, Math.floor((Date.parse(now) - Date.parse(iso)) / 86_400_000));
}

/** Previous/next links for a paged list, keeping the other query parameters. */
export function pagination(
  path: string,
  params: Readonly<Record<string, string | number | boolean | undefined>>,
  page: number,
  pageCount: number,
): Html {
  if (pageCount <= 1) return html``;
  const link = (target: number, label: string, rel: string) =>
    html`<a href="${withQuery(path, { ...params, page: target === 1 ? undefined : target })}" rel="${rel}">${label}</a>`;
  return html`<nav class="pages" aria-label="Pages">
${page > 1 ? link(page - 1, '← Previous', 'prev') : ''}
<span>Page ${page} of ${pageCount}</span>
${page < pageCount ? link(page + 1, 'Next →', 'next') : ''}
</nav>`;
}
