import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AtomEntry, writeAtomFeed } from '../../formats/atom.js';
import { type AuditFilter, type StoredAuditEvent, listAuditEventsBefore } from '../../store/index.js';
import { type RawQuery, integerParam, textParam } from '../query-params.js';
import { type Resource, registerResource } from '../resource.js';
import { respond } from '../respond.js';
import { auditEventId, auditFeedPath, auditPath, packagePath, vulnerabilityPath, withQuery } from '../urls.js';
import { type AuditData, type AuditInput, auditDetails, auditFilters, auditHeading, auditTitle, auditView } from '../views/audit.js';
import { FEED_SIZE } from '../views/feed.js';
import type { WebContext } from '../web-context.js';
import { ATOM_MEDIA_TYPE } from './feeds.js';

/** Rows per page of the audit log. */
const AUDIT_PAGE_SIZE = 50;

const FILTER_PARAMS = ['vuln', 'package', 'user'];

function parseAuditInput(_params: Readonly<Record<string, string>>, query: RawQuery): AuditInput {
  return {
    vuln: textParam(query, 'vuln'),
    package: textParam(query, 'package'),
    user: textParam(query, 'user'),
    before: integerParam(query, 'before', 1, Number.MAX_SAFE_INTEGER),
  };
}

const storeFilter = (input: AuditInput): AuditFilter => ({ vulnerabilityId: input.vuln, package: input.package, actor: input.user });

/** One query: a page and one row more, which tells whether an older page exists. */
async function loadAudit(web: WebContext, input: AuditInput): Promise<AuditData> {
  const rows = await listAuditEventsBefore(web.db, storeFilter(input), input.before, AUDIT_PAGE_SIZE + 1);
  const events = rows.slice(0, AUDIT_PAGE_SIZE);
  return { events, olderBefore: rows.length > AUDIT_PAGE_SIZE ? events.at(-1)?.id : undefined };
}

const auditPagePath = (input: AuditInput, before: number | undefined) => withQuery(auditPath(), { ...auditFilters(input), before });

/** A row as JSON: the shown detail fields only, never a whole stored detail. */
const eventJson = (event: StoredAuditEvent) => ({
  id: event.id,
  at: event.at,
  actor: event.actor,
  action: event.action,
  subject: event.subject,
  package: event.package,
  vulnerabilityId: event.vulnerabilityId,
  details: Object.fromEntries(auditDetails(event).map((field) => [field.name, field.value])),
});

/** `/audit`: the audit log, newest first, 50 a page, narrowed by `vuln`, `package` and `user` (the actor). */
const auditResource: Resource<AuditInput, AuditData> = {
  path: auditPath(),
  queryParams: [...FILTER_PARAMS, 'before'],
  parse: parseAuditInput,
  load: (web, input) => loadAudit(web, input),
  title: (_data, input) => auditHeading(input),
  html: (data, _context, input) => auditView(data, input),
  json: (data, _context, input) => ({
    filters: { vuln: input.vuln ?? null, package: input.package ?? null, user: input.user ?? null },
    before: input.before ?? null,
    pageSize: AUDIT_PAGE_SIZE,
    next: data.olderBefore === undefined ? null : auditPagePath(input, data.olderBefore),
    feed: withQuery(auditFeedPath(), auditFilters(input)),
    events: data.events.map(eventJson),
  }),
  jsonld: (data, context, input) => {
    const absolute = (path: string) => `${context.base}${path}`;
    return {
      id: absolute(auditPagePath(input, input.before)),
      type: 'Collection',
      name: auditHeading(input),
      ...(data.olderBefore === undefined ? {} : { next: absolute(auditPagePath(input, data.olderBefore)) }),
      items: data.events.map((event) => absolute(auditEventId(event.id))),
    };
  },
  feeds: (_data, input) => [{ type: 'application/atom+xml', href: withQuery(auditFeedPath(), auditFilters(input)), title: `${auditHeading(input)} (Atom)` }],
};

function auditEntry(event: StoredAuditEvent, base: string): AtomEntry {
  const about =
    event.package === null || event.vulnerabilityId === null
      ? []
      : [
          { rel: 'related' as const, type: 'text/html', href: `${base}${vulnerabilityPath(event.vulnerabilityId)}`, title: event.vulnerabilityId },
          { rel: 'related' as const, type: 'text/html', href: `${base}${packagePath(event.package)}`, title: event.package },
        ];
  return {
    id: `${base}${auditEventId(event.id)}`,
    title: auditTitle(event),
    updated: event.at,
    // The page that starts at this row.
    links: [{ rel: 'alternate', type: 'text/html', href: `${base}${withQuery(auditPath(), { before: event.id + 1 })}` }, ...about],
    categories: [event.action],
    summary: { type: 'text', value: [auditTitle(event), ...auditDetails(event).map((field) => `${field.name}: ${field.value}`)].join('\n') },
  };
}

/** `/audit.atom`: the newest rows of the log, with the page's filters; ids and links from the tracker's own origin. */
async function auditFeed(web: WebContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const input = parseAuditInput({}, request.query as RawQuery);
  const filters = auditFilters(input);
  const selfPath = withQuery(auditFeedPath(), filters);
  const base = web.origin();
  return respond(web, request, reply, {
    url: selfPath,
    contentType: ATOM_MEDIA_TYPE,
    variant: 'atom',
    render: async (dataVersion) => {
      const events = await listAuditEventsBefore(web.db, storeFilter(input), undefined, FEED_SIZE);
      return writeAtomFeed({
        id: `${base}${selfPath}`,
        title: `${auditHeading(input)} · ${web.site.distribution} security tracker`,
        subtitle: `The latest ${FEED_SIZE} triage decisions and token actions, newest first.`,
        updated: events[0]?.at ?? dataVersion.changedAt,
        links: [
          { rel: 'self', type: 'application/atom+xml', href: `${base}${selfPath}` },
          { rel: 'alternate', type: 'text/html', href: `${base}${withQuery(auditPath(), filters)}` },
        ],
        authors: [{ name: `${web.site.distribution} security tracker`, uri: `${base}/` }],
        generator: 'secfix',
        entries: events.map((event) => auditEntry(event, base)),
      });
    },
  });
}

/** The audit log page (with its JSON) and its Atom feed. */
export function registerAuditRoutes(app: FastifyInstance, web: WebContext): void {
  registerResource(app, web, auditResource);
  app.get(auditFeedPath(), (request, reply) => auditFeed(web, request, reply));
}
