import type { FastifyInstance } from 'fastify';
import { registerResource } from '../resource.js';
import type { WebContext } from '../web-context.js';
import { homeResource } from './home.js';
import { registerStaticRoutes } from './static.js';

/** Every route of the tracker, by concern. */
export function registerRoutes(app: FastifyInstance, web: WebContext): void {
  registerStaticRoutes(app, web);
  registerResource(app, web, homeResource);
}
