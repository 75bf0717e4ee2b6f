import type { FastifyInstance } from 'fastify';
import { CONTEXT_PATH, VOCABULARY_PATH, contextDocument, vocabularyDocument } from '../linked-data.js';
import { OPENAPI_PATH, openApiDocument } from '../openapi.js';
import { STYLESHEET_PATH } from '../views/layout.js';
import { STYLESHEET } from '../views/style.js';
import { type WebContext, requestBase } from '../web-context.js';

const YEAR_SECONDS = 365 * 24 * 3600;
const DAY_SECONDS = 24 * 3600;

/** The stylesheet, the JSON-LD context, the vocabulary and the OpenAPI document: fixed documents, cached long. */
export function registerStaticRoutes(app: FastifyInstance, web: WebContext): void {
  app.get(STYLESHEET_PATH, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', `public, max-age=${YEAR_SECONDS}, immutable`).send(STYLESHEET),
  );
  app.get(CONTEXT_PATH, async (request, reply) =>
    reply
      .type('application/ld+json; charset=utf-8')
      .header('access-control-allow-origin', '*')
      .header('cache-control', `public, max-age=${DAY_SECONDS}`)
      .send(JSON.stringify(contextDocument(requestBase(web.site, request)))),
  );
  app.get(VOCABULARY_PATH, async (request, reply) =>
    reply
      .type('application/ld+json; charset=utf-8')
      .header('access-control-allow-origin', '*')
      .header('cache-control', `public, max-age=${DAY_SECONDS}`)
      .send(JSON.stringify(vocabularyDocument(requestBase(web.site, request)))),
  );
  app.get(OPENAPI_PATH, async (request, reply) =>
    reply
      .type('application/json; charset=utf-8')
      .header('access-control-allow-origin', '*')
      .header('cache-control', `public, max-age=${DAY_SECONDS}`)
      .send(JSON.stringify(openApiDocument(requestBase(web.site, request)))),
  );
}
