import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InputError } from '../../base/input-error.js';
import { type Suggestion, findSuggestion, getDataVersion, listOriginMaintainers, listSuggestions } from '../../store/index.js';
import { acceptSuggestion, dismissSuggestion } from '../../tracker/exchange.js';
import { actorName, personalizePage, requestIdentity, requireMayActOn } from '../auth.js';
import { HttpError, notFound } from '../errors.js';
import { requestFormat } from '../resource.js';
import { SUGGESTIONS_PATH, suggestionsView } from '../views/exchange.js';
import { page } from '../views/layout.js';
import type { WebContext } from '../web-context.js';
import { type ExchangeOptions, exchangeStore } from './inbox.js';

/** How many suggestions the page lists: the newest open ones, then the newest decided or withdrawn. */
const OPEN_SHOWN = 1_000;
const DECIDED_SHOWN = 200;

/** `/suggestions` (page and JSON) and the accept and dismiss actions (form posts or JSON clients). */
export function registerSuggestionRoutes(app: FastifyInstance, web: WebContext, options: ExchangeOptions): void {
  const store = exchangeStore(web, options);

  app.get(SUGGESTIONS_PATH, async (request, reply) => {
    const suggestions = [...(await listSuggestions(web.db, ['open'], OPEN_SHOWN)), ...(await listSuggestions(web.db, ['accepted', 'dismissed', 'withdrawn'], DECIDED_SHOWN))];
    reply.header('cache-control', 'no-store');
    if (requestFormat(request) !== 'html') return reply.type('application/json; charset=utf-8').send({ suggestions });
    const identity = requestIdentity(request);
    const dataVersion = await getDataVersion(web.db);
    const body = suggestionsView(suggestions, identity.kind === 'session' ? identity.csrfToken : undefined);
    const text = page({ site: web.site, base: web.origin(), url: request.url, dataVersion }, { title: 'Suggestions from peers', body }).toString();
    return reply.type('text/html; charset=utf-8').send(personalizePage(request, text, request.url));
  });

  const decide = (action: (id: number, by: string) => Promise<Suggestion>) => async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const id = /^\d{1,15}$/.test(request.params.id) ? Number(request.params.id) : undefined;
    const suggestion = id === undefined ? undefined : await findSuggestion(web.db, id);
    if (id === undefined || suggestion === undefined) throw notFound(`suggestion ${request.params.id}`);
    requireMayActOn(request, await listOriginMaintainers(web.db, suggestion.package), suggestion.package);
    let decided;
    try {
      decided = await action(id, actorName(requestIdentity(request)));
    } catch (error) {
      if (error instanceof InputError) throw new HttpError(error.problem.startsWith('already') ? 409 : 400, error.message);
      throw error;
    }
    if (requestFormat(request) === 'html') return reply.redirect(`${SUGGESTIONS_PATH}#suggestion-${id}`, 303);
    return reply.header('cache-control', 'no-store').send({ suggestion: decided });
  };
  app.post(`${SUGGESTIONS_PATH}/:id/accept`, decide((id, by) => acceptSuggestion(store, id, by)));
  app.post(`${SUGGESTIONS_PATH}/:id/dismiss`, decide((id, by) => dismissSuggestion(store, id, by)));
}
