import { type ExpressionBuilder, type Kysely, type RawBuilder, type SelectQueryBuilder, type Selectable, type SqlBool, SqliteAdapter, sql } from 'kysely';
import type { Evidence, StateName } from '../../base/states.js';
import type { TriageEvent } from '../../base/triage.js';
import { evidenceShape, jsonText, readJsonColumn, recordOf, stringsShape, text } from '../json-column.js';
import type { Schema, StateTable, TriageEventTable } from '../schema.js';
import { IN_LIST_SIZE, chunks, rowsPerInsert } from './batches.js';
import { type PackageScope, inPackageScope, likeContaining } from './maintainer-report.js';
import { foldAscii } from './search.js';

/** An event to append; the store gives it its id. */
export type NewTriageEvent = Omit<TriageEvent, 'id'>;

const digestsShape = recordOf(text);

/** A stored triage event as the rest of secfix reads it. */
export function storedEvent(row: Selectable<TriageEventTable>): TriageEvent {
  return {
    id: Number(row.id),
    package: row.package,
    vulnerabilityId: row.vulnerability_id,
    branches: row.branches === null ? null : readJsonColumn(row.branches, stringsShape, 'triage_event.branches'),
    status: row.status,
    justification: row.justification,
    version: row.version,
    note: row.note,
    author: row.author,
    createdAt: row.created_at,
    computedDigests: readJsonColumn(row.computed_digests, digestsShape, 'triage_event.computed_digests'),
  };
}

/**
 * Appends events (the triage log is append-only: no query here updates or deletes one) and
 * returns them as stored, in the order given.
 */
export async function appendTriageEvents(db: Kysely<Schema>, events: readonly NewTriageEvent[]): Promise<TriageEvent[]> {
  const stored: TriageEvent[] = [];
  for (const batch of chunks([...events], rowsPerInsert(10))) {
    const rows = await db
      .insertInto('triage_event')
      .values(
        batch.map((event) => ({
          package: event.package,
          vulnerability_id: event.vulnerabilityId,
          branches: event.branches === null ? null : jsonText([...event.branches].sort()),
          status: event.status,
          justification: event.justification,
          version: event.version,
          note: event.note,
          author: event.author,
          created_at: event.createdAt,
          computed_digests: jsonText(event.computedDigests),
        })),
      )
      .returningAll()
      .execute();
    // Both dialects return inserted rows in insertion order; sorting by id makes it explicit.
    stored.push(...rows.map(storedEvent).sort((a, b) => a.id - b.id));
  }
  return stored;
}

/** Filters for `listTriageEvents`; each given one must hold. */
interface TriageEventFilter {
  /** Events of any of these packages. */
  readonly packages?: readonly string[];
  readonly vulnerabilityId?: string;
  /** Events of any of these vulnerability ids (at most `IN_LIST_SIZE`). */
  readonly vulnerabilityIds?: readonly string[];
  readonly author?: string;
  /** ISO time: events at or after it. */
  readonly since?: string;
  /** Only these events. */
  readonly ids?: readonly number[];
  /** Events of the source packages of this scope (one person's, or nobody's), in any branch. */
  readonly scope?: PackageScope;
}

/** The events matching `filter`, oldest first (by time, then id). */
export async function listTriageEvents(db: Kysely<Schema>, filter: TriageEventFilter = {}): Promise<TriageEvent[]> {
  const query = (packages: readonly string[] | undefined) => {
    let select = db.selectFrom('triage_event').selectAll();
    if (packages !== undefined) select = select.where('package', 'in', packages);
    if (filter.vulnerabilityId !== undefined) select = select.where('vulnerability_id', '=', filter.vulnerabilityId);
    if (filter.vulnerabilityIds !== undefined) select = select.where('vulnerability_id', 'in', filter.vulnerabilityIds.length === 0 ? [''] : filter.vulnerabilityIds);
    if (filter.author !== undefined) select = select.where('author', '=', filter.author);
    if (filter.since !== undefined) select = select.where('created_at', '>=', filter.since);
    if (filter.ids !== undefined) select = select.where('id', 'in', filter.ids.length === 0 ? [-1] : [...filter.ids]);
    const scope = filter.scope;
    if (scope !== undefined) select = select.where('package', 'in', (eb) => eb.selectFrom('source_package as sp').select('sp.name').where((inner) => inPackageScope(inner, scope)));
    return select.orderBy('created_at').orderBy('id').execute();
  };
  if (filter.packages === undefined) return (await query(undefined)).map(storedEvent);
  const batches = await Promise.all(chunks([...new Set(filter.packages)], IN_LIST_SIZE).map(query));
  const byTime = (a: TriageEvent, b: TriageEvent) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id - b.id);
  return batches.flat().map(storedEvent).sort(byTime);
}

