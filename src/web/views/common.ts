import { type Html, html } from '../html.js';
import { pageQueryValue } from '../paging.js';
import { type ExternalLink, maintainerPath, packagePath, withQuery } from '../urls.js';

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

/** Links to other sites' pages about a vulnerability, in one line. */
export function externalLinksList(links: readonly ExternalLink[]): Html {
  return html`<ul class="inline">${links.map((link) => html`<li><a href="${link.url}" rel="nofollow noopener noreferrer">${link.name}</a></li>`)}</ul>`;
}

/** An option of a select box. */
export function selectOption(value: string, label: string, selected: boolean): Html {
  return html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
}

/** The form that narrows a list to one branch, or all of them, at `action`. */
export function branchFilterForm(action: string, branches: readonly string[], selected: string | undefined): Html {
  return html`<form class="filters" method="get" action="${action}">
<label for="filter-branch">Branch
<select id="filter-branch" name="branch">${selectOption('', 'all', selected === undefined)}${branches.map((branch) => selectOption(branch, branch, branch === selected))}</select></label>
<button type="submit">Apply</button>
</form>`;
}

/** A link to the package's page. */
export function packageLink(name: string): Html {
  return html`<a href="${packagePath(name)}">${name}</a>`;
}

/** A link to the maintainer's page, or "none". */
export function maintainerLink(maintainer: string | null): Html {
  return maintainer === null ? html`<span class="muted">none</span>` : html`<a href="${maintainerPath(maintainer)}">${maintainer}</a>`;
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
    html`<a href="${withQuery(path, { ...params, page: pageQueryValue(target) })}" rel="${rel}">${label}</a>`;
  return html`<nav class="pages" aria-label="Pages">
${page > 1 ? link(page - 1, '← Previous', 'prev') : ''}
<span>Page ${page} of ${pageCount}</span>
${page < pageCount ? link(page + 1, 'Next →', 'next') : ''}
</nav>`;
}
