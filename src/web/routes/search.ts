import { foldAscii, namesContaining, searchVulnerabilities } from '../../store/index.js';
import { notFound } from '../errors.js';
import { linkedPaging, neighbourPagePaths, pageCountOf, pageParam, pageQueryValue } from '../paging.js';
import { textParam } from '../query-params.js';
import { type Resource, SeeOther } from '../resource.js';
import { maintainerKey, maintainerPath, packagePath, searchPath, vulnerabilityPath, withQuery } from '../urls.js';
import { type ExactMatch, SEARCH_LIMIT, type SearchData, type SearchInput, searchView } from '../views/search.js';
import type { WebContext } from '../web-context.js';
import { namesSummary } from '../summaries.js';

/** The hits of `names` on page `page`, and how many there are. */
function pageOf(names: readonly string[], page: number) {
  return { hits: names.slice((page - 1) * SEARCH_LIMIT, page * SEARCH_LIMIT), total: names.length };
}

/**
 * Vulnerabilities in one query (the full-text index); package names and maintainers from the
 * names summary `update` stores per data version, matched here: a few tens of thousands of
 * short texts. The exact match, if any, is the first hit of one of the lists.
 */
async function loadSearch(web: WebContext, input: SearchInput, dataVersion: number): Promise<SearchData> {
  const { q, page } = input;
  const empty = { hits: [], total: 0 };
  if (q === undefined) return { q, page, pageCount: 1, exactMatch: undefined, vulnerabilities: { ...empty, moreThanTotal: false }, packages: empty, maintainers: empty };
  const [read, names] = await Promise.all([
    // One hit past the page tells, beyond the counted hits, whether a next page has any.
    searchVulnerabilities(web.db, q, { limit: SEARCH_LIMIT + 1, offset: (page - 1) * SEARCH_LIMIT }),
    namesSummary.at(web, dataVersion),
  ]);
  const vulnerabilities = { ...read, hits: read.hits.slice(0, SEARCH_LIMIT) };
  const packages = namesContaining(names.packages, q);
  const maintainers = namesContaining(names.maintainers, q);
  // Past the counted hits, a page with vulnerabilities exists, and so does the next one while hits follow.
  const vulnerabilityPages = read.moreThanTotal && vulnerabilities.hits.length > 0 ? page + (read.hits.length > SEARCH_LIMIT ? 1 : 0) : 0;
  const pageCount = Math.max(vulnerabilityPages, ...[vulnerabilities.total, packages.length, maintainers.length].map((total) => pageCountOf(total, SEARCH_LIMIT)));
  if (page > pageCount) throw notFound(`page ${page} of the search`);
  const needle = foldAscii(q);
  const vulnerability = vulnerabilities.hits[0];
  const name = packages[0];
  const maintainer = names.maintainers.find((text) => foldAscii(maintainerKey(text)) === needle);
  const exactMatch: ExactMatch | undefined =
    page === 1 && vulnerability !== undefined && foldAscii(vulnerability.id) === needle
      ? { kind: 'vulnerability', id: vulnerability.id, url: vulnerabilityPath(vulnerability.id) }
      : name !== undefined && foldAscii(name) === needle
        ? { kind: 'package', id: name, url: packagePath(name) }
        : maintainer !== undefined
          ? { kind: 'maintainer', id: maintainerKey(maintainer), url: maintainerPath(maintainer) }
          : undefined;
  return { q, page, pageCount, exactMatch, vulnerabilities, packages: pageOf(packages, page), maintainers: pageOf(maintainers, page) };
}

const pagePath = (q: string | undefined, page: number) => withQuery(searchPath(), { q, page: pageQueryValue(page) });

/**
 * `/search?q=`: vulnerabilities whose id starts with `q` or whose description holds all its
 * words (in any order), packages whose name contains it and maintainers whose name or e-mail
 * address contains it (ASCII case ignored), 50 of each a page (`page`); vulnerabilities are
 * counted up to `SEARCH_COUNT_LIMIT` ("more than 1000", `vulnerabilitiesMoreThanTotal` in JSON),
 * and paged past it while there are hits. An exact id, package
 * name or maintainer e-mail address redirects a browser to its page (303); JSON answers name it
 * as `exactMatch`. Without `q`, the search form with help.
 */
export const searchResource: Resource<SearchInput, SearchData> = {
  path: '/search',
  queryParams: ['q', 'page'],
  parse: (_params, query) => {
    const q = textParam(query, 'q')?.trim();
    return { q: q === '' ? undefined : q, page: pageParam(query) };
  },
  load: (web, input, context) => loadSearch(web, input, context.dataVersion.version),
  title: (data) => (data.q === undefined ? 'Search' : `Search: ${data.q}`),
  html: (data) => {
    if (data.exactMatch !== undefined) throw new SeeOther(data.exactMatch.url);
    return searchView(data);
  },
  json: (data) => ({
    q: data.q ?? null,
    exactMatch: data.exactMatch ?? null,
    page: data.page,
    pageSize: SEARCH_LIMIT,
    pageCount: data.pageCount,
    ...neighbourPagePaths(data.page, data.pageCount, (page) => pagePath(data.q, page)),
    vulnerabilities: data.vulnerabilities.hits.map((hit) => ({ ...hit, url: vulnerabilityPath(hit.id) })),
    vulnerabilitiesTotal: data.vulnerabilities.total,
    vulnerabilitiesMoreThanTotal: data.vulnerabilities.moreThanTotal,
    packages: data.packages.hits.map((name) => ({ name, url: packagePath(name) })),
    packagesTotal: data.packages.total,
    maintainers: data.maintainers.hits.map((maintainer) => ({ maintainer, key: maintainerKey(maintainer), url: maintainerPath(maintainer) })),
    maintainersTotal: data.maintainers.total,
  }),
  jsonld: (data, context) => {
    const absolute = (path: string) => `${context.base}${path}`;
    return {
      id: absolute(pagePath(data.q, data.page)),
      type: 'Collection',
      name: data.q === undefined ? 'Search' : `Search results for ${data.q}`,
      ...(data.q === undefined ? {} : { query: data.q }),
      ...(data.exactMatch === undefined ? {} : { exactMatch: absolute(data.exactMatch.url) }),
      ...linkedPaging(data.vulnerabilities.total + data.packages.total + data.maintainers.total, data.page, data.pageCount, (page) => absolute(pagePath(data.q, page))),
      items: [
        ...data.vulnerabilities.hits.map((hit) => ({
          id: absolute(vulnerabilityPath(hit.id)),
          type: 'Vulnerability',
          name: hit.id,
          ...(hit.description === null ? {} : { description: hit.description }),
          ...(hit.severity === null ? {} : { severity: hit.severity }),
          ...(hit.published === null ? {} : { published: hit.published }),
        })),
        ...data.packages.hits.map((name) => ({ id: absolute(packagePath(name)), type: 'Package', name })),
        ...data.maintainers.hits.map((maintainer) => ({ id: absolute(maintainerPath(maintainer)), type: 'Maintainer', name: maintainer })),
      ],
    };
  },
};
