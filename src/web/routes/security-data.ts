import type { FastifyInstance } from 'fastify';
import { MAX_PACKAGE_NAME_LENGTH, MAX_REQUEST_PACKAGES, SECURITY_DATA_ROUTE, securityDataToJson } from '../../scan/security-data-json.js';
import { UnknownBranchError, trackerSecurityData } from '../../scan/tracker.js';
import { HttpError, badRequest } from '../errors.js';
import { type WebContext, requestBase } from '../web-context.js';

/** The widest valid body: every name at its longest, 3 UTF-8 bytes per character, quoted, comma-separated. */
const BODY_LIMIT = MAX_REQUEST_PACKAGES * (3 * MAX_PACKAGE_NAME_LENGTH + 3) + 1024;

/** The origins a request names, deduplicated; anything but `{"packages": [names]}` is a 400. */
function parseRequest(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('expected a JSON object {"packages": [...]}');
  const extra = Object.keys(body).filter((key) => key !== 'packages');
  if (extra.length > 0) throw badRequest(`unknown field ${JSON.stringify(extra[0])}; expected only "packages"`);
  const packages = (body as { packages?: unknown }).packages;
  if (!Array.isArray(packages)) throw badRequest('"packages" must be an array of origin package names');
  if (packages.length > MAX_REQUEST_PACKAGES) throw badRequest(`"packages" has ${packages.length} names; at most ${MAX_REQUEST_PACKAGES} are allowed`);
  packages.forEach((name: unknown, index) => {
    if (typeof name !== 'string' || name === '' || name.length > MAX_PACKAGE_NAME_LENGTH) {
      throw badRequest(`"packages"[${index}] must be a non-empty string of at most ${MAX_PACKAGE_NAME_LENGTH} characters`);
    }
  });
  return [...new Set(packages as string[])];
}

/**
 * `POST /api/branch/:branch/security-data` with `{"packages": [origins]}`: the branch's fix
 * lines, open and rejected vulnerabilities and published versions for those origins, which
 * `secfix scan --server` decides findings from. Not a Resource: the answer depends on the body,
 * so it is neither negotiated nor cached, and errors are always JSON.
 */
export function registerSecurityDataRoute(app: FastifyInstance, web: WebContext): void {
  app.post<{ Params: { branch: string } }>(SECURITY_DATA_ROUTE, {
    bodyLimit: BODY_LIMIT,
    // Set before the body is parsed, so malformed JSON and oversized bodies answer JSON too.
    onRequest: (request, _reply, done) => {
      request.secfixFormat = 'json';
      done();
    },
    handler: async (request, reply) => {
      const origins = parseRequest(request.body);
      const { branch } = request.params;
      try {
        const data = await trackerSecurityData(web.db, requestBase(web.site, request), branch, origins);
        return await reply.header('cache-control', 'no-store').send(securityDataToJson(data));
      } catch (error) {
        if (error instanceof UnknownBranchError) throw new HttpError(404, error.problem);
        throw error;
      }
    },
  });
}
