import type { Kysely } from 'kysely';
import { groupBy } from '../base/group-by.js';
import { type PairTriage, resolvePairTriage } from '../engine/triage.js';
import { type PackageScope, type Schema, type ScopePackage, findListedStates, listScopePackages, listScopeStateKeys, listTriageEvents } from '../store/index.js';

/** One open pair (see `Resolution` in src/engine/triage.ts) of a package of the scope. */
export interface OpenWorkPair {
  readonly vulnerabilityId: string;
  readonly triage: PairTriage;
}

/** The published packages of a scope, each with its open pairs (by vulnerability id). */
export interface OpenWork {
  readonly packages: readonly ScopePackage[];
  /** By `ScopePackage.id`; a package without open pairs is absent. */
  readonly openPairs: ReadonlyMap<number, readonly OpenWorkPair[]>;
}

const placeKey = (repositoryId: number, pkg: string) => `${repositoryId}\u0000${pkg}`;
const pairKey = (pkg: string, vulnerabilityId: string) => `${pkg}\u0000${vulnerabilityId}`;

/**
 * The open work of one person's packages, or of the orphaned ones (of one branch, when given),
 * with the `ended` branches' pairs (past their end of support; see `endedBranchNames`) not open:
 * every open count and list of the maintainer pages, the orphan list and "my work" comes from
 * here, so what counts as open is decided in this one place (by the engine's triage rules).
 * Four queries at once, whatever the size: the packages, the keys of their vulnerable pairs
 * (from an index: an untriaged pair's rules need nothing else), the whole states of their
 * triaged pairs, and the triage events of those packages. A pair a person triaged (say
 * `affected`) where the engine computed no state is open too, as in the triage queue.
 */
export async function listOpenWork(db: Kysely<Schema>, scope: PackageScope, ended: ReadonlySet<string>, branch?: string): Promise<OpenWork> {
  const [packages, vulnerable, triaged, events] = await Promise.all([
    listScopePackages(db, scope, branch),
    listScopeStateKeys(db, scope, 'vulnerable', branch),
    findListedStates(db, { ...(branch === undefined ? {} : { branch }), scope, triaged: true }),
    listTriageEvents(db, { scope }),
  ]);
  const eventsByPair = groupBy(events, (event) => pairKey(event.package, event.vulnerabilityId));
  const byPlace = new Map(packages.map((entry) => [placeKey(entry.repositoryId, entry.package), entry]));
  const openPairs = new Map<number, OpenWorkPair[]>();
  const add = (entry: ScopePackage, pair: OpenWorkPair) => {
    if (pair.triage.resolution !== 'open') return;
    const known = openPairs.get(entry.id);
    if (known === undefined) openPairs.set(entry.id, [pair]);
    else known.push(pair);
  };
  const computed = new Set<string>();
  for (const state of triaged) {
    const entry = byPlace.get(placeKey(state.repositoryId, state.package));
    if (entry === undefined) continue;
    computed.add(`${entry.id}\u0000${state.vulnerabilityId}`);
    const triage = resolvePairTriage({
      branch: state.branch,
      repo: state.repo,
      computed: { state: state.state, fixedVersion: state.fixedVersion, evidence: state.evidence ?? [] },
      publishedVersion: state.version,
      events: eventsByPair.get(pairKey(state.package, state.vulnerabilityId)) ?? [],
      endOfLife: ended.has(state.branch),
    });
    add(entry, { vulnerabilityId: state.vulnerabilityId, triage });
  }
  for (const key of vulnerable) {
    const entry = byPlace.get(placeKey(key.repositoryId, key.package));
    if (entry === undefined || computed.has(`${entry.id}\u0000${key.vulnerabilityId}`)) continue;
    computed.add(`${entry.id}\u0000${key.vulnerabilityId}`);
    // Untriaged (a triaged pair was read whole above): without an event the rules read no
    // evidence, version or fix, and nothing compares them.
    const triage = resolvePairTriage({
      branch: entry.branch,
      repo: entry.repo,
      computed: { state: 'vulnerable', fixedVersion: null, evidence: [] },
      publishedVersion: null,
      events: [],
      endOfLife: ended.has(entry.branch),
    });
    add(entry, { vulnerabilityId: key.vulnerabilityId, triage });
  }
  const placesOf = groupBy(packages, (entry) => entry.package);
  for (const pairEvents of eventsByPair.values()) {
    const { package: pkg, vulnerabilityId } = pairEvents[0]!;
    for (const entry of placesOf.get(pkg) ?? []) {
      if (computed.has(`${entry.id}\u0000${vulnerabilityId}`)) continue;
      const triage = resolvePairTriage({ branch: entry.branch, repo: entry.repo, computed: null, publishedVersion: null, events: pairEvents, endOfLife: ended.has(entry.branch) });
      add(entry, { vulnerabilityId, triage });
    }
  }
  for (const pairs of openPairs.values()) pairs.sort((a, b) => (a.vulnerabilityId < b.vulnerabilityId ? -1 : a.vulnerabilityId > b.vulnerabilityId ? 1 : 0));
  return { packages, openPairs };
}

/** How many open pairs a package of `work` has. */
export const openCountOf = (work: OpenWork, entry: ScopePackage): number => work.openPairs.get(entry.id)?.length ?? 0;

/**
 * The packages most open pairs first, then by name, then in `branchOrder` (the reader's order of
 * branches) and by repository: a maintainer of many packages finds the ones needing work first.
 */
export function byOpenWork(work: OpenWork, branchOrder: readonly string[]): ScopePackage[] {
  const rank = (branch: string) => {
    const index = branchOrder.indexOf(branch);
    return index === -1 ? branchOrder.length : index;
  };
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...work.packages].sort(
    (a, b) => openCountOf(work, b) - openCountOf(work, a) || text(a.package, b.package) || rank(a.branch) - rank(b.branch) || text(a.branch, b.branch) || text(a.repo, b.repo),
  );
}
