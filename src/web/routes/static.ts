import type { FastifyInstance } from 'fastify';
import { CONTEXT_PATH, VOCABULARY_PATH, contextDocument, vocabularyDocument } from '../linked-data.js';
import { OPENAPI_PATH, openApiDocument } from '../openapi.js';
import { ICON_SVG } from '../views/icon.js';
import { ICON_PATH, STYLESHEET_PATH } from '../views/layout.js';
import { STYLESHEET } from '../views/style.js';
import type { WebContext } from '../web-context.js';

const YEAR_SECONDS = 365 * 24 * 3600;
const DAY_SECONDS = 24 * 3600;

/** The stylesheet, the icon, the JSON-LD context, the vocabulary and the OpenAPI document: fixed documents, cached long. */
export function registerStaticRoutes(app: FastifyInstance, web: WebContext): void {
  app.get(STYLESHEET_PATH, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', `public, max-age=${YEAR_SECONDS}, immutable`).send(STYLESHEET),
  );
  app.get(ICON_PATH, async (_request, reply) => reply.type('image/svg+xml').header('cache-control', `public, max-age=${DAY_SECONDS}`).send(ICON_SVG));
  // Browsers ask for /favicon.ico on documents that link no icon, such as the Atom feeds.
  app.get('/favicon.ico', async (_request, reply) => reply.header('cache-control', `public, max-age=${DAY_SECONDS}`).redirect(ICON_PATH, 301));
  const ldJson = 'application/ld+json; charset=utf-8';
  registerJsonDocument(app, web, CONTEXT_PATH, ldJson, contextDocument);
  registerJsonDocument(app, web, VOCABULARY_PATH, ldJson, vocabularyDocument);
  registerJsonDocument(app, web, OPENAPI_PATH, 'application/json; charset=utf-8', openApiDocument);
}

/** Serves the JSON document `documentFor` writes for the tracker's origin, to pages of any origin, cached a day. */
function registerJsonDocument(app: FastifyInstance, web: WebContext, path: string, type: string, documentFor: (base: string) => unknown): void {
  app.get(path, async (_request, reply) =>
    reply
      .type(type)
      .header('access-control-allow-origin', '*')
      .header('cache-control', `public, max-age=${DAY_SECONDS}`)
      .send(JSON.stringify(documentFor(web.origin()))),
  );
}
