import { type Html, html } from '../html.js';
import type { ExternalLink } from '../urls.js';
import { externalLinksList } from './common.js';
import { type PageContext, page } from './layout.js';

const TITLES: Record<number, string> = { 400: 'Bad request', 404: 'Not found', 429: 'Too many requests', 500: 'Server error' };

/** The page for an error answer, with the way back and, when given, the other sites to look at. */
export function errorPage(context: PageContext, status: number, message: string, links: readonly ExternalLink[] = []): Html {
  const title = TITLES[status] ?? `Error ${status}`;
  return page(context, {
    title,
    body: html`<h1>${title}</h1>
<p>${message}</p>
${links.length === 0 ? '' : html`<h2>Elsewhere</h2>
${externalLinksList(links)}
`}<p><a href="/">Back to the branches</a> or use the search above.</p>`,
  });
}
