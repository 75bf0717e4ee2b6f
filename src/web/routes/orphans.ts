import { listBranches, listPackageDetails } from '../../store/index.js';
import { byOpenWork, listOpenWork, openCountOf } from '../../tracker/open-work.js';
import { endedBranchNames } from '../../tracker/triage.js';
import { branchNamesInOrder, requireKnownBranch } from '../branch-order.js';
import { notFound } from '../errors.js';
import { packageVersionNode } from '../linked-nodes.js';
import { linkedPaging, neighbourPagePaths, pageCountOf, pageParam, pageQueryValue } from '../paging.js';
import { textParam } from '../query-params.js';
import type { Resource } from '../resource.js';
import { branchPath, orphansPath, packagePath, withQuery } from '../urls.js';
import { type OrphansData, type OrphansInput, orphansView } from '../views/orphans.js';
import type { WebContext } from '../web-context.js';

/** Packages per page. */
const ORPHAN_PAGE_SIZE = 100;

/**
 * Three steps, seven queries: the branches (three, to check the filter and order the list), the orphaned
 * packages with their open work (`listOpenWork`, three), then the versions and pairs of one page,
 * most open pairs first.
 */
async function loadOrphans(web: WebContext, input: OrphansInput): Promise<OrphansData> {
  const branches = await listBranches(web.db);
  const branchOrder = branchNamesInOrder(branches);
  requireKnownBranch(input.branch, branchOrder);
  const work = await listOpenWork(web.db, { orphaned: true }, endedBranchNames(branches, web.today()), input.branch);
  const ordered = byOpenWork(work, branchOrder);
  const pageEntries = ordered.slice((input.page - 1) * ORPHAN_PAGE_SIZE, input.page * ORPHAN_PAGE_SIZE);
  if (pageEntries.length === 0 && input.page > 1) throw notFound(`page ${input.page} of the orphaned packages`);
  const details = await listPackageDetails(web.db, pageEntries.map((entry) => entry.id));
  return {
    branches: branchOrder,
    page: input.page,
    pageCount: pageCountOf(ordered.length, ORPHAN_PAGE_SIZE),
    total: ordered.length,
    packages: pageEntries.map((entry) => ({
      branch: entry.branch,
      repo: entry.repo,
      package: entry.package,
      version: details.get(entry.id)?.version ?? '',
      open: openCountOf(work, entry),
      vulnerable: (details.get(entry.id)?.openPairs ?? []).filter((pair) => pair.state === 'vulnerable').length,
    })),
  };
}

const orphansPagePath = (branch: string | undefined, page: number) => withQuery(orphansPath(), { branch, page: pageQueryValue(page) });

/**
 * `/orphans`: the packages the indexes publish without a maintainer, per branch and repository,
 * with their newest version, open and vulnerable pairs, most open pairs first (then by name);
 * optionally of one `branch`; 100 a page.
 */
export const orphansResource: Resource<OrphansInput, OrphansData> = {
  path: '/orphans',
  queryParams: ['branch', 'page'],
  parse: (_params, query) => {
    return { branch: textParam(query, 'branch'), page: pageParam(query) };
  },
  load: loadOrphans,
  title: (_data, input) => `Orphaned packages${input.branch === undefined ? '' : ` in ${input.branch}`}`,
  html: (data, _context, input) => orphansView(data, input),
  json: (data, _context, input) => ({
    branch: input.branch ?? null,
    page: data.page,
    pageCount: data.pageCount,
    pageSize: ORPHAN_PAGE_SIZE,
    total: data.total,
    ...neighbourPagePaths(data.page, data.pageCount, (page) => orphansPagePath(input.branch, page)),
    packages: data.packages.map((entry) => ({
      branch: entry.branch,
      repository: entry.repo,
      name: entry.package,
      url: packagePath(entry.package),
      version: entry.version,
      open: entry.open,
      vulnerable: entry.vulnerable,
    })),
  }),
  jsonld: (data, context, input) => {
    const absolute = (path: string) => `${context.base}${path}`;
    return {
      id: absolute(orphansPagePath(input.branch, data.page)),
      type: 'Collection',
      name: 'Orphaned packages',
      ...(input.branch === undefined ? {} : { branch: absolute(branchPath(input.branch)) }),
      ...linkedPaging(data.total, data.page, data.pageCount, (page) => absolute(orphansPagePath(input.branch, page))),
      items: data.packages.map((entry) => ({
        ...packageVersionNode(absolute, entry.package, entry.branch, entry.repo, entry.version),
        orphaned: true,
        vulnerableCount: entry.vulnerable,
      })),
    };
  },
};
