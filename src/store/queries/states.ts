import { type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SqlBool, sql } from 'kysely';
import { writeRows } from '../bulk-write.js';
import type { Evidence } from '../../base/states.js';
import { type JsonText, evidenceShape, jsonText, readJsonColumn } from '../json-column.js';
import type { Schema, StateName, StateTable } from '../schema.js';
import { IN_LIST_SIZE, chunks, nowIso } from './batches.js';
import { type PackageScope, inPackageScope } from './maintainer-report.js';
import { inEveryRepository } from './package-report.js';
import { hasTriageEvent } from './triage.js';

/** Identifies a (repository, package, vulnerability) pair. */
export interface StateKey {
  readonly repositoryId: number;
  readonly package: string;
  readonly vulnerabilityId: string;
}

/** A pair's state as the engine decided it. */
export interface StateRecord extends StateKey {
  readonly state: StateName;
  /** The newest published version the decision was made for. */
  readonly version: string | null;
  readonly fixedVersion: string | null;
  /** Why: the engine's evidence, stored as JSON. */
  readonly evidence: readonly Evidence[];
}

interface StoredState extends StateRecord {
  readonly updatedAt: string;
}

/** A stored state as written, its evidence still JSON text: what `writeStates` compares with. */
export interface StateRow extends StateKey {
  readonly state: StateName;
  readonly version: string | null;
  readonly fixedVersion: string | null;
  readonly evidenceJson: JsonText<readonly Evidence[]>;
}

interface StateChangeOptions {
  /** What caused the change, e.g. `update`, `import secdb v3.16/main`; kept in the history. */
  readonly cause: string;
  /** ISO time to record; defaults to now. */
  readonly at?: string;
}

interface StateWriteResult {
  /** Rows inserted or updated (anything differed). */
  readonly written: number;
  /** Rows whose state name changed, each with a history row. */
  readonly transitions: number;
}

const pairKey = (key: StateKey) => `${key.repositoryId}\u0000${key.package}\u0000${key.vulnerabilityId}`;

/**
 * Stores states, writing only those that differ from the stored ones, and a history row for each
 * pair whose state name changed (including its first state). Writing the same states again
 * changes nothing. A caller that has read the stored rows of these pairs in this transaction
 * passes them as `stored` (a pair not among them is not stored), so they are not read again.
 */
export async function writeStates(
  db: Kysely<Schema>,
  states: readonly StateRecord[],
  options: StateChangeOptions,
  stored?: readonly StateRow[],
): Promise<StateWriteResult> {
  const at = options.at ?? nowIso();
  const current = stored === undefined ? await loadStates(db, states) : rowsByPair(stored);
  const rows: Selectable<StateTable>[] = [];
  const history: { old: StateName | null; row: Selectable<StateTable> }[] = [];
  const seen = new Set<string>();
  // Walk backwards so a pair listed twice keeps its last record, as sequential writes would.
  for (let index = states.length - 1; index >= 0; index -= 1) {
    const record = states[index] as StateRecord;
    const key = pairKey(record);
    if (seen.has(key)) continue;
    seen.add(key);
    const row = insertableRow(record, at);
    const before = current.get(key);
    if (
      before !== undefined &&
      before.state === row.state &&
      before.version === row.version &&
      before.fixedVersion === row.fixed_version &&
      before.evidenceJson === row.evidence
    ) {
      continue;
    }
    rows.push(row);
    if (before?.state !== row.state) history.push({ old: before?.state ?? null, row });
  }
  rows.reverse();
  history.reverse();

  await writeRows(db, 'state', rows, ['repository_id', 'package', 'vulnerability_id']);
  await insertHistory(
    db,
    history.map(({ old, row }) => ({ key: storedKey(row), old, new: row.state })),
    options.cause,
    at,
  );
  return { written: rows.length, transitions: history.length };
}

/**
 * Deletes the states of pairs that no longer apply, with a history row (new state null) for each;
 * `stored` as for `writeStates`.
 */
export async function deleteStates(
  db: Kysely<Schema>,
  keys: readonly StateKey[],
  options: StateChangeOptions,
  stored?: readonly StateRow[],
): Promise<number> {
  const at = options.at ?? nowIso();
  const current = stored === undefined ? await loadStates(db, keys) : rowsByPair(stored);
  const doomed = [...new Map(keys.map((key) => [pairKey(key), key])).entries()].flatMap(([pair, key]) => {
    const before = current.get(pair);
    return before === undefined ? [] : [{ key, old: before.state }];
  });
  for (const batch of chunks(doomed, IN_LIST_SIZE)) {
    await db
      .deleteFrom('state')
      .where((eb) =>
        eb(
          eb.refTuple('repository_id', 'package', 'vulnerability_id'),
          'in',
          batch.map(({ key }) => eb.tuple(key.repositoryId, key.package, key.vulnerabilityId)),
        ),
      )
      .execute();
  }
  await insertHistory(
    db,
    doomed.map(({ key, old }) => ({ key, old, new: null })),
    options.cause,
    at,
  );
  return doomed.length;
}

