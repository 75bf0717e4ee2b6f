import type { FastifyInstance } from 'fastify';
import { registerResource } from '../resource.js';
import type { WebContext } from '../web-context.js';
import { registerAuditRoutes } from './audit.js';
import { branchResource } from './branch.js';
import { changesResource } from './changes.js';
import { registerChangeLogRoute } from './change-log.js';
import { registerExportRoutes } from './export.js';
import { registerFeedRoutes } from './feeds.js';
import { homeResource } from './home.js';
import { maintainerResource, maintainersResource } from './maintainers.js';
import { registerMyWorkRoute } from './my-work.js';
import { orphansResource } from './orphans.js';
import { packageResource } from './package.js';
import { qualityResource } from './quality.js';
import { searchResource } from './search.js';
import { type SecurityDataOptions, registerSecurityDataRoute } from './security-data.js';
import { registerStaticRoutes } from './static.js';
import { registerTriageRoutes } from './triage.js';
import { registerVulnerabilityTriageRoute, vulnerabilityResource } from './vulnerability.js';

/** Every route of the tracker, by concern. */
export function registerRoutes(app: FastifyInstance, web: WebContext, securityData?: SecurityDataOptions): void {
  registerStaticRoutes(app, web);
  registerResource(app, web, homeResource);
  registerResource(app, web, vulnerabilityResource);
  registerResource(app, web, packageResource);
  registerResource(app, web, branchResource);
  registerSecurityDataRoute(app, web, securityData);
  registerResource(app, web, maintainersResource);
  registerResource(app, web, maintainerResource);
  registerResource(app, web, orphansResource);
  registerResource(app, web, qualityResource);
  registerResource(app, web, searchResource);
  registerResource(app, web, changesResource);
  registerFeedRoutes(app, web);
  registerExportRoutes(app, web);
  registerChangeLogRoute(app, web);
  registerTriageRoutes(app, web);
  registerVulnerabilityTriageRoute(app, web);
  registerAuditRoutes(app, web);
  registerMyWorkRoute(app, web);
}
