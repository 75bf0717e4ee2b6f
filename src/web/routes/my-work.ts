import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { getDataVersion, listBranches, listMaintainersContaining, listVulnerabilityUrgency } from '../../store/index.js';
import { listOpenWork } from '../../tracker/open-work.js';
import { endedBranchNames, triageQueueTop } from '../../tracker/triage.js';
import { byUrgency } from '../../engine/triage-queue.js';
import { personalizePage, requestIdentity } from '../auth.js';
import { notFound } from '../errors.js';
import { namesSummary } from '../summaries.js';
import { pageCountOf, pageParam } from '../paging.js';
import type { RawQuery } from '../query-params.js';
import { MY_WORK_PATH, maintainerKey } from '../urls.js';
import { page } from '../views/layout.js';
import { type MyWorkData, type MyWorkPackage, myWorkView, signInFirstView } from '../views/my-work.js';
import type { WebContext } from '../web-context.js';
import { groupBy } from '../../base/group-by.js';

/** How many of the queue's most urgent pairs the security team's "my work" shows. */
export const QUEUE_TOP = 100;

/** The security team's (and admins') work: the top of the whole triage queue, by package. */
async function wholeQueueWork(web: WebContext, email: string | null): Promise<MyWorkData> {
  const top = await triageQueueTop(web, {}, web.today(), QUEUE_TOP);
  const open = [...groupBy(top, (entry) => entry.package)].map(([name, entries]) => ({
    name,
    open: entries.length,
    pairs: entries.map((entry) => ({
      branch: entry.branch,
      repo: entry.repo,
      vulnerabilityId: entry.vulnerabilityId,
      status: entry.triage.status,
      needsReview: entry.triage.needsReview,
      severity: entry.urgency.severity,
      cvssScore: entry.urgency.cvssScore,
    })),
  }));
  return { email, wholeQueue: true, open, rest: [], page: 1, pageCount: 1, openPairs: top.length, openPackages: open.length };
}

/** Packages with open pairs on each page of a maintainer's "my work". */
export const MY_WORK_PACKAGES = 20;
/** Open pairs shown of each package, the most urgent; the package's page lists them all. */
export const MY_WORK_PAIRS = 10;

/**
 * A maintainer's work: the open pairs of the packages whose index maintainer has their address
 * (`listOpenWork`), grouped by origin package, most open pairs first, `MY_WORK_PACKAGES` a page
 * with each package's `MY_WORK_PAIRS` most urgent pairs, then (on the last page) their other packages.
 */
async function maintainerWork(web: WebContext, email: string, page: number, dataVersion: number): Promise<MyWorkData> {
  // The maintainer texts `update` stored for this data version spare searching every package's.
  const texts = (await namesSummary.atHand(web, dataVersion))?.maintainers ?? (await listMaintainersContaining(web.db, email));
  const spellings = texts.filter((text) => maintainerKey(text).toLowerCase() === email);
  const work = await listOpenWork(web.db, { maintainers: spellings }, endedBranchNames(await listBranches(web.db), web.today()));
  const pairs = work.packages.flatMap((entry) => (work.openPairs.get(entry.id) ?? []).map((pair) => Object.assign({ branch: entry.branch, repo: entry.repo, package: entry.package }, pair)));
  const ranked = [...groupBy(pairs, (pair) => pair.package)].sort(([a, x], [b, y]) => y.length - x.length || (a < b ? -1 : a > b ? 1 : 0));
  const pageCount = pageCountOf(ranked.length, MY_WORK_PACKAGES);
  if (page > pageCount) throw notFound(`page ${page} of my work`);
  const shown = ranked.slice((page - 1) * MY_WORK_PACKAGES, page * MY_WORK_PACKAGES);
  // Urgency orders the pairs within a package: only this page's are read.
  const ids = shown.flatMap(([, entries]) => entries.map((pair) => pair.vulnerabilityId));
  const urgency = new Map((await listVulnerabilityUrgency(web.db, ids)).map((row) => [row.id, row]));
  const open: MyWorkPackage[] = shown.map(([name, entries]) => ({
    name,
    open: entries.length,
    pairs: entries
      .map((pair) => ({ ...pair, urgency: urgency.get(pair.vulnerabilityId) ?? { kev: false, severity: null, cvssScore: null, published: null } }))
      .sort(byUrgency)
      .slice(0, MY_WORK_PAIRS)
      .map((pair) => ({
        branch: pair.branch,
        repo: pair.repo,
        vulnerabilityId: pair.vulnerabilityId,
        status: pair.triage.status,
        needsReview: pair.triage.needsReview,
        severity: pair.urgency.severity,
        cvssScore: pair.urgency.cvssScore,
      })),
  }));
  const withWork = new Set(ranked.map(([name]) => name));
  const rest = page < pageCount ? [] : [...new Set(work.packages.map((entry) => entry.package))].filter((name) => !withWork.has(name)).sort();
  return { email, wholeQueue: false, open, rest, page, pageCount, openPairs: pairs.length, openPackages: ranked.length };
}

/**
 * `/me`: the work of whoever asks, signed in through the provider or with an API token; rendered
 * for them alone and never cached. Anonymous readers get a page that says where to sign in.
 */
async function myWork(web: WebContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const identity = requestIdentity(request);
  const { principal } = identity;
  const dataVersion = await getDataVersion(web.db);
  let body;
  if (principal.role === 'anonymous') body = signInFirstView(web.site.signIn === true, MY_WORK_PATH);
  else if (principal.role === 'maintainer' && principal.email !== null) body = myWorkView(await maintainerWork(web, principal.email.toLowerCase(), pageParam(request.query as RawQuery), dataVersion.version));
  else body = myWorkView(await wholeQueueWork(web, principal.email));
  const context = { site: web.site, base: web.origin(), url: MY_WORK_PATH, dataVersion };
  const text = personalizePage(request, page(context, { title: 'My work', body }).toString(), MY_WORK_PATH);
  return reply.header('cache-control', 'private, no-store').type('text/html; charset=utf-8').send(text);
}

export function registerMyWorkRoute(app: FastifyInstance, web: WebContext): void {
  app.get(MY_WORK_PATH, (request, reply) => myWork(web, request, reply));
}
