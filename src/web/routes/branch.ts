import {
  BRANCH_PACKAGE_SORTS,
  type BranchPair,
  type BranchPairFilter,
  SEVERITY_LEVELS,
  STATE_NAMES,
  getBranch,
  listBranchPackages,
  listBranchPairs,
  listTriageEvents,
} from '../../store/index.js';
import type { TriageEvent } from '../../base/triage.js';
import { isBranchSupported } from '../../engine/end-of-support.js';
import { resolvePairTriage } from '../../engine/triage.js';
import { stateCountsOf } from '../../tracker/summaries.js';
import { badRequest, notFound } from '../errors.js';
import { homeSummary } from '../summaries.js';
import { listedStateNode, packageVersionNode } from '../linked-nodes.js';
import { linkedPaging, neighbourPagePaths, pageCountOf, pageParam, pageQueryValue } from '../paging.js';
import { type RawQuery, choiceParam, flagParam, textParam } from '../query-params.js';
import type { Resource } from '../resource.js';
import { branchFeedPath, branchPath, maintainerPath, packagePath, repositoryId, vulnerabilityPath, withQuery } from '../urls.js';
import { ageInDays } from '../views/common.js';
import { type BranchData, type BranchInput, type BranchPackageEntry, branchView } from '../views/branch.js';
import type { RenderContext, WebContext } from '../web-context.js';

/** Packages per page. */
const BRANCH_PAGE_SIZE = 50;

const KNOWN_PARAMS = ['repo', 'state', 'severity', 'maintainer', 'orphaned', 'sort', 'page'];

function parseBranchInput(params: Readonly<Record<string, string>>, query: RawQuery): BranchInput {
  const maintainer = textParam(query, 'maintainer');
  const orphaned = flagParam(query, 'orphaned') ?? false;
  if (maintainer !== undefined && orphaned) throw badRequest('query parameters "maintainer" and "orphaned" exclude each other');
  return {
    branch: params['branch'] ?? '',
    repo: textParam(query, 'repo'),
    state: choiceParam(query, 'state', STATE_NAMES) ?? 'vulnerable',
    severity: choiceParam(query, 'severity', SEVERITY_LEVELS),
    maintainer,
    orphaned,
    sort: choiceParam(query, 'sort', BRANCH_PACKAGE_SORTS) ?? 'package',
    page: pageParam(query),
  };
}

/** The query parameters that reproduce `input` (defaults left out), with `changes` applied. */
function branchQuery(input: BranchInput, changes: Partial<BranchInput> = {}): Record<string, string | number | boolean | undefined> {
  const wanted = { ...input, ...changes };
  return {
    repo: wanted.repo,
    state: wanted.state === 'vulnerable' ? undefined : wanted.state,
    severity: wanted.severity,
    maintainer: wanted.maintainer,
    orphaned: wanted.orphaned,
    sort: wanted.sort === 'package' ? undefined : wanted.sort,
    page: pageQueryValue(wanted.page),
  };
}

/** The path of the branch page showing `input` with `changes`. */
const branchPagePath = (input: BranchInput, changes: Partial<BranchInput> = {}) =>
  withQuery(branchPath(input.branch), branchQuery(input, changes));

const packageKey = (repository: number, name: string) => `${repository}\u0000${name}`;

/**
 * Loads the page in six queries: the branch with its repositories and its architectures at
 * once, then the home summary (state and open counts, read once per data version for every page)
 * and the page of packages at once, then the pairs of the page's packages and their triage
 * events at once.
 */
