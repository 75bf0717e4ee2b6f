import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InputError } from '../../base/input-error.js';
import { type CsafIndexEntry, type CsafOptions, csafFileName, csafIndexEntry, formatCsaf, formatCsafChanges, formatCsafIndex } from '../../formats/csaf.js';
import { formatOsvIndex, formatOsvRecord, osvId, osvRecord, type OsvOptions } from '../../formats/osv.js';
import { DEFAULT_PURL_NAMESPACE } from '../../base/export.js';
import { DEFAULT_URL_PREFIX, csafDocumentPages, csafDocumentsOf, exportedVulnerabilitiesOf, openVexExport, osvRecordPages, secdbExport, statesTable } from '../../tracker/export.js';
import { UnknownBranchError } from '../../scan/tracker.js';
import { securityIndex } from '../../tracker/security-index.js';
import { notFound } from '../errors.js';
import { type RawQuery, onlyParams, textParam } from '../query-params.js';
import { respond, respondStreamed } from '../respond.js';
import { EXPORT_PATHS, vulnerabilityPath } from '../urls.js';
import type { WebContext } from '../web-context.js';

/** The prefix of the OSV ids the server offers (`secfix export osv --prefix` sets another). */
const OSV_ID_PREFIX = 'ALPINE-';

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The vulnerability ids a CSAF file name can stand for: CSAF's rule lowers the case, so
 * `cve-2024-1234` is `CVE-2024-1234`, and `ghsa-xxxx-…` is `GHSA-xxxx-…` (only its prefix is upper case).
 */
function csafCandidateIds(name: string): string[] {
  const dash = name.indexOf('-');
  return [...new Set([name.toUpperCase(), dash < 0 ? name : `${name.slice(0, dash).toUpperCase()}${name.slice(dash)}`])];
}

/** A path parameter naming a `.json` file: its name without the suffix, else a 404. */
function jsonFileName(file: string, what: string): string {
  if (!file.endsWith('.json') || file.length === '.json'.length) throw notFound(what);
  return file.slice(0, -'.json'.length);
}

/**
 * The exports at stable URLs, each rendered once per data version and sent through `respond`
 * (ETag, Last-Modified, the response cache, compression), so a mirror polling them costs one
 * query while nothing changed.
 */
