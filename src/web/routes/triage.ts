import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InputError } from '../../base/input-error.js';
import type { TriageEvent } from '../../base/triage.js';
import { mayActOn } from '../../engine/index.js';
import { SEVERITY_LEVELS, listBranches, listMaintainersOfPackages } from '../../store/index.js';
import { type TriageRequest, listTriageHistory, recordTriageBatch, triageQueuePage } from '../../tracker/triage.js';
import { actorName, requestIdentity, requireSignedIn, safeReturnPath } from '../auth.js';
import { HttpError, badRequest, notFound } from '../errors.js';
import { linkedPaging, neighbourPagePaths, pageCountOf, pageParam, pageQueryValue } from '../paging.js';
import { type RawQuery, choiceParam, flagParam, integerParam, onlyParams, textParam } from '../query-params.js';
import { type Resource, jsonText, registerResource } from '../resource.js';
import { canonicalUrl, respond } from '../respond.js';
import { TRIAGE_API_PATH, TRIAGE_PATH, stateId, vulnerabilityPath, withQuery } from '../urls.js';
import { homeSummary, queueSummary } from '../summaries.js';
import { ageInDays } from '../views/common.js';
import { type TriageQueueData, type TriageQueueInput, type TriageQueueRow, triageQueueView } from '../views/triage.js';
import type { WebContext } from '../web-context.js';

/** Open pairs per queue page. */
export const TRIAGE_PAGE_SIZE = 100;

/**
 * Pages the queue lists: its 5,000 most urgent pairs. A page further down reads every pair before
 * it (page 2,000 of the full-size queue took 6.7 s), and no one triages that deep: a filter narrows
 * the queue instead, and `secfix triage queue` lists every pair.
 */
export const TRIAGE_MAX_PAGES = 50;

/** The longest note a request may carry. */
const MAX_NOTE_LENGTH = 2_000;

/** The fields `POST /api/triage` takes. */
const API_FIELDS = ['package', 'vuln', 'status', 'justification', 'version', 'note', 'branches'] as const;

type Body = Readonly<Record<string, unknown>>;

/** Runs `fn`, answering an InputError (bad input the tracker found, naming the field) with a 400. */
async function badInputAs400<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof InputError) throw badRequest(error.message);
    throw error;
  }
}

/** A body field that is one text: absent or empty means not given; anything but a string is a 400 naming it. */
function textField(body: Body, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw badRequest(`field "${name}" must be a string`);
  if (name === 'note' ? value.length > MAX_NOTE_LENGTH : value.length > 200) throw badRequest(`field "${name}" is longer than ${name === 'note' ? MAX_NOTE_LENGTH : 200} characters`);
  return value;
}

/** A body field that lists names: a string (a comma list, as the CLI takes) or an array of strings (a repeated form field). */
export function listField(body: Body, name: string): string[] {
  const value = body[name];
  if (value === undefined || value === null) return [];
  const parts = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
  if (parts === undefined || !parts.every((part): part is string => typeof part === 'string')) throw badRequest(`field "${name}" must be a string, a comma list or an array of strings`);
  return parts.flatMap((part) => part.split(',')).map((part) => part.trim()).filter((part) => part !== '');
}

export function bodyObject(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be an object of fields');
  return body as Body;
}

/** The decision a form or JSON body states: status, justification, version and note. */
export function decisionOf(body: Body): Pick<TriageRequest, 'status' | 'justification' | 'version' | 'note'> {
  const status = textField(body, 'status');
  if (status === undefined) throw badRequest('field "status" is required');
  return { status, justification: textField(body, 'justification'), version: textField(body, 'version'), note: textField(body, 'note') };
}

/**
 * Records the requests for the request's user, all in one transaction: 401 when nobody is signed
 * in, 403 naming every package the user may not act on (nothing is then recorded), 400 for bad
 * input. Packages no index lists are left to the recording, which names them as unknown.
 */
export async function recordFor(web: WebContext, request: FastifyRequest, requests: readonly TriageRequest[]): Promise<TriageEvent[]> {
  const principal = requireSignedIn(request);
  const names = [...new Set(requests.flatMap((entry) => entry.packages))];
  const maintainers = await listMaintainersOfPackages(web.db, names);
  const refused = names.filter((name) => maintainers.has(name) && !mayActOn(principal, maintainers.get(name)!));
  if (refused.length > 0) throw new HttpError(403, `${principal.email ?? principal.role} may not act on ${refused.join(', ')}`);
  return badInputAs400(() => recordTriageBatch(web, requests, actorName(requestIdentity(request))));
}

