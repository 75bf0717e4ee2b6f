import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import { IN_LIST_SIZE, chunks } from './batches.js';
import { type ListedState, type StateKey, listedState, listedStateColumns } from './states.js';
import { hasTriageEvent } from './triage.js';

/**
 * The reads the exports page through: vulnerability ids in order, a page at a time, so an export
 * never holds more than one page of pairs.
 */

/** Up to `limit` vulnerability ids with a state (in `branch`, when given) after `after`, in order. */
export async function listStateVulnerabilityIds(db: Kysely<Schema>, after: string | null, limit: number, branch?: string): Promise<string[]> {
  let query = db.selectFrom('state as s').select('s.vulnerability_id').distinct();
  if (branch !== undefined) {
    query = query
      .innerJoin('repository as r', 'r.id', 's.repository_id')
      .innerJoin('branch as b', 'b.id', 'r.branch_id')
      .where('b.name', '=', branch);
  }
  if (after !== null) query = query.where('s.vulnerability_id', '>', after);
  const rows = await query.orderBy('s.vulnerability_id').limit(limit).execute();
  return rows.map((row) => row.vulnerability_id);
}

/**
 * A state as the exports read it: `findStates`' fields, the evidence only of a rejected pair (its
 * rejection says why) or of a pair with a triage event (a standing event's digest compares it).
 */
export interface ExportState extends ListedState {
  readonly branch: string;
  readonly repo: string;
}

/**
 * The states of these vulnerabilities (in `branch`, when given), ordered by vulnerability, then
 * branch, repository and package: the vulnerability index gives the first order, so only each
 * vulnerability's few pairs are sorted.
 */
export async function listExportStates(db: Kysely<Schema>, vulnerabilityIds: readonly string[], branch?: string): Promise<ExportState[]> {
  if (vulnerabilityIds.length === 0) return [];
  let query = db
    .selectFrom('state as s')
    .innerJoin('repository as r', 'r.id', 's.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select((eb) => [...listedStateColumns(eb, eb.or([eb('s.state', '=', 'rejected'), hasTriageEvent(eb)])), 'b.name as branch', 'r.name as repo'])
    .where('s.vulnerability_id', 'in', vulnerabilityIds);
  if (branch !== undefined) query = query.where('b.name', '=', branch);
  const rows = await query.orderBy('s.vulnerability_id').orderBy('b.name').orderBy('r.name').orderBy('s.package').execute();
  return rows.map((row) => Object.assign(listedState(row), { branch: row.branch, repo: row.repo }));
}

/** A binary package of a version an index lists now. */
export interface CurrentBinary {
  readonly repositoryId: number;
  readonly origin: string;
  readonly version: string;
  readonly name: string;
  readonly arch: string;
}

/** The binary packages of the versions these repositories list now, of these origins, by name and arch. */
export async function listCurrentBinaries(db: Kysely<Schema>, repositoryIds: readonly number[], origins: readonly string[]): Promise<CurrentBinary[]> {
  if (repositoryIds.length === 0 || origins.length === 0) return [];
  const batches = await Promise.all(
    chunks([...new Set(origins)], IN_LIST_SIZE).map((batch) =>
      db
        .selectFrom('binary_package as bp')
        .innerJoin('package_version as pv', 'pv.id', 'bp.package_version_id')
        .innerJoin('source_package as sp', 'sp.id', 'pv.source_package_id')
        .select(['sp.repository_id as repositoryId', 'sp.name as origin', 'pv.version', 'bp.name', 'bp.arch'])
        .distinct()
        .where('sp.repository_id', 'in', [...new Set(repositoryIds)])
        .where('sp.name', 'in', batch)
        .where('pv.removed_at', 'is', null)
        .orderBy('bp.name')
        .orderBy('bp.arch')
        .execute(),
    ),
  );
  return batches.flat();
}

/** When a vulnerability was published and last changed, as its source says. */
export interface VulnerabilityTimes {
  readonly id: string;
  readonly published: string | null;
  readonly lastModified: string | null;
}

export async function listVulnerabilityTimes(db: Kysely<Schema>, ids: readonly string[]): Promise<VulnerabilityTimes[]> {
  const batches = await Promise.all(
    chunks([...new Set(ids)], IN_LIST_SIZE).map((batch) =>
      db.selectFrom('vulnerability').select(['id', 'published', 'last_modified as lastModified']).where('id', 'in', batch).execute(),
    ),
  );
  return batches.flat();
}

/** A time a pair's state changed. */
export interface StateChangeTime extends StateKey {
  readonly changedAt: string;
}

/** Pairs per query: three parameters each. */
const PAIRS_PER_QUERY = 1_000;

/** The times these pairs' states changed, looked up in the pair index of `state_history`. */
export async function listStateChangeTimes(db: Kysely<Schema>, pairs: readonly StateKey[]): Promise<StateChangeTime[]> {
  const batches = await Promise.all(
    chunks(pairs, PAIRS_PER_QUERY).map((batch) =>
      db
        .selectFrom('state_history')
        .select(['repository_id as repositoryId', 'package', 'vulnerability_id as vulnerabilityId', 'changed_at as changedAt'])
        .distinct()
        .where((eb) => eb(eb.refTuple('repository_id', 'package', 'vulnerability_id'), 'in', batch.map((pair) => eb.tuple(pair.repositoryId, pair.package, pair.vulnerabilityId))))
        .execute(),
    ),
  );
  return batches.flat();
}
