import {
  type PackageSecfixRow,
  type PackageStateRow,
  type PackageVersionRow,
  STATE_NAMES,
  type SecfixSource,
  type StateName,
  countPackageStates,
  listBinaryOrigins,
  listPackageSecfixes,
  listPackageStatesOf,
  listPackageVersions,
  listPackageVulnerabilityIds,
} from '../../store/index.js';
import { compareVersions } from '../../version/index.js';
import { notFound } from '../errors.js';
import { linkedPaging, neighbourPagePaths, pageCountOf, pageParam, pageQueryValue } from '../paging.js';
import { choiceParam, textParam } from '../query-params.js';
import { type Resource, SeeOther } from '../resource.js';
import {
  branchPath,
  maintainerPath,
  packageFeedPath,
  packagePath,
  packageVersionId,
  repositoryId,
  secfixId,
  stateId,
  vulnerabilityPath,
  withQuery,
} from '../urls.js';
import {
  type PackageData,
  type PackageInput,
  type PackageRepositoryEntry,
  type PackageSecfixLine,
  type PackageStateEntry,
  type PackageVulnerabilityEntry,
  binaryOriginPath,
  packageView,
} from '../views/package.js';
import { vulnerabilityOrder } from '../vulnerability-order.js';
import { compareByPlace } from './vulnerability.js';

/** Vulnerabilities (rows of the state table) per page. */
const PACKAGE_PAGE_SIZE = 100;
/** Removed versions listed per repository, newest first; the count says how many more there are. */
export const VERSION_HISTORY_LIMIT = 10;

const placeKey = (row: { branch: string; repo: string }) => `${row.branch}\u0000${row.repo}`;

/** Groups rows by repository, keeping the rows' order within each and returning repositories in branch order. */
function groupByPlace<T extends { branch: string; repo: string }>(rows: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(placeKey(row)) ?? [];
    group.push(row);
    groups.set(placeKey(row), group);
  }
  return [...groups.values()].sort((a, b) => compareByPlace(a[0] as T, b[0] as T));
}

function repositoriesOf(rows: readonly PackageVersionRow[]): PackageRepositoryEntry[] {
  return groupByPlace(rows).map((group) => {
    const first = group[0] as PackageVersionRow;
    const versions = group.flatMap((row) =>
      row.version === null || row.firstSeen === null || row.lastSeen === null
        ? []
        : [{ version: row.version, maintainer: row.versionMaintainer, firstSeen: row.firstSeen, lastSeen: row.lastSeen, removedAt: row.removedAt }],
    );
    return {
      branch: first.branch,
      repo: first.repo,
      maintainer: first.maintainer,
      current: versions.filter((version) => version.removedAt === null),
      history: versions.filter((version) => version.removedAt !== null),
      removedCount: first.removedCount,
    };
  });
}

/** Secfix rows as lines per repository and version, newest version first; ids listed by secdb and aports alike appear once. */
function secfixLinesOf(rows: readonly PackageSecfixRow[]): PackageSecfixLine[] {
  return groupByPlace(rows).flatMap((group) => {
    const lines = new Map<string, Map<string, { id: string; note: string | null; sources: SecfixSource[] }>>();
    for (const row of group) {
      const ids = lines.get(row.version) ?? new Map<string, { id: string; note: string | null; sources: SecfixSource[] }>();
      const entry = ids.get(row.vulnerabilityId) ?? { id: row.vulnerabilityId, note: row.note, sources: [] };
      if (!entry.sources.includes(row.source)) entry.sources.push(row.source);
      ids.set(row.vulnerabilityId, entry);
      lines.set(row.version, ids);
    }
    const { branch, repo } = group[0] as PackageSecfixRow;
    return [...lines]
      .sort(([a], [b]) => compareVersions(b, a))
      .map(([version, ids]) => ({ branch, repo, version, notAffected: version === '0', vulnerabilities: [...ids.values()] }));
  });
}

