import { STATE_NAMES, type StateChangeRow, listBranches, listStateChanges } from '../../store/index.js';
import { branchNamesInOrder } from '../branch-order.js';
import { badRequest, notFound } from '../errors.js';
import { pageParam } from '../paging.js';
import { choiceParam, textParam } from '../query-params.js';
import type { Resource } from '../resource.js';
import { branchFeedPath, branchPath, changesPath, feedPath, packagePath, repositoryId, stateChangeId, vulnerabilityPath } from '../urls.js';
import { type ChangesData, type ChangesInput, changeTitle, changesPagePath, changesView } from '../views/changes.js';

/** State changes per page of the list. */
const CHANGES_PAGE_SIZE = 100;
/** The deepest page: paging is by offset, and a million rows is as far as it stays quick. */
const MAX_PAGE = 10_000;

/** A state change as a JSON-LD node; its id is the feed entry's. */
function stateChangeNode(change: StateChangeRow, base: string): Record<string, unknown> {
  return {
    id: `${base}${stateChangeId(change.id)}`,
    type: 'StateChange',
    name: changeTitle(change),
    vulnerability: `${base}${vulnerabilityPath(change.vulnerabilityId)}`,
    package: `${base}${packagePath(change.package)}`,
    branch: `${base}${branchPath(change.branch)}`,
    repository: `${base}${repositoryId(change.branch, change.repo)}`,
    ...(change.oldState === null ? {} : { oldState: change.oldState }),
    ...(change.newState === null ? {} : { newState: change.newState }),
    changedAt: change.changedAt,
    cause: change.cause,
  };
}

function title(input: ChangesInput): string {
  return `Recent changes${input.branch === undefined ? '' : ` in ${input.branch}`}${input.state === undefined ? '' : ` to ${input.state}`}`;
}

/** `/changes`: the latest state changes, 100 a page, by branch and new state. */
export const changesResource: Resource<ChangesInput, ChangesData> = {
  path: changesPath(),
  queryParams: ['page', 'branch', 'state'],
  // /api/changes is the cursor-paged feed of every change; this page's JSON is by content negotiation here.
  api: false,
  parse: (_params, query) => {
    return {
      page: pageParam(query, MAX_PAGE),
      branch: textParam(query, 'branch'),
      state: choiceParam(query, 'state', STATE_NAMES),
    };
  },
  load: async (web, input) => {
    // The branch is checked first: an unknown one would have the list read the whole history.
    const branches = branchNamesInOrder(await listBranches(web.db));
    if (input.branch !== undefined && !branches.includes(input.branch)) {
      throw badRequest(`query parameter "branch" must be one of ${branches.join(', ')}; got "${input.branch}"`);
    }
    // One row more than the page shows tells whether there is a next page, without counting them all.
    const rows = await listStateChanges(
      web.db,
      { branch: input.branch, newState: input.state },
      { limit: CHANGES_PAGE_SIZE + 1, offset: (input.page - 1) * CHANGES_PAGE_SIZE },
    );
    if (rows.length === 0 && input.page > 1) throw notFound(`page ${input.page} of the changes`);
    return { branches, changes: rows.slice(0, CHANGES_PAGE_SIZE), hasNextPage: rows.length > CHANGES_PAGE_SIZE };
  },
  title: (_data, input) => title(input),
  html: (data, _context, input) => changesView(data, input),
  json: (data, _context, input) => ({
    page: input.page,
    pageSize: CHANGES_PAGE_SIZE,
    filters: { branch: input.branch ?? null, state: input.state ?? null },
    previous: input.page > 1 ? changesPagePath(input, input.page - 1) : null,
    next: data.hasNextPage ? changesPagePath(input, input.page + 1) : null,
    feed: input.branch === undefined ? feedPath() : branchFeedPath(input.branch),
    changes: data.changes.map((change) => ({
      id: change.id,
      changedAt: change.changedAt,
      branch: change.branch,
      repo: change.repo,
      package: change.package,
      vulnerability: change.vulnerabilityId,
      oldState: change.oldState,
      newState: change.newState,
      cause: change.cause,
      severity: change.severity,
      cvssScore: change.cvssScore,
      maintainer: change.maintainer,
    })),
  }),
  jsonld: (data, context, input) => ({
    id: `${context.base}${changesPagePath(input, input.page)}`,
    type: 'Collection',
    name: title(input),
    page: input.page,
    feed: `${context.base}${input.branch === undefined ? feedPath() : branchFeedPath(input.branch)}`,
    ...(input.page > 1 ? { previous: `${context.base}${changesPagePath(input, input.page - 1)}` } : {}),
    ...(data.hasNextPage ? { next: `${context.base}${changesPagePath(input, input.page + 1)}` } : {}),
    items: data.changes.map((change) => stateChangeNode(change, context.base)),
  }),
  feeds: (_data, input) => [
    { type: 'application/atom+xml', href: feedPath(), title: 'All state changes (Atom)' },
    ...(input.branch === undefined ? [] : [{ type: 'application/atom+xml', href: branchFeedPath(input.branch), title: `State changes in ${input.branch} (Atom)` }]),
  ],
};