async function insertHistory(
  db: Kysely<Schema>,
  changes: readonly { key: StateKey; old: StateName | null; new: StateName | null }[],
  cause: string,
  at: string,
): Promise<void> {
  const rows = changes.map((change) => ({
    repository_id: change.key.repositoryId,
    package: change.key.package,
    vulnerability_id: change.key.vulnerabilityId,
    old_state: change.old,
    new_state: change.new,
    changed_at: at,
    cause,
  }));
  await writeRows(db, 'state_history', rows);
}

function insertableRow(record: StateRecord, at: string): Selectable<StateTable> {
  return {
    repository_id: record.repositoryId,
    package: record.package,
    vulnerability_id: record.vulnerabilityId,
    state: record.state,
    version: record.version,
    fixed_version: record.fixedVersion,
    evidence: jsonText(record.evidence),
    updated_at: at,
  };
}

function rowsByPair(rows: readonly StateRow[]): Map<string, StateRow> {
  return new Map(rows.map((row) => [pairKey(row), row]));
}

/** The columns a `StateRow` is read from. */
const STATE_ROW_COLUMNS = ['repository_id', 'package', 'vulnerability_id', 'state', 'version', 'fixed_version', 'evidence'] as const;

function readStateRow(row: Pick<Selectable<StateTable>, (typeof STATE_ROW_COLUMNS)[number]>): StateRow {
  return { repositoryId: row.repository_id, package: row.package, vulnerabilityId: row.vulnerability_id, state: row.state, version: row.version, fixedVersion: row.fixed_version, evidenceJson: row.evidence };
}

function storedKey(row: Pick<Selectable<StateTable>, 'repository_id' | 'package' | 'vulnerability_id'>): StateKey {
  return { repositoryId: row.repository_id, package: row.package, vulnerabilityId: row.vulnerability_id };
}

/*
 * The row readers below spell every field out: on Node 20, an object spread followed by more
 * fields (`{ ...key(row), state }`) builds each object several times slower than a literal,
 * which showed on pages reading thousands of states.
 */

function storedState(row: Selectable<StateTable>): StoredState {
  return {
    repositoryId: row.repository_id,
    package: row.package,
    vulnerabilityId: row.vulnerability_id,
    state: row.state,
    version: row.version,
    fixedVersion: row.fixed_version,
    evidence: readJsonColumn(row.evidence, evidenceShape, 'state.evidence'),
    updatedAt: row.updated_at,
  };
}

/**
 * Up to this many pairs are looked up one by one through the primary key; more are read per
 * (repository, packages), which reads every state of those packages but in far fewer statements.
 * An incremental update's few thousand pairs belong to packages with many more states.
 */
const PAIR_LOOKUP_LIMIT = 20_000;
/** Pairs per `(repository_id, package, vulnerability_id) in (...)` lookup: three parameters each. */
const PAIRS_PER_LOOKUP = 1_000;

/** Stored rows of the given pairs by pair key. */
async function loadStates(db: Kysely<Schema>, keys: readonly StateKey[]): Promise<Map<string, StateRow>> {
  return keys.length <= PAIR_LOOKUP_LIMIT ? loadStatesByPair(db, keys) : loadStatesByPackage(db, keys);
}

async function loadStatesByPair(db: Kysely<Schema>, keys: readonly StateKey[]): Promise<Map<string, StateRow>> {
  const found = new Map<string, StateRow>();
  for (const batch of chunks(keys, PAIRS_PER_LOOKUP)) {
    const rows = await db
      .selectFrom('state')
      .select(STATE_ROW_COLUMNS)
      .where((eb) =>
        eb(
          eb.refTuple('repository_id', 'package', 'vulnerability_id'),
          'in',
          batch.map((key) => eb.tuple(key.repositoryId, key.package, key.vulnerabilityId)),
        ),
      )
      .execute();
    for (const row of rows) found.set(pairKey(storedKey(row)), readStateRow(row));
  }
  return found;
}

