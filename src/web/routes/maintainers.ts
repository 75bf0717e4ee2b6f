import { type OpenPair, listBranches, listMaintainersContaining, listPackageDetails } from '../../store/index.js';
import { byOpenWork, listOpenWork, openCountOf } from '../../tracker/open-work.js';
import { endedBranchNames } from '../../tracker/triage.js';
import { branchNamesInOrder, requireKnownBranch } from '../branch-order.js';
import { notFound } from '../errors.js';
import { listedStateNode, packageVersionNode } from '../linked-nodes.js';
import { linkedPaging, neighbourPagePaths, pageCountOf, pageParam, pageQueryValue } from '../paging.js';
import { textParam } from '../query-params.js';
import type { Resource } from '../resource.js';
import { maintainerFeedPath, maintainerKey, maintainerPath, maintainersPath, packagePath, vulnerabilityPath, withQuery } from '../urls.js';
import { homeSummary, namesSummary } from '../summaries.js';
import {
  type MaintainerData,
  type MaintainerIdentity,
  type MaintainerInput,
  type MaintainerPackageEntry,
  type MaintainersData,
  maintainerView,
  maintainersView,
} from '../views/maintainers.js';
import type { RenderContext, WebContext } from '../web-context.js';

/** Rows per page of the maintainer list and of one maintainer's packages. */
const MAINTAINER_PAGE_SIZE = 100;

/** Byte order, as the database sorts: the same on every platform and locale. */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The name part of a maintainer text (`Jane Doe <jane@example.org>` gives `Jane Doe`), or `fallback` when it has none. */
function displayName(text: string, fallback: string): string {
  const name = text.replace(/<[^<>\s]+@[^<>\s]+>/, '').trim();
  return name === '' ? fallback : name;
}

function identityOf(key: string, spellings: readonly string[]): MaintainerIdentity {
  const sorted = [...spellings].sort(compareText);
  const first = sorted[0] ?? key;
  // `maintainerKey` gives either the e-mail address or the whole (trimmed) text.
  return { key, name: displayName(first, key), email: key === first.trim() ? null : key, spellings: sorted };
}

/** The absolute URL of a path of the tracker. */
const absoluteIn = (context: RenderContext) => (path: string) => `${context.base}${path}`;

// ---- /maintainers ----

/** Most open pairs first, then by name and key. */
function byOpenPairsThenName(a: { open: number; name: string; key: string }, b: { open: number; name: string; key: string }): number {
  return b.open - a.open || compareText(a.name, b.name) || compareText(a.key, b.key);
}

/**
 * From the summaries of the data version (each reads every published version or every open
 * state): every maintainer text with its package count and the packages several texts share
 * (the names summary), and its open pairs (the home summary). People are few compared to
 * packages, and grouping texts by e-mail must use `maintainerKey`, which SQL cannot, so the texts
 * are grouped here; a package listed under two spellings of one person is then taken off once.
 */
async function loadMaintainers(web: WebContext, page: number, dataVersion: number): Promise<MaintainersData> {
  const [names, home, branches] = await Promise.all([namesSummary.at(web, dataVersion), homeSummary.at(web, dataVersion), listBranches(web.db)]);
  const ended = endedBranchNames(branches, web.today());
  const openOfText = new Map<string, number>();
  for (const row of home.open) {
    if (row.maintainer !== null && !ended.has(row.branch)) openOfText.set(row.maintainer, (openOfText.get(row.maintainer) ?? 0) + row.open);
  }
  const people = new Map<string, { spellings: string[]; packages: number; open: number }>();
  for (const row of names.maintainerPackages) {
    const key = maintainerKey(row.maintainer);
    const person = people.get(key) ?? { spellings: [], packages: 0, open: 0 };
    person.spellings.push(row.maintainer);
    person.packages += row.packages;
    person.open += openOfText.get(row.maintainer) ?? 0;
    people.set(key, person);
  }
  const counted = new Set<string>();
  for (const { maintainer, name } of names.sharedPackages) {
    const key = maintainerKey(maintainer);
    const seen = `${key}\u0000${name}`;
    const person = people.get(key);
    if (person !== undefined && counted.has(seen)) person.packages -= 1;
    counted.add(seen);
  }
  const everyone = [...people]
    .map(([key, person]) => ({ ...identityOf(key, person.spellings), packages: person.packages, open: person.open }))
    .sort(byOpenPairsThenName);
  const pageCount = pageCountOf(everyone.length, MAINTAINER_PAGE_SIZE);
  if (page > pageCount) throw notFound(`page ${page} of the maintainers`);
  return { page, pageCount, total: everyone.length, maintainers: everyone.slice((page - 1) * MAINTAINER_PAGE_SIZE, page * MAINTAINER_PAGE_SIZE) };
}