/** What makes a vulnerability urgent: CISA KEV listing, severity and age. */
export interface VulnerabilityUrgency {
  readonly id: string;
  readonly kev: boolean;
  /** NVD's severity word as stored (CRITICAL, HIGH, ...), or null. */
  readonly severity: string | null;
  readonly cvssScore: number | null;
  readonly published: string | null;
}

/** The urgency facts of the given vulnerabilities; ids the store does not hold are left out. */
export async function listVulnerabilityUrgency(db: Kysely<Schema>, ids: readonly string[]): Promise<VulnerabilityUrgency[]> {
  const batches = await Promise.all(
    chunks([...new Set(ids)], IN_LIST_SIZE).map((batch) =>
      db.selectFrom('vulnerability').select(['id', 'kev', 'severity', 'cvss_score', 'published']).where('id', 'in', batch).execute(),
    ),
  );
  return batches.flat().map((row) => ({
    id: row.id,
    kev: row.kev !== null,
    severity: row.severity,
    cvssScore: row.cvss_score === null ? null : Number(row.cvss_score),
    published: row.published,
  }));
}

/** A package published in one branch's repository, with its maintainer text (`Name <e-mail>`). */
export interface PackageMaintainer {
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly maintainer: string | null;
}

/** The origin packages `sp` (of `branch`, when given) as `PackageMaintainer` rows, in order of branch, repository and name. */
function packageMaintainers(db: Kysely<Schema>, branch: string | undefined) {
  return db
    .selectFrom('source_package as sp')
    .innerJoin('repository as r', 'r.id', 'sp.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select(['b.name as branch', 'r.name as repo', 'sp.name as package', 'sp.maintainer'])
    .$if(branch !== undefined, (query) => query.where('b.name', '=', branch!))
    .orderBy('b.name')
    .orderBy('r.name')
    .orderBy('sp.name');
}

/** The origin packages of a branch (or every branch), with their maintainers. */
export async function listPackageMaintainers(db: Kysely<Schema>, branch?: string): Promise<PackageMaintainer[]> {
  return packageMaintainers(db, branch).execute();
}

/** The places (branch, repository) of the origin packages that have a triage event, with their maintainers. */
export async function listTriagedPackagePlaces(db: Kysely<Schema>, branch?: string): Promise<PackageMaintainer[]> {
  return packageMaintainers(db, branch)
    .where('sp.name', 'in', (eb) => eb.selectFrom('triage_event').select('package'))
    .execute();
}

/** The places (branch, repository) of these origin packages in every branch, with their maintainers. */
export async function listPackagePlaces(db: Kysely<Schema>, names: readonly string[]): Promise<PackageMaintainer[]> {
  const batches = await Promise.all(chunks([...new Set(names)], IN_LIST_SIZE).map((batch) => packageMaintainers(db, undefined).where('sp.name', 'in', batch).execute()));
  return batches.flat();
}

/** A state with a triage event, which the engine resolves for the queue, with its urgency and maintainer. */
export interface TriagedState {
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly vulnerabilityId: string;
  readonly state: StateName;
  readonly version: string | null;
  readonly fixedVersion: string | null;
  /** The stored evidence (a standing event's digest is compared with it). */
  readonly evidence: readonly Evidence[];
  /** The vulnerability's urgency facts; kev false and the rest null when the store does not hold it. */
  readonly urgency: VulnerabilityUrgency;
  /** The maintainer text of the package in the pair's repository; null when none. */
  readonly maintainer: string | null;
}

/** Whether the state `s` of a query has a triage event. */
export const hasTriageEvent = (eb: ExpressionBuilder<Schema & { s: StateTable }, 's'>) =>
  eb.exists(eb.selectFrom('triage_event as t').select('t.id').whereRef('t.package', '=', 's.package').whereRef('t.vulnerability_id', '=', 's.vulnerability_id'));

/** What the queue shows of a state `s`: its place, its vulnerability's urgency and its package's maintainer. */
const QUEUE_COLUMNS = [
  'b.name as branch',
  'r.name as repo',
  's.package',
  's.vulnerability_id',
  's.state',
  's.version',
  's.fixed_version',
  sql<boolean | number>`v.kev is not null`.as('kev'),
  'v.severity',
  'v.cvss_score',
  'v.published',
  'sp.maintainer',
] as const;

interface QueueColumns {
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly vulnerability_id: string;
  readonly state: StateName;
  readonly version: string | null;
  readonly fixed_version: string | null;
  readonly kev: boolean | number;
  readonly severity: string | null;
  readonly cvss_score: number | string | null;
  readonly published: string | null;
  readonly maintainer: string | null;
}

/** The columns of a state's place, its own and its package's maintainer, as an untriaged pair has them. */
type OpenStateColumns = Pick<QueueColumns, 'branch' | 'repo' | 'package' | 'vulnerability_id' | 'state' | 'version' | 'fixed_version' | 'maintainer'>;

function openStateRow(row: OpenStateColumns): UntriagedOpenState {
  return {
    branch: row.branch,
    repo: row.repo,
    package: row.package,
    vulnerabilityId: row.vulnerability_id,
    state: row.state,
    version: row.version,
    fixedVersion: row.fixed_version,
    maintainer: row.maintainer,
  };
}

function queueRow(row: QueueColumns): UntriagedQueueRow {
  // Assigned, not spread: see the row readers of states.ts.
  return Object.assign(openStateRow(row), {
    urgency: {
      id: row.vulnerability_id,
      kev: Boolean(row.kev),
      severity: row.severity,
      cvssScore: row.cvss_score === null ? null : Number(row.cvss_score),
      published: row.published,
    },
  });
}

/** `query` of the states `s` with each one's repository `r`, branch `b` and source package `sp` (its maintainer). */
function withPlace(query: SelectQueryBuilder<Schema & { s: StateTable }, 's', object>) {
  return query
    .innerJoin('repository as r', 'r.id', 's.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .leftJoin('source_package as sp', (join) => join.onRef('sp.repository_id', '=', 's.repository_id').onRef('sp.name', '=', 's.package'));
}

/** The states `s`, with the places, vulnerability and maintainer of `QUEUE_COLUMNS`. */
function queueStates(db: Kysely<Schema>) {
  return withPlace(db.selectFrom('state as s')).leftJoin('vulnerability as v', 'v.id', 's.vulnerability_id');
}

/**
 * Every state with a triage event (of `branch`, when given), with its evidence, its
 * vulnerability's urgency and its package's maintainer, in no particular order.
 */
export async function listTriagedStates(db: Kysely<Schema>, branch?: string): Promise<TriagedState[]> {
  const rows = await queueStates(db)
    .select(QUEUE_COLUMNS)
    .select('s.evidence')
    .where(hasTriageEvent)
    .$if(branch !== undefined, (query) => query.where('b.name', '=', branch!))
    .execute();
  return rows.map((row) => Object.assign(queueRow(row), { evidence: readJsonColumn(row.evidence, evidenceShape, 'state.evidence') }));
}

/** Which states count as open pairs (with or without triage events); each given filter must hold. */
export interface OpenStateFilter {
  /** The computed states open without triage (the engine's `OPEN_UNTRIAGED_STATES`). */
  readonly openStates: readonly StateName[];
  /** Branches left out: those past their end of support. */
  readonly endedBranches: readonly string[];
  readonly branch?: string | undefined;
  readonly repo?: string | undefined;
  /** A maintainer's e-mail: packages whose maintainer text contains `<maintainer>`, ignoring ASCII case. */
  readonly maintainer?: string | undefined;
  /** Only vulnerabilities listed as known exploited. */
  readonly kevOnly?: boolean | undefined;
  /** Only vulnerabilities whose severity ranks at least this (in `UrgencyOrder.severityRanks`). */
  readonly minSeverityRank?: number | undefined;
  /** Only vulnerabilities published at or before this ISO time. */
  readonly publishedBy?: string | undefined;
  /** Only vulnerabilities published after this ISO time. */
  readonly publishedAfter?: string | undefined;
  /** Only vulnerabilities published at or after this ISO time (or its start: `2025` is the year's first instant). */
  readonly publishedFrom?: string | undefined;
  /** Only vulnerabilities published before this ISO time (or its start, as `publishedFrom`). */
  readonly publishedBefore?: string | undefined;
}

/** The urgency order's data the engine decides: the rank of each severity word (upper case; others rank 0). */
export interface UrgencyOrder {
  readonly severityRanks: Readonly<Record<string, number>>;
}

/**
 * The severity rank of the vulnerability `v`, as `order` ranks its words, in literals: with the
 * engine's ranks it is the expression of migration 0014's index, which the queue walks.
 */
function severityRankOf(order: UrgencyOrder) {
  const words = Object.entries(order.severityRanks);
  return sql<number>`case upper(v.severity) ${sql.join(words.map(([word, rank]) => sql`when ${sql.lit(word)} then ${sql.lit(rank)}`), sql` `)} else 0 end`;
}

/** `filter`'s conditions on the state `s` itself, its place and its package's maintainer. */
function openStateConditions(eb: ExpressionBuilder<Schema & { s: StateTable }, 's'>, filter: OpenStateFilter, placePerState: boolean) {
  const places = eb
    .selectFrom('repository as place_r')
    .innerJoin('branch as place_b', 'place_b.id', 'place_r.branch_id')
    .select('place_r.id')
    .$if(filter.endedBranches.length > 0, (query) => query.where('place_b.name', 'not in', [...filter.endedBranches]))
    .$if(filter.branch !== undefined, (query) => query.where('place_b.name', '=', filter.branch!))
    .$if(filter.repo !== undefined, (query) => query.where('place_r.name', '=', filter.repo!));
  const place = placePerState ? sql<SqlBool>`+${eb.ref('s.repository_id')} in (${places})` : eb('s.repository_id', 'in', places);
  const conditions = [filter.openStates.length === 0 ? sql<SqlBool>`1 = 0` : eb('s.state', 'in', [...filter.openStates]), place];
  if (filter.maintainer !== undefined) {
    const pattern = likeContaining(`<${foldAscii(filter.maintainer)}>`);
    // A row-value IN: SQLite reads the maintainer's packages first and probes their states by key.
    const packages = eb
      .selectFrom('source_package as msp')
      .select(['msp.repository_id', 'msp.name'])
      .where(sql<SqlBool>`lower(msp.maintainer) like ${pattern} escape '\\'`)
      .$asTuple('repository_id', 'name');
    conditions.push(eb(eb.refTuple('s.repository_id', 's.package'), 'in', packages));
  }
  return eb.and(conditions);
}

const hasUrgencyFilter = (filter: OpenStateFilter) => filter.kevOnly === true || filter.minSeverityRank !== undefined || publishedBounds(filter).length > 0;

/**
 * Whether `filter`'s place is tested on each state rather than sought in an index. With an
 * urgency filter SQLite seeks the states per vulnerability, and a place sought too would make
 * that one probe per repository (age, full size: 821 to 265 ms); `+` keeps it to a test. A query
 * that reads each state's vulnerability (`byVulnerability`) wants the states in vulnerability
 * order too, so that one state after another finds the same record: sought per repository, each
 * repository looks every record up again (the counts per urgency class, full size: 1.9-2.3 to 0.96 s
 * CPU). On PostgreSQL the same `+` hides the place from the planner, which then reads every open
 * state of the branch before the vulnerabilities (a branch and a severity, full size: 557 to 76 ms without).
 */
const placePerState = (db: Kysely<Schema>, filter: OpenStateFilter, byVulnerability: boolean) =>
  (byVulnerability || hasUrgencyFilter(filter)) && db.getExecutor().adapter instanceof SqliteAdapter;

/** `filter`'s bounds on the publication date of the vulnerability `v`. */
function publishedBounds(filter: OpenStateFilter): RawBuilder<SqlBool>[] {
  const { publishedBy, publishedAfter, publishedFrom, publishedBefore } = filter;
  return [
    ...(publishedBy === undefined ? [] : [sql<SqlBool>`v.published <= ${publishedBy}`]),
    ...(publishedAfter === undefined ? [] : [sql<SqlBool>`v.published > ${publishedAfter}`]),
    ...(publishedFrom === undefined ? [] : [sql<SqlBool>`v.published >= ${publishedFrom}`]),
    ...(publishedBefore === undefined ? [] : [sql<SqlBool>`v.published < ${publishedBefore}`]),
  ];
}

/** `filter`'s conditions on the vulnerability `v` of a state. */
function urgencyConditions(filter: OpenStateFilter, order: UrgencyOrder): RawBuilder<SqlBool>[] {
  return [
    // Compared with true, the test is the first expression of migration 0014's queue-order index,
    // which SQLite then seeks; a bare `kev is not null` reads every vulnerability's record (1 s at full size).
    ...(filter.kevOnly === true ? [sql<SqlBool>`(v.kev is not null) = true`] : []),
    ...(filter.minSeverityRank === undefined ? [] : [sql<SqlBool>`${severityRankOf(order)} >= ${filter.minSeverityRank}`]),
    ...publishedBounds(filter),
  ];
}

/** The states of `filter` (triaged or not), with the urgency conditions as a list of vulnerability ids. */
function openStates(db: Kysely<Schema>, filter: OpenStateFilter, order: UrgencyOrder, { byVulnerability = false } = {}) {
  const urgency = urgencyConditions(filter, order);
  return db
    .selectFrom('state as s')
    .where((eb) => openStateConditions(eb, filter, placePerState(db, filter, byVulnerability)))
    .$if(urgency.length > 0, (query) => query.where('s.vulnerability_id', 'in', (eb) => eb.selectFrom('vulnerability as v').select('v.id').where((inner) => inner.and(urgency))));
}

/**
 * How many states `filter` holds, triaged or not (the caller takes out those with triage events,
 * which it reads anyway): read from migration 0014's index of open states alone.
 */
export async function countOpenStates(db: Kysely<Schema>, filter: OpenStateFilter, order: UrgencyOrder): Promise<number> {
  const row = await openStates(db, filter, order).select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** How many states `filter` holds (triaged or not) per branch, repository and maintainer text. */
export async function countOpenStatesByPlace(
  db: Kysely<Schema>,
  filter: OpenStateFilter,
  order: UrgencyOrder,
): Promise<{ branch: string; repo: string; maintainer: string | null; open: number }[]> {
  const rows = await withPlace(openStates(db, filter, order))
    .select((eb) => ['b.name as branch', 'r.name as repo', 'sp.maintainer', eb.fn.countAll<number | string>().as('open')])
    .groupBy(['b.name', 'r.name', 'sp.maintainer'])
    .execute();
  return rows.map((row) => ({ branch: row.branch, repo: row.repo, maintainer: row.maintainer, open: Number(row.open) }));
}

/** How many states of one place whose vulnerabilities share an urgency class (see `countOpenStatesByUrgency`). */
export interface OpenStateCount {
  readonly branch: string;
  readonly repo: string;
  readonly kev: boolean;
  /** The severity rank, as the `UrgencyOrder` ranks the words. */
  readonly severityRank: number;
  /** The first four characters of the publication date (its year), or null when it has none. */
  readonly publishedYear: string | null;
  readonly states: number;
}

/**
 * How many states `filter` holds (triaged or not, as `countOpenStates` counts them) per branch,
 * repository, known exploited or not, severity rank and publication year; the states whose
 * vulnerability the store does not hold are left out (no urgency filter matches them).
 */
export async function countOpenStatesByUrgency(db: Kysely<Schema>, filter: OpenStateFilter, order: UrgencyOrder): Promise<OpenStateCount[]> {
  const kev = sql<boolean | number>`v.kev is not null`;
  const year = sql<string | null>`substr(v.published, 1, 4)`;
  const rank = severityRankOf(order);
  const rows = await openStates(db, filter, order, { byVulnerability: true })
    .innerJoin('repository as r', 'r.id', 's.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .innerJoin('vulnerability as v', 'v.id', 's.vulnerability_id')
    .select((eb) => ['b.name as branch', 'r.name as repo', kev.as('kev'), rank.as('severity_rank'), year.as('published_year'), eb.fn.countAll<number | string>().as('states')])
    .groupBy(['b.name', 'r.name', kev, rank, year])
    .execute();
  return rows.map((row) => ({
    branch: row.branch,
    repo: row.repo,
    kev: Boolean(row.kev),
    severityRank: Number(row.severity_rank),
    publishedYear: row.published_year,
    states: Number(row.states),
  }));
}

/** An untriaged open pair of the queue, with its urgency and maintainer. */
export type UntriagedQueueRow = Omit<TriagedState, 'evidence'>;

/** An untriaged open pair, without its urgency (read per vulnerability instead: far fewer than the pairs). */
export type UntriagedOpenState = Omit<UntriagedQueueRow, 'urgency'>;

/** `filter`'s untriaged open pairs, of a query of the state `s` and its vulnerability `v`. */
function untriagedConditions(db: Kysely<Schema>, eb: ExpressionBuilder<Schema & { s: StateTable }, 's'>, filter: OpenStateFilter, order: UrgencyOrder) {
  return eb.and([openStateConditions(eb, filter, placePerState(db, filter, false)), eb.not(hasTriageEvent(eb)), ...urgencyConditions(filter, order)]);
}

/**
 * `query` in the queue's order (the engine's `byUrgency`: known exploited, severity rank, oldest
 * published with none last, then branch, repository, package and id, all text in code-point
 * order: SQLite's BINARY, and the "C" collation every text column has on PostgreSQL).
 */
function inQueueOrder<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, order: UrgencyOrder): SelectQueryBuilder<DB, TB, O> {
  return query
    .orderBy(sql`v.kev is not null`, 'desc')
    .orderBy(severityRankOf(order), 'desc')
    .orderBy(sql`v.published is null`)
    .orderBy(sql`v.published`)
    .orderBy(sql`b.name`)
    .orderBy(sql`r.name`)
    .orderBy(sql`s.package`)
    .orderBy(sql`s.vulnerability_id`);
}

/** Every untriaged open pair of `filter`, in the queue's order (`inQueueOrder`): one sort of them all. */
export async function listUntriagedQueue(db: Kysely<Schema>, filter: OpenStateFilter, order: UrgencyOrder): Promise<UntriagedQueueRow[]> {
  const rows = await inQueueOrder(
    queueStates(db)
      .select(QUEUE_COLUMNS)
      .where((eb) => untriagedConditions(db, eb, filter, order)),
    order,
  ).execute();
  return rows.map(queueRow);
}

/**
 * Every untriaged open pair of `filter`, in no order and without the vulnerability's row: what
 * reads the whole queue to group it (notify) sorts the groups itself, far fewer than the pairs.
 */
export async function listUntriagedOpenStates(db: Kysely<Schema>, filter: OpenStateFilter, order: UrgencyOrder): Promise<UntriagedOpenState[]> {
  const rows = await withPlace(openStates(db, filter, order))
    .select(['b.name as branch', 'r.name as repo', 's.package', 's.vulnerability_id', 's.state', 's.version', 's.fixed_version', 'sp.maintainer'])
    .where((eb) => eb.not(hasTriageEvent(eb)))
    .execute();
  return rows.map(openStateRow);
}

/**
 * `page.limit` untriaged open pairs of `filter` whose vulnerability the store holds, from
 * `page.offset`, in the queue's order (`inQueueOrder`). The vulnerabilities come first (a cross
 * join keeps SQLite from reordering) in the order of migration 0014's index, so the query stops
 * after the page instead of sorting every pair; but one maintainer's pairs are few, and are read
 * from their packages and sorted.
 */
export async function listUntriagedQueuePage(
  db: Kysely<Schema>,
  filter: OpenStateFilter,
  order: UrgencyOrder,
  page: { readonly offset: number; readonly limit: number },
): Promise<UntriagedQueueRow[]> {
  if (filter.maintainer !== undefined) {
    const query = queueStates(db)
      .select(QUEUE_COLUMNS)
      .where('v.id', 'is not', null)
      .where((eb) => untriagedConditions(db, eb, filter, order));
    return (await inQueueOrder(query, order).limit(page.limit).offset(page.offset).execute()).map(queueRow);
  }
  const query = db
    .selectFrom('vulnerability as v')
    .crossJoin('state as s')
    .innerJoin('repository as r', 'r.id', 's.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .leftJoin('source_package as sp', (join) => join.onRef('sp.repository_id', '=', 's.repository_id').onRef('sp.name', '=', 's.package'))
    .select(QUEUE_COLUMNS)
    .whereRef('s.vulnerability_id', '=', 'v.id')
    .where((eb) => untriagedConditions(db, eb, filter, order));
  return (await inQueueOrder(query, order).limit(page.limit).offset(page.offset).execute()).map(queueRow);
}

/** The untriaged open pairs of `filter` whose vulnerability the store does not hold (normally none), in no order. */
export async function listUntriagedWithoutRecord(db: Kysely<Schema>, filter: OpenStateFilter, order: UrgencyOrder): Promise<UntriagedQueueRow[]> {
  const rows = await queueStates(db)
    .select(QUEUE_COLUMNS)
    .where('v.id', 'is', null)
    .where((eb) => untriagedConditions(db, eb, filter, order))
    .execute();
  return rows.map(queueRow);
}

/** Which of `names` are origin packages in some branch (in `branches` when given). */
export async function findKnownPackages(db: Kysely<Schema>, names: readonly string[], branches?: readonly string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (const batch of chunks([...new Set(names)], IN_LIST_SIZE)) {
    let query = db
      .selectFrom('source_package as sp')
      .innerJoin('repository as r', 'r.id', 'sp.repository_id')
      .innerJoin('branch as b', 'b.id', 'r.branch_id')
      .select('sp.name')
      .distinct()
      .where('sp.name', 'in', batch);
    if (branches !== undefined && branches.length > 0) query = query.where('b.name', 'in', [...branches]);
    for (const row of await query.execute()) known.add(row.name);
  }
  return known;
}

/** The maintainer texts the indexes give each of `names` (origin packages) in any branch, null where none; absent names are unknown. */
export async function listMaintainersOfPackages(db: Kysely<Schema>, names: readonly string[]): Promise<Map<string, (string | null)[]>> {
  const maintainers = new Map<string, (string | null)[]>();
  for (const batch of chunks([...new Set(names)], IN_LIST_SIZE)) {
    const rows = await db.selectFrom('source_package').select(['name', 'maintainer']).distinct().where('name', 'in', batch).orderBy('name').orderBy('maintainer').execute();
    for (const row of rows) maintainers.set(row.name, [...(maintainers.get(row.name) ?? []), row.maintainer]);
  }
  return maintainers;
}