async function loadStatesByPackage(db: Kysely<Schema>, keys: readonly StateKey[]): Promise<Map<string, StateRow>> {
  const packagesByRepository = new Map<number, Set<string>>();
  for (const key of keys) {
    const packages = packagesByRepository.get(key.repositoryId) ?? new Set<string>();
    packages.add(key.package);
    packagesByRepository.set(key.repositoryId, packages);
  }
  const wanted = new Set(keys.map(pairKey));
  const found = new Map<string, StateRow>();
  for (const [repositoryId, packages] of packagesByRepository) {
    for (const row of await listStateRows(db, repositoryId, [...packages])) {
      const key = pairKey(row);
      if (wanted.has(key)) found.set(key, row);
    }
  }
  return found;
}

/** The stored rows of a repository's states of these packages, as `writeStates` compares them. */
export async function listStateRows(db: Kysely<Schema>, repositoryId: number, packages: readonly string[]): Promise<StateRow[]> {
  const batches = await Promise.all(
    chunks([...new Set(packages)], IN_LIST_SIZE).map((batch) =>
      db.selectFrom('state').select(STATE_ROW_COLUMNS).where('repository_id', '=', repositoryId).where('package', 'in', batch).execute(),
    ),
  );
  return batches.flat().map(readStateRow);
}

/** A stored state whose evidence is read only where a reader looks at it. */
export interface ListedState extends Omit<StoredState, 'evidence'> {
  /** The stored evidence where the reader asked for it; null for any other pair, whose evidence is neither loaded nor parsed. */
  readonly evidence: readonly Evidence[] | null;
}

/** A state `s`'s columns, its evidence only where `withEvidence` holds (parsing every pair's evidence is most of a long read). */
export function listedStateColumns(eb: ExpressionBuilder<Schema & { s: StateTable }, 's'>, withEvidence: Expression<SqlBool>) {
  return [
    's.repository_id',
    's.package',
    's.vulnerability_id',
    's.state',
    's.version',
    's.fixed_version',
    's.updated_at',
    eb.case().when(withEvidence).then(eb.ref('s.evidence')).else(null).end().as('evidence'),
  ] as const;
}

/** A row of `listedStateColumns`. */
export function listedState(row: Pick<Selectable<StateTable>, 'repository_id' | 'package' | 'vulnerability_id' | 'state' | 'version' | 'fixed_version' | 'updated_at'> & { evidence: JsonText<readonly Evidence[]> | null }): ListedState {
  return {
    repositoryId: row.repository_id,
    package: row.package,
    vulnerabilityId: row.vulnerability_id,
    state: row.state,
    version: row.version,
    fixedVersion: row.fixed_version,
    evidence: row.evidence === null ? null : readJsonColumn(row.evidence, evidenceShape, 'state.evidence'),
    updatedAt: row.updated_at,
  };
}

/**
 * A repository's states, optionally only of some packages, by package and id; the evidence only
 * of a pair with a triage event (a standing event's digest compares it). With `untriagedStates`,
 * a pair without a triage event only when its state is one of those.
 */
export async function listStates(db: Kysely<Schema>, repositoryId: number, packages?: readonly string[], untriagedStates?: readonly StateName[]): Promise<ListedState[]> {
  let query = db
    .selectFrom('state as s')
    .select((eb) => listedStateColumns(eb, hasTriageEvent(eb)))
    .where('s.repository_id', '=', repositoryId)
    .orderBy('s.package')
    .orderBy('s.vulnerability_id');
  if (untriagedStates !== undefined) {
    query = query.where((eb) => (untriagedStates.length === 0 ? hasTriageEvent(eb) : eb.or([eb('s.state', 'in', untriagedStates), hasTriageEvent(eb)])));
  }
  const rows = packages === undefined ? await query.execute() : (await Promise.all(chunks([...new Set(packages)], IN_LIST_SIZE).map((batch) => query.where('s.package', 'in', batch).execute()))).flat();
  return rows.map(listedState);
}

/** The stored rows of the given vulnerabilities' states in every repository, as `writeStates` compares them. */
export async function listStateRowsByVulnerability(
  db: Kysely<Schema>,
  vulnerabilityIds: readonly string[],
): Promise<StateRow[]> {
  const batches = await Promise.all(
    chunks([...new Set(vulnerabilityIds)], IN_LIST_SIZE).map((batch) =>
      db
        .selectFrom('state')
        .select(STATE_ROW_COLUMNS)
        .where('vulnerability_id', 'in', batch)
        .orderBy('vulnerability_id')
        .orderBy('repository_id')
        .orderBy('package')
        .execute(),
    ),
  );
  return batches.flat().map(readStateRow);
}