/** State rows (ordered by vulnerability) as one entry per vulnerability. */
function vulnerabilitiesOf(rows: readonly PackageStateRow[]): PackageVulnerabilityEntry[] {
  const entries = new Map<string, { id: string; severity: string | null; cvssScore: number | null; published: string | null; states: PackageStateEntry[] }>();
  for (const row of rows) {
    const entry = entries.get(row.vulnerabilityId) ?? { id: row.vulnerabilityId, severity: row.severity, cvssScore: row.cvssScore, published: row.published, states: [] };
    entry.states.push({ branch: row.branch, repo: row.repo, state: row.state, version: row.version, fixedVersion: row.fixedVersion, updatedAt: row.updatedAt });
    entries.set(row.vulnerabilityId, entry);
  }
  return [...entries.values()].map((entry) => ({ ...entry, states: entry.states.sort(compareByPlace) }));
}

/** The path of the package page with a state filter and page. */
function packagePagePath(name: string, state: StateName | undefined, page: number): string {
  return withQuery(packagePath(name), { state, page: pageQueryValue(page) });
}

/** The page data of a name with nothing of its own. */
const emptyPackage = (name: string, page: number): PackageData => ({
  name,
  binary: null,
  binaryOf: [],
  repositories: [],
  secfixes: [],
  stateCounts: [],
  page,
  pageCount: 1,
  totalVulnerabilities: 0,
  vulnerabilities: [],
});

/**
 * `/package/:name`: a source package in every branch: its versions and maintainers, its
 * secfixes, and a page of its vulnerabilities with the state in each repository. Four queries,
 * run together: versions, secfixes, state counts and the package's (filtered) vulnerability ids,
 * which `vulnerabilityOrder` sorts (read once per data version); then the page's states (and,
 * with `binary`, where this package builds that binary, to name it on the page). A name that is
 * no origin but a binary package's is looked up in one more query: a binary built from one
 * origin redirects there (303, every format, `?binary=` naming it); one built from several in
 * different branches gets a page to choose from.
 */