export function registerExportRoutes(app: FastifyInstance, web: WebContext): void {
  const store = { db: web.db };
  const purlNamespace = web.site.purlNamespace ?? DEFAULT_PURL_NAMESPACE;
  const osvOptions = (): OsvOptions => ({ prefix: OSV_ID_PREFIX, purlNamespace, advisoryUrl: (id) => `${web.origin()}${vulnerabilityPath(id)}` });
  const serve = (request: FastifyRequest, reply: FastifyReply, url: string, contentType: string, variant: string, render: () => Promise<string>) =>
    respond(web, request, reply, { url, contentType, variant, render });

  app.get(EXPORT_PATHS.osvIndex, (request, reply) =>
    serve(request, reply, EXPORT_PATHS.osvIndex, JSON_TYPE, 'osv', async () => {
      const index: { id: string; modified: string }[] = [];
      for await (const records of osvRecordPages(store, osvOptions())) index.push(...records.map((record) => ({ id: record.id, modified: record.modified })));
      return formatOsvIndex(index);
    }),
  );
  app.get<{ Params: { file: string } }>('/export/osv/:file', (request, reply) => {
    const id = jsonFileName(request.params.file, 'OSV record');
    return serve(request, reply, EXPORT_PATHS.osvRecord(id), JSON_TYPE, 'osv', async () => {
      // `ALPINE-CVE-…` is about CVE-…, but `ALPINE-13661` is about itself (see `osvId`).
      const candidates = id.startsWith(OSV_ID_PREFIX) ? [id.slice(OSV_ID_PREFIX.length), id] : [];
      const vulnerability = (await exportedVulnerabilitiesOf(store, candidates)).find((found) => osvId(found.id, OSV_ID_PREFIX) === id);
      const record = vulnerability === undefined ? null : osvRecord(vulnerability, osvOptions());
      if (record === null) throw notFound(`OSV record ${id}`);
      return formatOsvRecord(record);
    });
  });
  const csafOptions = (): CsafOptions => ({
    distribution: web.site.distribution,
    namespace: web.origin(),
    purlNamespace,
    advisoryUrl: (id) => `${web.origin()}${vulnerabilityPath(id)}`,
  });
  const csafIndex = async (): Promise<CsafIndexEntry[]> => {
    const entries: CsafIndexEntry[] = [];
    for await (const documents of csafDocumentPages(store, csafOptions())) entries.push(...documents.map(csafIndexEntry));
    return entries;
  };
  app.get(EXPORT_PATHS.csafIndex, (request, reply) =>
    serve(request, reply, EXPORT_PATHS.csafIndex, 'text/plain; charset=utf-8', 'csaf', async () => formatCsafIndex(await csafIndex())),
  );
  app.get(EXPORT_PATHS.csafChanges, (request, reply) =>
    serve(request, reply, EXPORT_PATHS.csafChanges, 'text/csv; charset=utf-8', 'csaf', async () => formatCsafChanges(await csafIndex())),
  );
  app.get<{ Params: { file: string } }>('/export/csaf/:file', (request, reply) => {
    const file = request.params.file;
    const name = jsonFileName(file, 'CSAF document');
    return serve(request, reply, EXPORT_PATHS.csafDocument(name), JSON_TYPE, 'csaf', async () => {
      const found = (await exportedVulnerabilitiesOf(store, csafCandidateIds(name))).filter((vulnerability) => csafFileName(vulnerability.id) === file);
      const [document] = await csafDocumentsOf(store, found, csafOptions());
      if (document === undefined) throw notFound(`CSAF document ${file}`);
      return formatCsaf(document);
    });
  });
  app.get<{ Params: { branch: string; file: string } }>('/export/secdb/:branch/:file', (request, reply) => {
    const { branch } = request.params;
    const repo = jsonFileName(request.params.file, 'secdb');
    return serve(request, reply, EXPORT_PATHS.secdb(branch, repo), JSON_TYPE, 'secdb', async () => {
      try {
        return await secdbExport(store, branch, repo, DEFAULT_URL_PREFIX);
      } catch (error) {
        if (error instanceof InputError) throw notFound(`secdb of ${branch}/${repo}`);
        throw error;
      }
    });
  });
  app.get<{ Params: { branch: string }; Querystring: RawQuery }>('/api/branch/:branch/security-index', (request, reply) => {
    const { branch } = request.params;
    onlyParams(request.query, ['arch']);
    const arch = textParam(request.query, 'arch');
    return serve(request, reply, EXPORT_PATHS.securityIndex(branch, arch), JSON_TYPE, 'security-index', async () => {
      try {
        return await securityIndex(web.db, branch, arch);
      } catch (error) {
        if (error instanceof UnknownBranchError) throw notFound(`branch ${branch}`);
        if (error instanceof InputError) throw notFound(`architecture ${arch ?? ''} of branch ${branch}`);
        throw error;
      }
    });
  });
  // The two largest exports are sent as they are made, never held whole (see `respondStreamed`).
  app.get(EXPORT_PATHS.openVex, (request, reply) =>
    respondStreamed(web, request, reply, {
      contentType: JSON_TYPE,
      variant: 'openvex',
      render: () => openVexExport(store, {}, { author: `${web.site.distribution} security tracker`, idBase: `${web.origin()}${EXPORT_PATHS.openVex}#`, purlNamespace }),
    }),
  );
  app.get(EXPORT_PATHS.states, (request, reply) =>
    respondStreamed(web, request, reply, { contentType: 'text/csv; charset=utf-8', variant: 'csv', render: () => statesTable(store, {}, web.today(), 'csv') }),
  );
}