const maintainersPagePath = (page: number) => withQuery(maintainersPath(), { page: pageQueryValue(page) });

/** `/maintainers`: every maintainer with their package count and open pairs, most open pairs first, 100 a page. */
export const maintainersResource: Resource<{ readonly page: number }, MaintainersData> = {
  path: '/maintainers',
  queryParams: ['page'],
  parse: (_params, query) => {
    return { page: pageParam(query) };
  },
  load: (web, input, context) => loadMaintainers(web, input.page, context.dataVersion.version),
  title: (data) => (data.pageCount > 1 ? `Maintainers (page ${data.page} of ${data.pageCount})` : 'Maintainers'),
  html: (data) => maintainersView(data),
  json: (data) => ({
    page: data.page,
    pageCount: data.pageCount,
    pageSize: MAINTAINER_PAGE_SIZE,
    total: data.total,
    ...neighbourPagePaths(data.page, data.pageCount, maintainersPagePath),
    maintainers: data.maintainers.map((person) => ({ ...person, url: maintainerPath(person.key), feed: maintainerFeedPath(person.key) })),
  }),
  jsonld: (data, context) => {
    const absolute = absoluteIn(context);
    return {
      id: absolute(maintainersPagePath(data.page)),
      type: 'Collection',
      name: 'Maintainers',
      ...linkedPaging(data.total, data.page, data.pageCount, (page) => absolute(maintainersPagePath(page))),
      items: data.maintainers.map((person) => ({
        id: absolute(maintainerPath(person.key)),
        type: 'Maintainer',
        name: person.name,
        ...(person.email === null ? {} : { email: person.email }),
        packageCount: person.packages,
        openCount: person.open,
        feed: absolute(maintainerFeedPath(person.key)),
      })),
    };
  },
};

// ---- /maintainer/:key ----

/**
 * Four steps, eight queries: the branches and the maintainer texts that may have this key (run
 * together), the person's packages with their open work (`listOpenWork`, three), then the
 * versions and pairs of one page of packages, most open pairs first.
 */
async function loadMaintainer(web: WebContext, input: MaintainerInput): Promise<MaintainerData> {
  const [branches, candidates] = await Promise.all([listBranches(web.db), listMaintainersContaining(web.db, input.key)]);
  const spellings = candidates.filter((text) => maintainerKey(text) === input.key);
  if (spellings.length === 0) throw notFound(`maintainer ${input.key}`);
  const branchOrder = branchNamesInOrder(branches);
  requireKnownBranch(input.branch, branchOrder);
  const work = await listOpenWork(web.db, { maintainers: spellings }, endedBranchNames(branches, web.today()), input.branch);
  const ordered = byOpenWork(work, branchOrder);
  const pageEntries = ordered.slice((input.page - 1) * MAINTAINER_PAGE_SIZE, input.page * MAINTAINER_PAGE_SIZE);
  if (pageEntries.length === 0 && input.page > 1) throw notFound(`page ${input.page} of maintainer ${input.key}`);
  const details = await listPackageDetails(web.db, pageEntries.map((entry) => entry.id));
  return {
    ...identityOf(input.key, spellings),
    branches: branchOrder,
    page: input.page,
    pageCount: pageCountOf(ordered.length, MAINTAINER_PAGE_SIZE),
    totalPackages: ordered.length,
    packages: pageEntries.map((entry): MaintainerPackageEntry => {
      const pairs = details.get(entry.id)?.openPairs ?? [];
      return {
        branch: entry.branch,
        repo: entry.repo,
        name: entry.package,
        version: details.get(entry.id)?.version ?? '',
        open: openCountOf(work, entry),
        vulnerable: pairs.filter((pair) => pair.state === 'vulnerable'),
        unknown: pairs.filter((pair) => pair.state === 'unknown'),
      };
    }),
  };
}

