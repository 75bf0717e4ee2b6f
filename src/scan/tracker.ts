import type { Kysely } from 'kysely';
import { InputError } from '../base/input-error.js';
import { type BranchSummary, type Schema, listBranches, listSecurityDataPackages, listPublishedVersions, listSecfixes, listStates, listTriageEvents } from '../store/index.js';
import type { TriageEvent } from '../base/triage.js';
import { OPEN_UNTRIAGED_STATES, standingTriage } from '../engine/triage.js';
import type { StateName } from '../base/states.js';
import { compareVersions, isValidVersion } from '../version/index.js';
import type { FixLine, OpenVulnerability, SecurityData } from '../engine/scan-model.js';
import { triageStates } from '../tracker/triage.js';

/*
 * Security data from the tracker database: every stored secfix of the branch (secdb and
 * APKBUILD sources alike), the versions its repositories publish now, its end-of-support date,
 * and the decided states with their triage: an open pair (see `Resolution` in
 * src/engine/triage.ts) without a fix version is an open vulnerability, whatever the branch's end
 * of support (which the scan warns about on its own: the system is exposed all the same);
 * `rejected` removes the id from the scan's findings, as it does from the tracker's, and so does
 * a pair the tracker holds not affected: a standing triage `not-affected` for the branch, or a
 * decided `not-affected` state no triage overrules.
 * Only the given origins are read, so a scan touches a few hundred rows, not the branch; without
 * a list, the whole branch; the web server reads the whole branch once per data version, in
 * slices of origins.
 */

/**
 * The states in which a pair without triage events can matter here: open (a vulnerability with
 * no fix), rejected and not-affected. Without a triage event, a fixed or unknown pair adds
 * nothing, and at full size those are four in ten of a branch's states.
 */
const UNTRIAGED_STATES_USED: readonly StateName[] = [...OPEN_UNTRIAGED_STATES, 'rejected', 'not-affected'];

function append<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

const pairKey = (pkg: string, id: string) => `${pkg}\u0000${id}`;

/** The status of the triage standing for `branch` on each triaged pair, by pairKey. */
function standingStatuses(events: readonly TriageEvent[], branch: string): Map<string, string> {
  const byPair = new Map<string, TriageEvent[]>();
  for (const event of events) append(byPair, pairKey(event.package, event.vulnerabilityId), event);
  const statuses = new Map<string, string>();
  for (const [key, pairEvents] of byPair) {
    const standing = standingTriage(pairEvents, branch);
    if (standing !== null) statuses.set(key, standing.status);
  }
  return statuses;
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  map.set(key, (map.get(key) ?? new Set<string>()).add(value));
}

/** The database has no such branch: the web API answers 404 for it rather than 500. */
export class UnknownBranchError extends InputError {
  constructor(description: string, branch: string, knownBranches: readonly string[]) {
    const known = knownBranches.length === 0 ? 'it has none; import data first' : `it has ${knownBranches.join(', ')}`;
    super(description, undefined, `no security data for branch ${branch} (${known})`);
  }
}

/** The branch named `branch`; UnknownBranchError when the database has none. */
async function branchNamed(db: Kysely<Schema>, description: string, branch: string): Promise<BranchSummary> {
  const branches = await listBranches(db);
  const found = branches.find((candidate) => candidate.name === branch);
  if (found === undefined) {
    throw new UnknownBranchError(description, branch, branches.map((candidate) => candidate.name));
  }
  return found;
}

/**
 * The branch's security data for the given origins; `description` names the database (or the
 * tracker) in the data's sources and in errors. Throws UnknownBranchError when there is no
 * such branch.
 */
export async function trackerSecurityData(db: Kysely<Schema>, description: string, branch: string, origins?: readonly string[]): Promise<SecurityData> {
  return readSecurityData(db, description, await branchNamed(db, description, branch), origins);
}

/**
 * The whole branch's security data, a slice of at most `originsPerSlice` origins at a time: every
 * origin any of its data concerns is in exactly one slice, with all its data, as
 * `trackerSecurityData` gives it for those origins. Reading the whole branch at once takes a
 * second or more of work at full size; a reader that pauses between slices lets other work in.
 * There is always at least one slice, and each carries the branch's own fields.
 */
export async function* trackerSecurityDataSlices(db: Kysely<Schema>, description: string, branch: string, originsPerSlice: number): AsyncGenerator<SecurityData> {
  const found = await branchNamed(db, description, branch);
  const origins = await listSecurityDataPackages(db, found.repositories.map((repository) => repository.id));
  let start = 0;
  do {
    yield await readSecurityData(db, description, found, origins.slice(start, start + originsPerSlice));
    start += originsPerSlice;
  } while (start < origins.length);
}

async function readSecurityData(db: Kysely<Schema>, description: string, found: BranchSummary, origins: readonly string[] | undefined): Promise<SecurityData> {
  const branch = found.name;
  const fixes = new Map<string, FixLine[]>();
  const open = new Map<string, OpenVulnerability[]>();
  const rejected = new Map<string, Set<string>>();
  const published = new Map<string, string>();
  const notAffected = new Map<string, Set<string>>();
  const events = await listTriageEvents(db, origins === undefined ? {} : { packages: origins });
  const triaged = standingStatuses(events, branch);
  for (const [key, status] of triaged) {
    const [pkg, id] = key.split('\u0000') as [string, string];
    if (status === 'not-affected') addTo(notAffected, pkg, id);
  }
  for (const repository of found.repositories) {
    const [secfixes, versions, states] = await Promise.all([
      listSecfixes(db, repository.id, origins),
      listPublishedVersions(db, repository.id, origins),
      listStates(db, repository.id, origins, UNTRIAGED_STATES_USED),
    ]);
    for (const secfix of secfixes) append(fixes, secfix.package, { version: secfix.version, id: secfix.vulnerabilityId, repo: repository.name });
    for (const { origin, version } of versions) {
      const known = published.get(origin);
      if (isValidVersion(version) && (known === undefined || compareVersions(version, known) > 0)) published.set(origin, version);
    }
    const triages = await triageStates(db, states.map((state) => Object.assign({ branch, repo: repository.name }, state, { evidence: state.evidence ?? [] })), undefined, events);
    for (const [index, state] of states.entries()) {
      const { resolution, status } = triages[index]!;
      if (resolution === 'open' && state.fixedVersion === null) append(open, state.package, { id: state.vulnerabilityId, state: status });
      if (state.state === 'rejected') addTo(rejected, state.package, state.vulnerabilityId);
      if (state.state === 'not-affected' && !triaged.has(pairKey(state.package, state.vulnerabilityId))) addTo(notAffected, state.package, state.vulnerabilityId);
    }
  }
  return {
    kind: 'tracker',
    branch,
    sources: [description],
    repos: found.repositories.map((repository) => repository.name),
    fixes,
    open,
    rejected,
    notAffected,
    published,
    ...(found.endOfSupport === null ? {} : { endOfSupport: found.endOfSupport }),
  };
}