/** `POST /api/triage`: one decision for every package x vulnerability the JSON body lists. */
async function postApiTriage(web: WebContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const body = bodyObject(request.body);
  const unknown = Object.keys(body).find((name) => !(API_FIELDS as readonly string[]).includes(name));
  if (unknown !== undefined) throw badRequest(`unknown field "${unknown}"; the body takes ${API_FIELDS.join(', ')}`);
  const packages = listField(body, 'package');
  const vulnerabilities = listField(body, 'vuln');
  if (packages.length === 0) throw badRequest('field "package" is required');
  if (vulnerabilities.length === 0) throw badRequest('field "vuln" is required');
  const events = await recordFor(web, request, [{ packages, vulnerabilities, ...decisionOf(body), branches: listField(body, 'branches') }]);
  return reply.code(201).header('cache-control', 'no-store').send({ events });
}

const HISTORY_PARAMS = ['package', 'vuln', 'author', 'since'];

/** `GET /api/triage`: the history, oldest first, answered with the data version's validators. */
async function getApiTriage(web: WebContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const query = request.query as RawQuery;
  onlyParams(query, HISTORY_PARAMS);
  const filter = { package: textParam(query, 'package'), vulnerabilityId: textParam(query, 'vuln'), author: textParam(query, 'author'), since: textParam(query, 'since') };
  const url = withQuery(canonicalUrl(TRIAGE_API_PATH), { package: filter.package, vuln: filter.vulnerabilityId, author: filter.author, since: filter.since });
  return respond(web, request, reply, {
    url,
    contentType: 'application/json; charset=utf-8',
    // Not `json`: the queue page's JSON lives at the same canonical path.
    variant: 'triage-history',
    render: async () => jsonText({ events: await badInputAs400(() => listTriageHistory(web, filter)) }),
  });
}

/** `POST /triage`: the bulk form of the queue; each selected `BRANCH PACKAGE VULN` row, grouped into one event per pair. */
async function postBulkTriage(web: WebContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const body = bodyObject(request.body);
  const rows = listField(body, 'pair');
  if (rows.length === 0) throw badRequest('select at least one row (field "pair")');
  const everyBranch = textField(body, 'scope') === 'all';
  const decision = decisionOf(body);
  const byPair = new Map<string, { pkg: string; vulnerabilityId: string; branches: Set<string> }>();
  for (const row of rows) {
    const [branch, pkg, vulnerabilityId, ...rest] = row.split(' ');
    if (branch === undefined || pkg === undefined || vulnerabilityId === undefined || rest.length > 0) throw badRequest(`field "pair": "${row}" is not "BRANCH PACKAGE VULN"`);
    const key = `${pkg} ${vulnerabilityId}`;
    const entry = byPair.get(key) ?? { pkg, vulnerabilityId, branches: new Set<string>() };
    entry.branches.add(branch);
    byPair.set(key, entry);
  }
  const requests = [...byPair.values()].map((entry) => ({
    packages: [entry.pkg],
    vulnerabilities: [entry.vulnerabilityId],
    ...decision,
    branches: everyBranch ? undefined : [...entry.branches],
  }));
  await recordFor(web, request, requests);
  const back = safeReturnPath(body['return']);
  return reply.header('cache-control', 'no-store').redirect(back !== undefined && (back === TRIAGE_PATH || back.startsWith(`${TRIAGE_PATH}?`)) ? back : TRIAGE_PATH, 303);
}

function parseQueueInput(_params: Readonly<Record<string, string>>, query: RawQuery): TriageQueueInput {
  return {
    branch: textParam(query, 'branch')?.replace(/^v(?=\d)/, ''),
    repo: textParam(query, 'repo'),
    maintainer: textParam(query, 'maintainer'),
    severity: choiceParam(query, 'severity', SEVERITY_LEVELS),
    kev: flagParam(query, 'kev') ?? false,
    age: integerParam(query, 'age', 0, 100_000),
    page: pageParam(query, TRIAGE_MAX_PAGES),
  };
}

/** The queue's filters as query parameters, defaults left out. */
function queueFilters(input: TriageQueueInput): Record<string, string | number | boolean | undefined> {
  return { branch: input.branch, repo: input.repo, maintainer: input.maintainer, severity: input.severity, kev: input.kev ? 1 : undefined, age: input.age };
}