/** A LIKE pattern matching text that contains `fragment` anywhere. */
function likePattern(fragment: string): string {
  return `%${fragment.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** Filters for `findStates`; each given one must hold. */
export interface StateFilter {
  readonly branch?: string;
  readonly repo?: string;
  readonly package?: string;
  readonly vulnerabilityId?: string;
  /** Any of these vulnerability ids (at most `IN_LIST_SIZE`). */
  readonly vulnerabilityIds?: readonly string[];
  readonly state?: StateName;
  /** A piece of the evidence's JSON text, e.g. `"kind":"introduced-after-published"`; with several, any of them. */
  readonly evidenceContains?: string | readonly string[];
  /**
   * Only pairs computed in this state or with a triage event: `vulnerable` gives the candidates
   * for a triage queue, `rejected` every pair whose ruling may differ from its computed fix.
   */
  readonly inStateOrTriaged?: StateName;
  /** With `scope`, only its pairs with a triage event. */
  readonly triaged?: boolean;
  /** Only pairs of the published source packages of this scope (one person's, or nobody's). */
  readonly scope?: PackageScope;
  /**
   * Only pairs after this one of the one repository that `branch` and `repo` name: with `limit`,
   * a page after the previous page's last, read from the primary key where it left off.
   */
  readonly after?: StateCursor;
  /** At most this many pairs. */
  readonly limit?: number;
}

/** A place in `findStates`' order within one repository: a pair by package and vulnerability. */
export interface StateCursor {
  readonly package: string;
  readonly vulnerabilityId: string;
}

/** A state with the names of its branch and repository. */
export interface NamedState extends StoredState {
  readonly branch: string;
  readonly repo: string;
}

/** The states `s` (with their repository `r` and branch `b`) matching `filter`, ordered by branch, repository, package and vulnerability. */
function matchingStates(db: Kysely<Schema>, filter: StateFilter) {
  let query = db.selectFrom('state as s').innerJoin('repository as r', 'r.id', 's.repository_id').innerJoin('branch as b', 'b.id', 'r.branch_id');
  if (filter.branch !== undefined) query = query.where('b.name', '=', filter.branch);
  if (filter.repo !== undefined) query = query.where('r.name', '=', filter.repo);
  // With every repository named, SQLite probes the primary key per repository (see package-report.ts): 1 ms, not 70, at full size.
  if (filter.package !== undefined) query = query.where(inEveryRepository('s.repository_id')).where('s.package', '=', filter.package);
  if (filter.vulnerabilityId !== undefined) query = query.where('s.vulnerability_id', '=', filter.vulnerabilityId);
  if (filter.vulnerabilityIds !== undefined) query = query.where('s.vulnerability_id', 'in', filter.vulnerabilityIds);
  if (filter.state !== undefined) query = query.where('s.state', '=', filter.state);
  if (filter.evidenceContains !== undefined) {
    const pieces = typeof filter.evidenceContains === 'string' ? [filter.evidenceContains] : filter.evidenceContains;
    query = query.where((eb) => eb.or(pieces.map((piece) => sql<boolean>`s.evidence like ${likePattern(piece)} escape '\\'`)));
  }
  if (filter.inStateOrTriaged !== undefined) {
    const state = filter.inStateOrTriaged;
    query = query.where((eb) =>
      eb.or([
        eb('s.state', '=', state),
        eb.exists(eb.selectFrom('triage_event as t').select('t.id').whereRef('t.package', '=', 's.package').whereRef('t.vulnerability_id', '=', 's.vulnerability_id')),
      ]),
    );
  }
  if (filter.triaged === true) {
    if (filter.scope === undefined) throw new Error('the triaged filter over states needs a scope');
    const scope = filter.scope;
    // The pairs found from the scope's events, each package's places giving the repositories, and
    // read by the primary key: not every state of the scope tested for an event.
    query = query.where((eb) =>
      eb(
        eb.refTuple('s.repository_id', 's.package', 's.vulnerability_id'),
        'in',
        eb
          .selectFrom('triage_event as t')
          .innerJoin('source_package as sp', 'sp.name', 't.package')
          .select(['sp.repository_id', 't.package', 't.vulnerability_id'])
          .where((inner) => inPackageScope(inner, scope))
          .$asTuple('repository_id', 'package', 'vulnerability_id'),
      ),
    );
  } else if (filter.scope !== undefined) {
    const scope = filter.scope;
    // A row-value IN, not a correlated EXISTS: SQLite then reads the scope's few packages first and
    // probes the states by their primary key, instead of testing every state (1 s at full size).
    query = query.where((eb) =>
      eb(eb.refTuple('s.repository_id', 's.package'), 'in', eb.selectFrom('source_package as sp').select(['sp.repository_id', 'sp.name']).where((inner) => inPackageScope(inner, scope)).$asTuple('repository_id', 'name')),
    );
  }
  if (filter.after !== undefined) {
    // Across repositories, a cursor could only filter rows after sorting them all, for every page.
    if (filter.branch === undefined || filter.repo === undefined) throw new Error('a cursor over states (after) needs the branch and repo filters');
    const { package: pkg, vulnerabilityId } = filter.after;
    // A row value compares as the ORDER BY below sorts, in both SQLite and PostgreSQL, and
    // bounds the walk of the primary key (repository_id, package, vulnerability_id).
    query = query.where(sql<boolean>`(s.package, s.vulnerability_id) > (${pkg}, ${vulnerabilityId})`);
  }
  if (filter.limit !== undefined) query = query.limit(filter.limit);
  return query.orderBy('b.name').orderBy('r.name').orderBy('s.package').orderBy('s.vulnerability_id');
}

/** States matching `filter`, ordered by branch, repository, package and vulnerability. */
export async function findStates(db: Kysely<Schema>, filter: StateFilter): Promise<NamedState[]> {
  if (filter.vulnerabilityIds?.length === 0) return [];
  const rows = await matchingStates(db, filter).selectAll('s').select(['b.name as branch', 'r.name as repo']).execute();
  return rows.map((row) => Object.assign(storedState(row), { branch: row.branch, repo: row.repo }));
}

/** A listed state with the names of its branch and repository. */
export interface NamedListedState extends ListedState {
  readonly branch: string;
  readonly repo: string;
}

/**
 * States matching `filter` as `findStates` orders them, the evidence only of a pair with a triage
 * event (a standing event's digest compares it): for a reader that resolves many pairs' triage.
 */
export async function findListedStates(db: Kysely<Schema>, filter: StateFilter): Promise<NamedListedState[]> {
  if (filter.vulnerabilityIds?.length === 0) return [];
  const rows = await matchingStates(db, filter)
    .select((eb) => [...listedStateColumns(eb, hasTriageEvent(eb)), 'b.name as branch', 'r.name as repo'])
    .execute();
  return rows.map((row) => Object.assign(listedState(row), { branch: row.branch, repo: row.repo }));
}

/** How many states one (branch, repository) has of one state name. */
export interface StateCountRow {
  readonly branch: string;
  readonly repo: string;
  readonly state: StateName;
  readonly count: number;
}

/** How many states there are in all. */
export async function countAllStates(db: Kysely<Schema>): Promise<number> {
  const row = await db.selectFrom('state').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Whether any state is stored: none before the first update. */
export async function hasAnyState(db: Kysely<Schema>): Promise<boolean> {
  return (await db.selectFrom('state').select('package').limit(1).executeTakeFirst()) !== undefined;
}

/** How many states each (branch, repository) has of each state name. */
export async function countStates(db: Kysely<Schema>): Promise<StateCountRow[]> {
  const rows = await db
    .selectFrom('state as s')
    .innerJoin('repository as r', 'r.id', 's.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select(['b.name as branch', 'r.name as repo', 's.state'])
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .groupBy(['b.name', 'r.name', 's.state'])
    .orderBy('b.name')
    .orderBy('r.name')
    .orderBy('s.state')
    .execute();
  return rows.map((row) => ({ branch: row.branch, repo: row.repo, state: row.state, count: Number(row.count) }));
}

/**
 * Packages whose stored evidence contains `fragment` (a piece of the evidence JSON, such as
 * `"rule":"language-prefix"`), in these repositories: the pairs that rest on one kind of reason.
 */
export async function listPackagesWithEvidence(
  db: Kysely<Schema>,
  repositoryIds: readonly number[],
  fragment: string,
): Promise<string[]> {
  if (repositoryIds.length === 0) return [];
  const rows = await db
    .selectFrom('state')
    .select('package')
    .distinct()
    .where('repository_id', 'in', repositoryIds)
    .where(sql<boolean>`evidence like ${likePattern(fragment)} escape '\\'`)
    .orderBy('package')
    .execute();
  return rows.map((row) => row.package);
}

/** Every package with a state or a secfix line in these repositories: names only, nothing parsed. */
export async function listPackagesWithStatesOrSecfixes(db: Kysely<Schema>, repositoryIds: readonly number[]): Promise<string[]> {
  if (repositoryIds.length === 0) return [];
  const rows = await db
    .selectFrom('state')
    .select('package')
    .where('repository_id', 'in', repositoryIds)
    .union(db.selectFrom('secfix').select('package').where('repository_id', 'in', repositoryIds))
    .orderBy('package')
    .execute();
  return rows.map((row) => row.package);
}
