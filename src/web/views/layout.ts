import { createHash } from 'node:crypto';
import { type Html, type HtmlValue, html } from '../html.js';
import type { DataVersion } from '../../store/index.js';
import type { RenderContext } from '../web-context.js';
import { LOGIN_PATH, LOGOUT_PATH, MY_WORK_PATH, TRIAGE_PATH, changesPath, homePath, withQuery, maintainersPath, orphansPath, qualityPath, searchPath } from '../urls.js';
import { OPENAPI_PATH } from '../openapi.js';
import { STYLESHEET } from './style.js';

/** The stylesheet's URL carries its hash, so it can be cached for good and still change with a release. */
export const STYLESHEET_PATH = `/static/style.${createHash('sha256').update(STYLESHEET).digest('hex').slice(0, 12)}.css`;

/** The site icon, linked from every page; `/favicon.ico` leads to it too. */
export const ICON_PATH = '/favicon.svg';

export interface Alternate {
  readonly type: string;
  readonly href: string;
  readonly title: string;
}

/** What the layout reads of a render context; error pages may lack the data version. */
export type PageContext = Omit<RenderContext, 'dataVersion'> & { readonly dataVersion: DataVersion | undefined };

export interface PageOptions {
  readonly title: string;
  readonly body: HtmlValue;
  /** Other representations and feeds, linked from the head (and feeds from the footer). */
  readonly alternates?: readonly Alternate[];
  /** The search box's current text, on the search page. */
  readonly query?: string;
}

const NAVIGATION = [
  { href: homePath(), label: 'Branches' },
  { href: maintainersPath(), label: 'Maintainers' },
  { href: orphansPath(), label: 'Orphaned' },
  { href: changesPath(), label: 'Recent changes' },
  { href: TRIAGE_PATH, label: 'Triage' },
  { href: qualityPath(), label: 'Data quality' },
  { href: '/suggestions', label: 'Suggestions' },
];

/** Who is signed in, as the header shows it. */
export interface SignedIn {
  readonly email: string;
  readonly role: string;
  readonly csrfToken: string;
}

/**
 * The header's sign-in link. Pages are cached for everyone, so they carry this one; for a
 * signed-in browser it is swapped for `signedInBar` when the page is sent.
 */
export function signInLink(url: string): Html {
  return html`<p class="account"><a href="${withQuery(LOGIN_PATH, { return: url })}">Sign in</a></p>`;
}

/** "Signed in as ..." with the logout form (a POST carrying the session's CSRF token). */
export function signedInBar(user: SignedIn): Html {
  return html`<form class="account" method="post" action="${LOGOUT_PATH}"><a href="${MY_WORK_PATH}">Signed in as ${user.email}</a> (${user.role}) · <a href="${MY_WORK_PATH}">My work</a> <input type="hidden" name="csrf" value="${user.csrfToken}"><button type="submit">Log out</button></form>`;
}

/** A whole HTML document around a page's body: no inline scripts or styles, so the CSP can forbid them. */
export function page(context: PageContext, options: PageOptions): Html {
  const alternates = options.alternates ?? [];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · ${context.site.distribution} security tracker</title>
<link rel="icon" href="${ICON_PATH}" type="image/svg+xml">
<link rel="stylesheet" href="${STYLESHEET_PATH}">
${alternates.map((alternate) => html`<link rel="alternate" type="${alternate.type}" href="${alternate.href}" title="${alternate.title}">\n`)}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<a class="brand" href="/">${context.site.distribution} security tracker</a>
<nav aria-label="Main"><ul>${NAVIGATION.map((item) => html`<li><a href="${item.href}">${item.label}</a></li>`)}</ul></nav>
<form role="search" action="${searchPath()}" method="get">
<label for="site-search" class="skip">Search CVEs, packages and descriptions</label>
<input id="site-search" type="search" name="q" value="${options.query ?? ''}" placeholder="CVE id, package or text" maxlength="200">
<button type="submit">Search</button>
</form>
${context.site.signIn === true ? signInLink(context.url) : ''}
</header>
<main id="main">
${options.body}
</main>
<footer class="site">
<ul>
${alternates.filter((alternate) => alternate.type !== 'text/html').map((alternate) => html`<li><a href="${alternate.href}" type="${alternate.type}">${alternate.title}</a></li>`)}
<li><a href="${OPENAPI_PATH}">API (OpenAPI)</a></li>
${context.dataVersion === undefined ? '' : html`<li>Data version ${context.dataVersion.version}, updated ${context.dataVersion.changedAt.slice(0, 16).replace('T', ' ')} UTC</li>`}
</ul>
</footer>
</body>
</html>
`;
}