const queuePagePath = (input: TriageQueueInput, page: number) => withQuery(TRIAGE_PATH, { ...queueFilters(input), page: pageQueryValue(page) });

/**
 * `/triage`: the open pairs most urgent first, narrowed by branch, repository, maintainer,
 * minimum severity, KEV and age, one page at a time (`triageQueuePage`).
 */
export const triageQueueResource: Resource<TriageQueueInput, TriageQueueData> = {
  path: TRIAGE_PATH,
  queryParams: ['branch', 'repo', 'maintainer', 'severity', 'kev', 'age', 'page'],
  // /api/triage is the triage history and recording API; the queue's JSON is by content negotiation here.
  api: false,
  personal: true,
  parse: parseQueueInput,
  load: async (web, input, context) => {
    const asOf = new Date().toISOString();
    const filter = {
      branch: input.branch,
      repo: input.repo,
      maintainer: input.maintainer,
      kevOnly: input.kev,
      minSeverity: input.severity,
      // At least `age` whole days old on `asOf` (as `ageInDays` counts them).
      publishedBy: input.age === undefined ? undefined : new Date(Date.parse(asOf) - input.age * 86_400_000).toISOString(),
    };
    const start = (input.page - 1) * TRIAGE_PAGE_SIZE;
    // The counts `update` stored for this data version spare counting every open state.
    const version = context.dataVersion.version;
    const stored = { openPairs: (await homeSummary.atHand(web, version))?.open, openStates: async () => (await queueSummary.atHand(web, version))?.openStates };
    const [queue, branches] = await Promise.all([badInputAs400(() => triageQueuePage(web, filter, web.today(), start, TRIAGE_PAGE_SIZE, stored)), listBranches(web.db)]);
    const listed = Math.min(queue.total, TRIAGE_MAX_PAGES * TRIAGE_PAGE_SIZE);
    const pageCount = pageCountOf(listed, TRIAGE_PAGE_SIZE);
    if (input.page > pageCount) throw notFound(`page ${input.page} of the triage queue`);
    const viewer = context.viewer;
    const rows: TriageQueueRow[] = queue.entries.map((entry) => ({
      ...entry,
      ageDays: ageInDays(entry.urgency.published, asOf),
      mayAct: viewer !== undefined && mayActOn(viewer.principal, [entry.maintainer]),
    }));
    return { branches: branches.map((branch) => branch.name), rows, total: queue.total, listed, page: input.page, pageCount, asOf };
  },
  title: () => 'Triage queue',
  html: (data, context, input) => triageQueueView(data, input, context.viewer, queueFilters(input)),
  // Never the reader's `mayAct`: the JSON is shared by everyone.
  json: (data, _context, input) => ({
    filters: { ...queueFilters(input), kev: input.kev },
    total: data.total,
    listed: data.listed,
    page: data.page,
    pageCount: data.pageCount,
    pageSize: TRIAGE_PAGE_SIZE,
    ...neighbourPagePaths(data.page, data.pageCount, (page) => queuePagePath(input, page)),
    asOf: data.asOf,
    pairs: data.rows.map(({ mayAct: _mayAct, triage, urgency, ...row }) => ({
      ...row,
      url: vulnerabilityPath(row.vulnerabilityId),
      kev: urgency.kev,
      severity: urgency.severity,
      cvssScore: urgency.cvssScore,
      published: urgency.published,
      computedState: triage.computedState,
      status: triage.status,
      needsReview: triage.needsReview,
      triage: triage.triage,
    })),
  }),
  jsonld: (data, context, input) => {
    const absolute = (path: string) => `${context.base}${path}`;
    return {
      id: absolute(queuePagePath(input, data.page)),
      type: 'Collection',
      ...linkedPaging(data.total, data.page, data.pageCount, (page) => absolute(queuePagePath(input, page))),
      items: data.rows.map((row) => absolute(stateId(row.vulnerabilityId, row.branch, row.repo, row.package))),
    };
  },
};

/** The triage API, the queue page and its bulk form. (The CVE page's own form is in ./vulnerability.ts.) */
export function registerTriageRoutes(app: FastifyInstance, web: WebContext): void {
  app.post(TRIAGE_API_PATH, (request, reply) => postApiTriage(web, request, reply));
  app.get(TRIAGE_API_PATH, (request, reply) => getApiTriage(web, request, reply));
  registerResource(app, web, triageQueueResource);
  app.post(TRIAGE_PATH, (request, reply) => postBulkTriage(web, request, reply));
}
