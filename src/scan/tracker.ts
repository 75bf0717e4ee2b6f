import type { Kysely } from 'kysely';
import { InputError } from '../base/input-error.js';
import { type Schema, listBranches, listPublishedVersions, listSecfixes, listStates } from '../store/index.js';
import { compareVersions, isValidVersion } from '../version/index.js';
import type { FixLine, OpenVulnerability, SecurityData } from '../engine/scan-model.js';
import { triageStates } from '../tracker/triage.js';

/*
 * Security data from the tracker database: every stored secfix of the branch (secdb and
 * APKBUILD sources alike), the versions its repositories publish now, its end-of-support date,
 * and the decided states with their triage: an open pair (see `Resolution` in
 * src/engine/triage.ts) without a fix version is an open vulnerability, whatever the branch's end
 * of support (which the scan warns about on its own: the system is exposed all the same);
 * `rejected` removes the id from the scan's findings, as it does from the tracker's.
 * Only the given origins are read, so a scan touches a few hundred rows, not the branch; without
 * a list, the whole branch (which the web server reads once per data version).
 */

function append<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** The database has no such branch: the web API answers 404 for it rather than 500. */
export class UnknownBranchError extends InputError {
  constructor(description: string, branch: string, knownBranches: readonly string[]) {
    const known = knownBranches.length === 0 ? 'it has none; import data first' : `it has ${knownBranches.join(', ')}`;
    super(description, undefined, `no security data for branch ${branch} (${known})`);
  }
}

/**
 * The branch's security data for the given origins; `description` names the database (or the
 * tracker) in the data's sources and in errors. Throws UnknownBranchError when there is no
 * such branch.
 */
export async function trackerSecurityData(db: Kysely<Schema>, description: string, branch: string, origins?: readonly string[]): Promise<SecurityData> {
  const branches = await listBranches(db);
  const found = branches.find((candidate) => candidate.name === branch);
  if (found === undefined) {
    throw new UnknownBranchError(description, branch, branches.map((candidate) => candidate.name));
  }
  const fixes = new Map<string, FixLine[]>();
  const open = new Map<string, OpenVulnerability[]>();
  const rejected = new Map<string, Set<string>>();
  const published = new Map<string, string>();
  for (const repository of found.repositories) {
    const [secfixes, versions, states] = await Promise.all([
      listSecfixes(db, repository.id, origins),
      listPublishedVersions(db, repository.id, origins),
      listStates(db, repository.id, origins),
    ]);
    for (const secfix of secfixes) append(fixes, secfix.package, { version: secfix.version, id: secfix.vulnerabilityId, repo: repository.name });
    for (const { origin, version } of versions) {
      const known = published.get(origin);
      if (isValidVersion(version) && (known === undefined || compareVersions(version, known) > 0)) published.set(origin, version);
    }
    const triages = await triageStates(db, states.map((state) => ({ ...state, branch, repo: repository.name })), undefined);
    for (const [index, state] of states.entries()) {
      const { resolution, status } = triages[index]!;
      if (resolution === 'open' && state.fixedVersion === null) append(open, state.package, { id: state.vulnerabilityId, state: status });
      if (state.state === 'rejected') rejected.set(state.package, (rejected.get(state.package) ?? new Set<string>()).add(state.vulnerabilityId));
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
    published,
    ...(found.endOfSupport === null ? {} : { endOfSupport: found.endOfSupport }),
  };
}
