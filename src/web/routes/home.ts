import { isBranchSupported } from '../../engine/end-of-support.js';
import { type StateName, STATE_NAMES, listBranches } from '../../store/index.js';
import { compareBranchNames } from '../branch-order.js';
import { homeSummary } from '../summaries.js';
import type { Resource } from '../resource.js';
import { branchFeedPath, branchPath, feedPath, repositoryId } from '../urls.js';
import { type HomeData, homeView } from '../views/home.js';

const zeroCounts = (): Record<StateName, number> => Object.fromEntries(STATE_NAMES.map((state) => [state, 0])) as Record<StateName, number>;

/**
 * `/`: the distribution, its branches with state and open counts (`end-of-life` instead for a
 * branch past its end of support), and the trend of vulnerable pairs of the supported branches.
 */
export const homeResource: Resource<null, HomeData> = {
  path: '/',
  queryParams: [],
  parse: () => null,
  // The counts and the trend read every state and history row: `update` stores them per data version.
  load: async (web, _input, context) => {
    const today = web.today();
    const [branches, summary] = await Promise.all([listBranches(web.db), homeSummary.at(web, context.dataVersion.version)]);
    const { counts, vulnerableDeltas: deltas } = summary;
    const open = new Map<string, number>();
    for (const row of summary.open) open.set(`${row.branch}\u0000${row.repo}`, (open.get(`${row.branch}\u0000${row.repo}`) ?? 0) + row.open);
    const countsByRepo = new Map<string, Record<StateName, number>>();
    for (const row of counts) {
      const key = `${row.branch}\u0000${row.repo}`;
      const entry = countsByRepo.get(key) ?? zeroCounts();
      entry[row.state] = row.count;
      countsByRepo.set(key, entry);
    }
    const trend = new Map<string, { day: string; value: number }[]>();
    for (const row of deltas) {
      const points = trend.get(row.branch) ?? [];
      points.push({ day: row.day, value: (points.at(-1)?.value ?? 0) + row.delta });
      trend.set(row.branch, points);
    }
    const sorted = [...branches].sort((a, b) => compareBranchNames(a.name, b.name));
    const supported = new Set(sorted.filter((branch) => isBranchSupported(branch.endOfSupport, today)).map((branch) => branch.name));
    return {
      distribution: web.site.distribution,
      branches: sorted.map((branch) => ({
        name: branch.name,
        endOfSupport: branch.endOfSupport,
        supported: supported.has(branch.name),
        architectures: branch.archs,
        repositories: branch.repositories.map((repository) => ({
          name: repository.name,
          counts: countsByRepo.get(`${branch.name}\u0000${repository.name}`) ?? zeroCounts(),
          open: supported.has(branch.name) ? (open.get(`${branch.name}\u0000${repository.name}`) ?? 0) : 0,
        })),
      })),
      trend: sorted.filter((branch) => supported.has(branch.name) && trend.has(branch.name)).map((branch) => ({ name: branch.name, points: trend.get(branch.name)! })),
    };
  },
  title: () => 'Branches',
  html: (data) => homeView(data),
  json: (data) => data,
  jsonld: (data, context) => ({
    id: `${context.base}/`,
    type: 'Tracker',
    name: `${data.distribution} security tracker`,
    distribution: data.distribution,
    feed: `${context.base}${feedPath()}`,
    branches: data.branches.map((branch) => ({
      id: `${context.base}${branchPath(branch.name)}`,
      type: 'Branch',
      name: branch.name,
      supported: branch.supported,
      ...(branch.endOfSupport === null ? {} : { endOfSupport: branch.endOfSupport.slice(0, 10) }),
      architectures: branch.architectures,
      feed: `${context.base}${branchFeedPath(branch.name)}`,
      repositories: branch.repositories.map((repository) => ({
        id: `${context.base}${repositoryId(branch.name, repository.name)}`,
        type: 'Repository',
        name: repository.name,
        counts: repository.counts,
        openCount: repository.open,
      })),
    })),
  }),
  feeds: () => [{ type: 'application/atom+xml', href: feedPath(), title: 'All state changes (Atom)' }],
};