async function loadBranch(web: WebContext, input: BranchInput, context: RenderContext): Promise<BranchData> {
  const branch = await getBranch(web.db, input.branch);
  if (branch === undefined) throw notFound(`branch ${input.branch}`);
  const repositories = branch.repositories.map((repository) => repository.name);
  if (input.repo !== undefined && !repositories.includes(input.repo)) {
    throw badRequest(`branch ${branch.name} has no repository "${input.repo}"; it has ${repositories.join(', ')}`);
  }
  const filter: BranchPairFilter = {
    repositoryIds: branch.repositories.filter((repository) => input.repo === undefined || repository.name === input.repo).map((repository) => repository.id),
    state: input.state,
    minimumSeverity: input.severity,
    maintainer: input.maintainer,
    orphaned: input.orphaned,
  };
  const chosen = branch.repositories.filter((repository) => filter.repositoryIds.includes(repository.id)).map((repository) => repository.name);
  const supported = isBranchSupported(branch.endOfSupport, web.today());
  const [summary, page] = await Promise.all([
    homeSummary.at(web, context.dataVersion.version),
    listBranchPackages(web.db, { ...filter, sort: input.sort, page: input.page, pageSize: BRANCH_PAGE_SIZE }),
  ]);
  if (page.packages.length === 0 && input.page > 1) throw notFound(`page ${input.page} of branch ${branch.name}`);
  const counts = stateCountsOf(summary, branch.name, chosen);
  const [pairs, triageEvents] = await Promise.all([
    listBranchPairs(web.db, filter, page.packages),
    page.packages.length === 0 ? [] : listTriageEvents(web.db, { packages: page.packages.map((entry) => entry.package) }),
  ]);
  const eventsByPair = new Map<string, TriageEvent[]>();
  for (const event of triageEvents) {
    const key = `${event.package}\u0000${event.vulnerabilityId}`;
    eventsByPair.set(key, [...(eventsByPair.get(key) ?? []), event]);
  }
  const eventsOf = (pkg: string, vulnerabilityId: string) => eventsByPair.get(`${pkg}\u0000${vulnerabilityId}`) ?? [];
  const asOf = new Date().toISOString();
  const pairsByPackage = new Map<string, BranchPair[]>();
  for (const pair of pairs) {
    const key = packageKey(pair.repositoryId, pair.package);
    const known = pairsByPackage.get(key);
    if (known === undefined) pairsByPackage.set(key, [pair]);
    else known.push(pair);
  }
  const open = summary.open.filter((row) => row.branch === branch.name && (input.repo === undefined || row.repo === input.repo)).reduce((sum, row) => sum + row.open, 0);
  return {
    name: branch.name,
    endOfSupport: branch.endOfSupport,
    supported,
    architectures: branch.archs,
    repositories,
    counts,
    open: supported ? open : 0,
    page: input.page,
    pageCount: pageCountOf(page.total, BRANCH_PAGE_SIZE),
    totalPackages: page.total,
    packages: page.packages.map((entry) => {
      const entryPairs = pairsByPackage.get(packageKey(entry.repositoryId, entry.package)) ?? [];
      return {
        repo: entry.repo,
        name: entry.package,
        // Every pair of a package was decided for the same newest published version.
        version: entryPairs[0]?.version ?? null,
        indexed: entry.indexed,
        maintainer: entry.maintainer === '' ? null : entry.maintainer,
        orphaned: entry.indexed && (entry.maintainer === null || entry.maintainer === ''),
        vulnerabilities: entryPairs.map((pair) => ({
          id: pair.vulnerabilityId,
          state: pair.state,
          fixedVersion: pair.fixedVersion,
          severity: pair.severity,
          cvssScore: pair.cvssScore,
          published: pair.published,
          ageDays: ageInDays(pair.published, asOf),
          triage: resolvePairTriage({
            branch: branch.name,
            repo: entry.repo,
            computed: { state: pair.state, fixedVersion: pair.fixedVersion, evidence: pair.evidence },
            publishedVersion: pair.version,
            events: eventsOf(pair.package, pair.vulnerabilityId),
            endOfLife: !supported,
          }),
        })),
      };
    }),
    asOf,
  };
}