const maintainerPagePath = (key: string, branch: string | undefined, page: number) =>
  withQuery(maintainerPath(key), { branch, page: pageQueryValue(page) });

const pairJson = (pair: OpenPair) => ({
  id: pair.vulnerabilityId,
  url: vulnerabilityPath(pair.vulnerabilityId),
  severity: pair.severity,
  cvssScore: pair.cvssScore,
  fixedVersion: pair.fixedVersion,
});

/**
 * `/maintainer/:key` (an e-mail address, or the whole maintainer text when it has none): the
 * person's packages per branch and repository with their open-pair count and vulnerable and
 * unknown pairs, most open pairs first (then by name), 100 packages a page, optionally of one `branch`.
 */
export const maintainerResource: Resource<MaintainerInput, MaintainerData> = {
  path: '/maintainer/:key',
  queryParams: ['branch', 'page'],
  parse: (params, query) => {
    return { key: params['key'] ?? '', branch: textParam(query, 'branch'), page: pageParam(query) };
  },
  load: loadMaintainer,
  title: (data, input) => `Maintainer ${data.name}${input.branch === undefined ? '' : ` in ${input.branch}`}`,
  html: (data, _context, input) => maintainerView(data, input),
  json: (data, _context, input) => ({
    key: data.key,
    name: data.name,
    email: data.email,
    spellings: data.spellings,
    url: maintainerPath(data.key),
    feed: maintainerFeedPath(data.key),
    branch: input.branch ?? null,
    page: data.page,
    pageCount: data.pageCount,
    pageSize: MAINTAINER_PAGE_SIZE,
    totalPackages: data.totalPackages,
    ...neighbourPagePaths(data.page, data.pageCount, (page) => maintainerPagePath(data.key, input.branch, page)),
    packages: data.packages.map((entry) => ({
      branch: entry.branch,
      repository: entry.repo,
      name: entry.name,
      url: packagePath(entry.name),
      version: entry.version,
      open: entry.open,
      vulnerable: entry.vulnerable.map(pairJson),
      unknown: entry.unknown.map(pairJson),
    })),
  }),
  jsonld: (data, context, input) => {
    const absolute = absoluteIn(context);
    return {
      id: absolute(maintainerPath(data.key)),
      type: 'Maintainer',
      name: data.name,
      ...(data.email === null ? {} : { email: data.email }),
      feed: absolute(maintainerFeedPath(data.key)),
      // This page of the person's packages; `page`, `totalItems` and the links page through them.
      versions: data.packages.map((entry) => ({
        ...packageVersionNode(absolute, entry.name, entry.branch, entry.repo, entry.version),
        states: [...entry.vulnerable, ...entry.unknown].map((pair) =>
          listedStateNode(absolute, pair.vulnerabilityId, { branch: entry.branch, repo: entry.repo, package: entry.name }, pair),
        ),
      })),
      ...linkedPaging(data.totalPackages, data.page, data.pageCount, (page) => absolute(maintainerPagePath(data.key, input.branch, page))),
    };
  },
  feeds: (data) => [{ type: 'application/atom+xml', href: maintainerFeedPath(data.key), title: `State changes of ${data.name}'s packages (Atom)` }],
};
