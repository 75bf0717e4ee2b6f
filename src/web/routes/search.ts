import { foldAscii, searchPackages, searchVulnerabilities } from '../../store/index.js';
import { textParam } from '../query-params.js';
import { type Resource, SeeOther } from '../resource.js';
import { packagePath, searchPath, vulnerabilityPath, withQuery } from '../urls.js';
import { type ExactMatch, SEARCH_LIMIT, type SearchData, type SearchInput, searchView } from '../views/search.js';
import type { WebContext } from '../web-context.js';

/** Both lists in two queries, run together; the exact match, if any, is the first hit of one of them. */
async function loadSearch(web: WebContext, input: SearchInput): Promise<SearchData> {
  const q = input.q;
  if (q === undefined) return { q, exactMatch: undefined, vulnerabilities: [], vulnerabilitiesCapped: false, packages: [], packagesCapped: false };
  const [vulnerabilities, packages] = await Promise.all([searchVulnerabilities(web.db, q, SEARCH_LIMIT + 1), searchPackages(web.db, q, SEARCH_LIMIT + 1)]);
  const needle = foldAscii(q);
  const vulnerability = vulnerabilities[0];
  const name = packages[0];
  const exactMatch: ExactMatch | undefined =
    vulnerability !== undefined && foldAscii(vulnerability.id) === needle
      ? { kind: 'vulnerability', id: vulnerability.id, url: vulnerabilityPath(vulnerability.id) }
      : name !== undefined && foldAscii(name) === needle
        ? { kind: 'package', id: name, url: packagePath(name) }
        : undefined;
  return {
    q,
    exactMatch,
    vulnerabilities: vulnerabilities.slice(0, SEARCH_LIMIT),
    vulnerabilitiesCapped: vulnerabilities.length > SEARCH_LIMIT,
    packages: packages.slice(0, SEARCH_LIMIT),
    packagesCapped: packages.length > SEARCH_LIMIT,
  };
}

/**
 * `/search?q=`: vulnerabilities whose id starts with `q` or whose description contains it, and
 * packages whose name contains it (ASCII case ignored), at most 50 of each. An exact id or
 * package name redirects a browser to its page (303); JSON answers name it as `exactMatch`.
 * Without `q`, the search form with help.
 */
export const searchResource: Resource<SearchInput, SearchData> = {
  path: '/search',
  queryParams: ['q'],
  parse: (_params, query) => {
    const q = textParam(query, 'q')?.trim();
    return { q: q === '' ? undefined : q };
  },
  load: loadSearch,
  title: (data) => (data.q === undefined ? 'Search' : `Search: ${data.q}`),
  html: (data) => {
    if (data.exactMatch !== undefined) throw new SeeOther(data.exactMatch.url);
    return searchView(data);
  },
  json: (data) => ({
    q: data.q ?? null,
    exactMatch: data.exactMatch ?? null,
    limit: SEARCH_LIMIT,
    vulnerabilities: data.vulnerabilities.map((hit) => ({ ...hit, url: vulnerabilityPath(hit.id) })),
    vulnerabilitiesCapped: data.vulnerabilitiesCapped,
    packages: data.packages.map((name) => ({ name, url: packagePath(name) })),
    packagesCapped: data.packagesCapped,
  }),
  jsonld: (data, context) => {
    const absolute = (path: string) => `${context.base}${path}`;
    return {
      id: absolute(withQuery(searchPath(), { q: data.q })),
      type: 'Collection',
      name: data.q === undefined ? 'Search' : `Search results for ${data.q}`,
      ...(data.q === undefined ? {} : { query: data.q }),
      ...(data.exactMatch === undefined ? {} : { exactMatch: absolute(data.exactMatch.url) }),
      // A capped list has more hits than it shows, so its size is only known when neither is.
      ...(data.vulnerabilitiesCapped || data.packagesCapped ? {} : { totalItems: data.vulnerabilities.length + data.packages.length }),
      items: [
        ...data.vulnerabilities.map((hit) => ({
          id: absolute(vulnerabilityPath(hit.id)),
          type: 'Vulnerability',
          name: hit.id,
          ...(hit.description === null ? {} : { description: hit.description }),
          ...(hit.severity === null ? {} : { severity: hit.severity }),
          ...(hit.published === null ? {} : { published: hit.published }),
        })),
        ...data.packages.map((name) => ({ id: absolute(packagePath(name)), type: 'Package', name })),
      ],
    };
  },
};

