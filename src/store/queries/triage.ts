import { type ExpressionBuilder, type Kysely, type Selectable, sql } from 'kysely';
import type { Evidence, StateName } from '../../base/states.js';
import type { TriageEvent } from '../../base/triage.js';
import { evidenceShape, jsonText, readJsonColumn, recordOf, stringsShape, text } from '../json-column.js';
import type { Schema, StateTable, TriageEventTable } from '../schema.js';
import { IN_LIST_SIZE, chunks, rowsPerInsert } from './batches.js';
import { type PackageScope, inPackageScope } from './maintainer-report.js';

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

/** The origin packages of a branch (or every branch), with their maintainers. */
export async function listPackageMaintainers(db: Kysely<Schema>, branch?: string): Promise<PackageMaintainer[]> {
  let query = db
    .selectFrom('source_package as sp')
    .innerJoin('repository as r', 'r.id', 'sp.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select(['b.name as branch', 'r.name as repo', 'sp.name as package', 'sp.maintainer']);
  if (branch !== undefined) query = query.where('b.name', '=', branch);
  return query.orderBy('b.name').orderBy('r.name').orderBy('sp.name').execute();
}

/** The places (branch, repository) of the origin packages that have a triage event, with their maintainers. */
export async function listTriagedPackagePlaces(db: Kysely<Schema>, branch?: string): Promise<PackageMaintainer[]> {
  let query = db
    .selectFrom('source_package as sp')
    .innerJoin('repository as r', 'r.id', 'sp.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .select(['b.name as branch', 'r.name as repo', 'sp.name as package', 'sp.maintainer'])
    .where('sp.name', 'in', (eb) => eb.selectFrom('triage_event').select('package'));
  if (branch !== undefined) query = query.where('b.name', '=', branch);
  return query.orderBy('b.name').orderBy('r.name').orderBy('sp.name').execute();
}

/** A pair the triage queue considers (computed vulnerable, or with a triage event), with its urgency and maintainer. */
export interface QueueCandidate {
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly vulnerabilityId: string;
  readonly state: StateName;
  readonly version: string | null;
  readonly fixedVersion: string | null;
  /**
   * The stored evidence of a pair with a triage event; null for a pair without one, whose
   * evidence nothing reads (it only matters against a standing event's digest), so it is not loaded.
   */
  readonly evidence: readonly Evidence[] | null;
  /** The vulnerability's urgency facts; kev false and the rest null when the store does not hold it. */
  readonly urgency: VulnerabilityUrgency;
  /** The maintainer text of the package in the pair's repository; null when none. */
  readonly maintainer: string | null;
}

/** Whether the state `s` of a query has a triage event. */
export const hasTriageEvent = (eb: ExpressionBuilder<Schema & { s: StateTable }, 's'>) =>
  eb.exists(eb.selectFrom('triage_event as t').select('t.id').whereRef('t.package', '=', 's.package').whereRef('t.vulnerability_id', '=', 's.vulnerability_id'));

/**
 * Every state computed vulnerable or with a triage event (of `branch`, when given), joined with its
 * vulnerability's urgency and its package's maintainer in one statement, in no particular order.
 */
export async function listQueueCandidates(db: Kysely<Schema>, branch?: string): Promise<QueueCandidate[]> {
  let query = db
    .selectFrom('state as s')
    .innerJoin('repository as r', 'r.id', 's.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .leftJoin('vulnerability as v', 'v.id', 's.vulnerability_id')
    .leftJoin('source_package as sp', (join) => join.onRef('sp.repository_id', '=', 's.repository_id').onRef('sp.name', '=', 's.package'))
    .select((eb) => [
      'b.name as branch',
      'r.name as repo',
      's.package',
      's.vulnerability_id',
      's.state',
      's.version',
      's.fixed_version',
      eb.case().when(hasTriageEvent(eb)).then(eb.ref('s.evidence')).else(null).end().as('evidence'),
      sql<boolean | number>`v.kev is not null`.as('kev'),
      'v.severity',
      'v.cvss_score',
      'v.published',
      'sp.maintainer',
    ])
    .where((eb) => eb.or([eb('s.state', '=', 'vulnerable'), hasTriageEvent(eb)]));
  if (branch !== undefined) query = query.where('b.name', '=', branch);
  const rows = await query.execute();
  return rows.map((row) => ({
    branch: row.branch,
    repo: row.repo,
    package: row.package,
    vulnerabilityId: row.vulnerability_id,
    state: row.state,
    version: row.version,
    fixedVersion: row.fixed_version,
    evidence: row.evidence === null ? null : readJsonColumn(row.evidence, evidenceShape, 'state.evidence'),
    urgency: {
      id: row.vulnerability_id,
      kev: Boolean(row.kev),
      severity: row.severity,
      cvssScore: row.cvss_score === null ? null : Number(row.cvss_score),
      published: row.published,
    },
    maintainer: row.maintainer,
  }));
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
