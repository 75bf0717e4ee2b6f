import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { getDataVersion, listBranches, listMaintainersContaining, listVulnerabilityUrgency } from '../../store/index.js';
import { listOpenWork } from '../../tracker/open-work.js';
import { endedBranchNames, triageQueuePage } from '../../tracker/triage.js';
import { personalizePage, requestIdentity } from '../auth.js';
import { MY_WORK_PATH, maintainerKey } from '../urls.js';
import { page } from '../views/layout.js';
import { type MyWorkData, type MyWorkPackage, myWorkView, signInFirstView } from '../views/my-work.js';
import type { WebContext } from '../web-context.js';

/** How many of the queue's most urgent pairs the security team's "my work" shows. */
export const QUEUE_TOP = 100;

/** Groups pairs by package in the order the packages first appear. */
function byPackage<T extends { readonly package: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) groups.set(row.package, [...(groups.get(row.package) ?? []), row]);
  return groups;
}

/** The security team's (and admins') work: the top of the whole triage queue, by package. */
async function wholeQueueWork(web: WebContext, email: string | null): Promise<MyWorkData> {
  const top = (await triageQueuePage(web, {}, web.today(), 0, QUEUE_TOP)).entries;
  const open = [...byPackage(top)].map(([name, entries]) => ({
    name,
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
  return { email, wholeQueue: true, open, rest: [] };
}

/**
 * A maintainer's work: the open pairs of the packages whose index maintainer has their address
 * (`listOpenWork`), grouped by origin package, most open pairs first, then their other packages.
 */
async function maintainerWork(web: WebContext, email: string): Promise<MyWorkData> {
  const spellings = (await listMaintainersContaining(web.db, email)).filter((text) => maintainerKey(text).toLowerCase() === email);
  const work = await listOpenWork(web.db, { maintainers: spellings }, endedBranchNames(await listBranches(web.db), web.today()));
  const pairs = work.packages.flatMap((entry) => (work.openPairs.get(entry.id) ?? []).map((pair) => ({ ...pair, branch: entry.branch, repo: entry.repo, package: entry.package })));
  const urgency = new Map((await listVulnerabilityUrgency(web.db, pairs.map((pair) => pair.vulnerabilityId))).map((row) => [row.id, row]));
  const open: MyWorkPackage[] = [...byPackage(pairs)].map(([name, entries]) => ({
    name,
    pairs: entries.map((pair) => ({
      branch: pair.branch,
      repo: pair.repo,
      vulnerabilityId: pair.vulnerabilityId,
      status: pair.triage.status,
      needsReview: pair.triage.needsReview,
      severity: urgency.get(pair.vulnerabilityId)?.severity ?? null,
      cvssScore: urgency.get(pair.vulnerabilityId)?.cvssScore ?? null,
    })),
  }));
  open.sort((a, b) => b.pairs.length - a.pairs.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const withWork = new Set(open.map((entry) => entry.name));
  const rest = [...new Set(work.packages.map((entry) => entry.package))].filter((name) => !withWork.has(name)).sort();
  return { email, wholeQueue: false, open, rest };
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
  else if (principal.role === 'maintainer' && principal.email !== null) body = myWorkView(await maintainerWork(web, principal.email.toLowerCase()));
  else body = myWorkView(await wholeQueueWork(web, principal.email));
  const context = { site: web.site, base: web.origin(), url: MY_WORK_PATH, dataVersion };
  const text = personalizePage(request, page(context, { title: 'My work', body }).toString(), MY_WORK_PATH);
  return reply.header('cache-control', 'private, no-store').type('text/html; charset=utf-8').send(text);
}

export function registerMyWorkRoute(app: FastifyInstance, web: WebContext): void {
  app.get(MY_WORK_PATH, (request, reply) => myWork(web, request, reply));
}