function branchJson(data: BranchData, input: BranchInput) {
  return {
    branch: {
      name: data.name,
      url: branchPath(data.name),
      supported: data.supported,
      endOfSupport: data.endOfSupport,
      architectures: data.architectures,
      repositories: data.repositories.map((name) => ({ name, url: withQuery(branchPath(data.name), { repo: name }) })),
      feed: branchFeedPath(data.name),
    },
    counts: data.counts,
    open: data.open,
    filters: {
      repo: input.repo ?? null,
      state: input.state,
      severity: input.severity ?? null,
      maintainer: input.maintainer ?? null,
      orphaned: input.orphaned,
      sort: input.sort,
    },
    page: data.page,
    pageCount: data.pageCount,
    pageSize: BRANCH_PAGE_SIZE,
    totalPackages: data.totalPackages,
    ...neighbourPagePaths(data.page, data.pageCount, (page) => branchPagePath(input, { page })),
    asOf: data.asOf,
    packages: data.packages.map((entry) => ({
      repository: entry.repo,
      name: entry.name,
      url: packagePath(entry.name),
      version: entry.version,
      indexed: entry.indexed,
      maintainer: entry.maintainer,
      maintainerUrl: entry.maintainer === null ? null : maintainerPath(entry.maintainer),
      orphaned: entry.orphaned,
      vulnerabilities: entry.vulnerabilities.map(({ triage, ...vulnerability }) => ({
        ...vulnerability,
        url: vulnerabilityPath(vulnerability.id),
        status: triage.status,
        needsReview: triage.needsReview,
        triage: triage.triage,
      })),
    })),
  };
}

function branchLinkedData(data: BranchData, context: RenderContext, input: BranchInput): Record<string, unknown> {
  const absolute = (path: string) => `${context.base}${path}`;
  const branchId = absolute(branchPath(data.name));
  const packageEntry = (entry: BranchPackageEntry) => ({
    ...packageVersionNode(absolute, entry.name, data.name, entry.repo, entry.version),
    ...(entry.maintainer === null ? {} : { maintainer: absolute(maintainerPath(entry.maintainer)), maintainerName: entry.maintainer }),
    orphaned: entry.orphaned,
    states: entry.vulnerabilities.map((vulnerability) =>
      listedStateNode(absolute, vulnerability.id, { branch: data.name, repo: entry.repo, package: entry.name }, vulnerability),
    ),
  });
  return {
    '@graph': [
      {
        id: branchId,
        type: 'Branch',
        name: data.name,
        supported: data.supported,
        ...(data.endOfSupport === null ? {} : { endOfSupport: data.endOfSupport.slice(0, 10) }),
        architectures: data.architectures,
        feed: absolute(branchFeedPath(data.name)),
        repositories: data.repositories.map((name) => ({ id: absolute(repositoryId(data.name, name)), type: 'Repository', name })),
      },
      {
        id: absolute(branchPagePath(input)),
        type: 'Collection',
        branch: branchId,
        counts: data.counts,
        openCount: data.open,
        ...linkedPaging(data.totalPackages, data.page, data.pageCount, (page) => absolute(branchPagePath(input, { page }))),
        items: data.packages.map(packageEntry),
      },
    ],
  };
}

/**
 * `/branch/:branch`: the branch's packages with pairs in one state (vulnerable by default), each
 * with its vulnerabilities, filtered, sorted and paged in SQL.
 */
export const branchResource: Resource<BranchInput, BranchData> = {
  path: '/branch/:branch',
  queryParams: KNOWN_PARAMS,
  parse: parseBranchInput,
  load: loadBranch,
  title: (data, input) => `Branch ${data.name}: ${input.state} packages`,
  html: (data, _context, input) =>
    branchView(data, input, {
      to: (changes) => branchPagePath(input, { page: 1, ...changes }),
      filters: branchQuery(input, { page: 1 }),
    }),
  json: (data, _context, input) => branchJson(data, input),
  jsonld: branchLinkedData,
  feeds: (data) => [{ type: 'application/atom+xml', href: branchFeedPath(data.name), title: `Branch ${data.name}: state changes (Atom)` }],
};