export const packageResource: Resource<PackageInput, PackageData> = {
  path: '/package/:name',
  queryParams: ['state', 'page', 'binary'],
  parse: (params, query) => {
    return { name: params['name'] ?? '', state: choiceParam(query, 'state', STATE_NAMES), page: pageParam(query), binary: textParam(query, 'binary') };
  },
  load: async (web, input, context) => {
    const [versions, secfixes, counts, ids, order, binaryOrigins] = await Promise.all([
      listPackageVersions(web.db, input.name, VERSION_HISTORY_LIMIT),
      listPackageSecfixes(web.db, input.name),
      countPackageStates(web.db, input.name),
      listPackageVulnerabilityIds(web.db, input.name, input.state),
      vulnerabilityOrder(web, context.dataVersion.version),
      input.binary === undefined ? [] : listBinaryOrigins(web.db, input.binary),
    ]);
    const total = ids.length;
    const pageIds = ids.sort(order).slice((input.page - 1) * PACKAGE_PAGE_SIZE, input.page * PACKAGE_PAGE_SIZE);
    const rank = new Map(pageIds.map((id, index) => [id, index]));
    const states = (await listPackageStatesOf(web.db, input.name, pageIds)).sort((a, b) => rank.get(a.vulnerabilityId)! - rank.get(b.vulnerabilityId)!);
    if (versions.length === 0 && secfixes.length === 0 && counts.length === 0) {
      // Not an origin: maybe the name of a binary package, as `apk` shows them.
      const binaryOf = await listBinaryOrigins(web.db, input.name);
      const origins = new Set(binaryOf.map((entry) => entry.origin));
      if (origins.size === 0) throw notFound(`package ${input.name}`);
      if (origins.size === 1) throw new SeeOther(withQuery(binaryOriginPath([...origins][0] as string, input.name), { state: input.state }));
      return { ...emptyPackage(input.name, input.page), binaryOf };
    }
    if (states.length === 0 && input.page > 1) throw notFound(`page ${input.page} of package ${input.name}`);
    const stateCounts = new Map<string, { branch: string; repo: string; counts: Record<StateName, number> }>();
    for (const row of counts) {
      const entry = stateCounts.get(placeKey(row)) ?? { branch: row.branch, repo: row.repo, counts: Object.fromEntries(STATE_NAMES.map((state) => [state, 0])) as Record<StateName, number> };
      entry.counts[row.state] = row.count;
      stateCounts.set(placeKey(row), entry);
    }
    const places = binaryOrigins.filter((entry) => entry.origin === input.name).map(({ branch, repo }) => ({ branch, repo }));
    return {
      name: input.name,
      binary: input.binary === undefined || places.length === 0 ? null : { name: input.binary, places },
      binaryOf: [],
      repositories: repositoriesOf(versions),
      secfixes: secfixLinesOf(secfixes),
      stateCounts: [...stateCounts.values()].sort(compareByPlace),
      page: input.page,
      pageCount: pageCountOf(total, PACKAGE_PAGE_SIZE),
      totalVulnerabilities: total,
      vulnerabilities: vulnerabilitiesOf(states),
    };
  },
  title: (data) => (data.binaryOf.length > 0 ? `Binary package ${data.name}` : `Package ${data.name}`),
  html: (data, _context, input) => packageView(data, input),
  json: (data, _context, input) => ({
    ...data,
    state: input.state ?? null,
    pageSize: PACKAGE_PAGE_SIZE,
    ...neighbourPagePaths(data.page, data.pageCount, (page) => packagePagePath(data.name, input.state, page)),
  }),
  jsonld: (data, context, input) => {
    const absolute = (path: string) => `${context.base}${path}`;
    const place = (row: { branch: string; repo: string }) => ({ branch: absolute(branchPath(row.branch)), repository: absolute(repositoryId(row.branch, row.repo)) });
    return {
      id: absolute(packagePath(data.name)),
      type: 'Package',
      name: data.name,
      feed: absolute(packageFeedPath(data.name)),
      versions: data.repositories.flatMap((repository) =>
        [...repository.current, ...repository.history].map((version) => ({
          id: absolute(packageVersionId(data.name, repository.branch, repository.repo, version.version)),
          type: 'PackageVersion',
          ...place(repository),
          version: version.version,
          ...(version.maintainer === null ? {} : { maintainer: absolute(maintainerPath(version.maintainer)), maintainerName: version.maintainer }),
          firstSeen: version.firstSeen,
          lastSeen: version.lastSeen,
          ...(version.removedAt === null ? {} : { removed: version.removedAt }),
        })),
      ),
      secfixes: data.secfixes.flatMap((line) =>
        line.vulnerabilities.map((vulnerability) => ({
          id: absolute(secfixId(data.name, line.branch, line.repo, line.version, vulnerability.id)),
          type: 'Secfix',
          ...place(line),
          fixedVersion: line.version,
          vulnerability: absolute(vulnerabilityPath(vulnerability.id)),
        })),
      ),
      // The states of this page of vulnerabilities; `page`, `totalItems` and the links page through them.
      states: data.vulnerabilities.flatMap((vulnerability) =>
        vulnerability.states.map((state) => ({
          id: absolute(stateId(vulnerability.id, state.branch, state.repo, data.name)),
          type: 'VulnerabilityState',
          ...place(state),
          package: absolute(packagePath(data.name)),
          vulnerability: {
            id: absolute(vulnerabilityPath(vulnerability.id)),
            type: 'Vulnerability',
            name: vulnerability.id,
            ...(vulnerability.severity === null ? {} : { severity: vulnerability.severity }),
            ...(vulnerability.cvssScore === null ? {} : { cvssScore: vulnerability.cvssScore }),
          },
          ...(state.version === null ? {} : { version: state.version }),
          state: state.state,
          ...(state.fixedVersion === null ? {} : { fixedVersion: state.fixedVersion }),
          modified: state.updatedAt,
        })),
      ),
      ...linkedPaging(data.totalVulnerabilities, data.page, data.pageCount, (page) => absolute(packagePagePath(data.name, input.state, page))),
    };
  },
  feeds: (data) => [{ type: 'application/atom+xml', href: packageFeedPath(data.name), title: `State changes of ${data.name} (Atom)` }],
};
