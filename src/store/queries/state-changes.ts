import { type Expression, type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Schema, StateName } from '../schema.js';
import { IN_LIST_SIZE, chunks } from './batches.js';

/** Which state changes to list; each given filter must hold. */
export interface StateChangeFilter {
  readonly branch?: string;
  readonly package?: string;
  /**
   * A maintainer as the web names them: the e-mail address when the maintainer text has one in
   * angle brackets, else the whole (trimmed) text.
   */
  readonly maintainerKey?: string;
  /** The state the pair changed to. */
  readonly newState?: StateName;
}

/** Characters of the description that come with each change, enough for a summary line. */
const STATE_CHANGE_DESCRIPTION_LENGTH = 300;

/** One row of the state history with what a feed or list shows about it. */
export interface StateChangeRow {
  /** The history row's id: stable, and unique across repositories. */
  readonly id: number;
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly vulnerabilityId: string;
  /** Null when the pair got its first state. */
  readonly oldState: StateName | null;
  /** Null when the pair's state was deleted. */
  readonly newState: StateName | null;
  readonly changedAt: string;
  readonly cause: string;
  /** The package's maintainer in that repository, when the index names one. */
  readonly maintainer: string | null;
  readonly severity: string | null;
  readonly cvssScore: number | null;
  /** The first `STATE_CHANGE_DESCRIPTION_LENGTH` characters of the description. */
  readonly description: string | null;
  /** Whether the description goes on past those. */
  readonly descriptionTruncated: boolean;
}

/** A state history row joined with its branch and repository names. */
interface HistoryRow {
  readonly id: number | bigint | string;
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly vulnerability_id: string;
  readonly old_state: StateName | null;
  readonly new_state: StateName | null;
  readonly changed_at: string;
  readonly cause: string;
}

/** The fields of a state change every list of them shares. */
export function historyFields(row: HistoryRow): Pick<StateChangeRow, 'id' | 'branch' | 'repo' | 'package' | 'vulnerabilityId' | 'oldState' | 'newState' | 'changedAt' | 'cause'> {
  return {
    id: Number(row.id),
    branch: row.branch,
    repo: row.repo,
    package: row.package,
    vulnerabilityId: row.vulnerability_id,
    oldState: row.old_state,
    newState: row.new_state,
    changedAt: row.changed_at,
    cause: row.cause,
  };
}

const BRACKETED_EMAIL = /<[^<>\s]+@[^<>\s]+>/;
const BARE_EMAIL = /^[^<>\s]+@[^<>\s]+$/;

/**
 * `column` (a maintainer text) has this maintainer key (see `maintainerKey` in the web's urls).
 * A key with a bracketed e-mail in it names nobody: such a text is named by the e-mail alone.
 * (A text with two bracketed addresses matches either, where `maintainerKey` takes the first.)
 * LIKE finds the bracketed address and tells PostgreSQL's planner that few rows match; `replace`
 * then checks it case-sensitively, which LIKE is not on SQLite.
 */
function hasMaintainerKey(column: 'sp.maintainer' | 'named.maintainer', key: string): RawBuilder<SqlBool> {
  if (BRACKETED_EMAIL.test(key)) return sql<SqlBool>`1 = 0`;
  const maintainer = sql.ref(column);
  const whole = sql<SqlBool>`trim(${maintainer}) = ${key}`;
  if (!BARE_EMAIL.test(key)) return whole;
  const bracketed = `<${key}>`;
  const pattern = `%${bracketed.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
  return sql<SqlBool>`(${whole} or (${maintainer} like ${pattern} escape '\\' and replace(${maintainer}, ${bracketed}, '') <> ${maintainer}))`;
}

/**
 * The newest state changes matching `filter`, newest first (ties by id), with branch and
 * repository names, the package's maintainer and the vulnerability's severity and description,
 * in one query.
 *
 * The query is shaped for SQLite's planner, which keeps the order of CROSS JOINed tables and
 * has no statistics: the history is the outer table, read backwards along
 * `state_history_changed_at` until the page is full (no filter, branch, state), or probed through
 * `state_history_pair` by (every repository, package) when a package or maintainer narrows it to
 * few rows, which are then sorted. PostgreSQL plans the same query freely.
 */
export async function listStateChanges(
  db: Kysely<Schema>,
  filter: StateChangeFilter,
  page: { readonly limit: number; readonly offset?: number },
): Promise<StateChangeRow[]> {
  let query = db
    .selectFrom('state_history as h')
    .crossJoin('repository as r')
    .crossJoin('branch as b')
    .leftJoin('source_package as sp', (join) => join.onRef('sp.repository_id', '=', 'h.repository_id').onRef('sp.name', '=', 'h.package'))
    .leftJoin('vulnerability as v', 'v.id', 'h.vulnerability_id')
    .whereRef('r.id', '=', 'h.repository_id')
    .whereRef('b.id', '=', 'r.branch_id')
    .select([
      'h.id',
      'b.name as branch',
      'r.name as repo',
      'h.package',
      'h.vulnerability_id',
      'h.old_state',
      'h.new_state',
      'h.changed_at',
      'h.cause',
      'sp.maintainer',
      'v.severity',
      'v.cvss_score',
    ])
    // One character more than shown, to know whether the description goes on.
    .select(sql<string | null>`substr(v.description, 1, ${STATE_CHANGE_DESCRIPTION_LENGTH + 1})`.as('description'));
  const { branch, package: name, maintainerKey, newState } = filter;
  if (branch !== undefined) query = query.where('b.name', '=', branch);
  if (newState !== undefined) query = query.where('h.new_state', '=', newState);
  if (name !== undefined || maintainerKey !== undefined) {
    // Always true, but it lets the (repository, package) index be probed for every repository.
    query = query.where('h.repository_id', 'in', (eb) => eb.selectFrom('repository as every').select('every.id'));
  }
  if (name !== undefined) query = query.where('h.package', '=', name);
  if (maintainerKey !== undefined) {
    query = query
      .where('h.package', 'in', (eb) => eb.selectFrom('source_package as named').select('named.name').where(hasMaintainerKey('named.maintainer', maintainerKey)))
      .where(hasMaintainerKey('sp.maintainer', maintainerKey));
  }
  const rows = await query
    .orderBy('h.changed_at', 'desc')
    .orderBy('h.id', 'desc')
    .limit(page.limit)
    .offset(page.offset ?? 0)
    .execute();
  return rows.map((row) => {
    // substr counts characters (code points) on both dialects; so does spreading a string.
    const description = row.description === null ? null : [...row.description];
    return {
      ...historyFields(row),
      maintainer: row.maintainer,
      severity: row.severity,
      cvssScore: row.cvss_score === null ? null : Number(row.cvss_score),
      description: description === null ? null : description.slice(0, STATE_CHANGE_DESCRIPTION_LENGTH).join(''),
      descriptionTruncated: description !== null && description.length > STATE_CHANGE_DESCRIPTION_LENGTH,
    };
  });
}

/**
 * Whether what the filter's branch, package and maintainer name exists, so a feed can tell
 * "nothing changed" from "no such thing": a package exists while an index lists it or it has
 * state changes, a maintainer while an index names them. One query when the filter names
 * anything, none otherwise; the state filter is not a name.
 */
export async function stateChangeSubjectsExist(db: Kysely<Schema>, filter: StateChangeFilter): Promise<boolean> {
  const { branch, package: name, maintainerKey } = filter;
  if (branch === undefined && name === undefined && maintainerKey === undefined) return true;
  const row = await db
    .selectNoFrom((eb) => {
      const checks: Expression<SqlBool>[] = [];
      if (branch !== undefined) checks.push(eb.exists(eb.selectFrom('branch').select('id').where('name', '=', branch)));
      if (name !== undefined) {
        checks.push(
          eb.or([
            eb.exists(eb.selectFrom('source_package').select('id').where('name', '=', name)),
            eb.exists(
              eb
                .selectFrom('state_history')
                .select('id')
                .where('repository_id', 'in', eb.selectFrom('repository').select('id'))
                .where('package', '=', name),
            ),
          ]),
        );
      }
      if (maintainerKey !== undefined) {
        checks.push(eb.exists(eb.selectFrom('source_package as sp').select('sp.id').where(hasMaintainerKey('sp.maintainer', maintainerKey))));
      }
      return eb.and(checks).as('known');
    })
    .executeTakeFirstOrThrow();
  // SQLite answers 0/1, PostgreSQL true/false.
  return row.known === true || Number(row.known) === 1;
}

/** When a pair last changed state: it has had the state it has now since then. */
export interface PairStateSince {
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly vulnerabilityId: string;
  readonly changedAt: string;
}

/**
 * The latest state change of every pair of these packages, in every repository, that gave a
 * pair one of `states` (null: its state removed): for a pair whose state is now one of them, how
 * long it has had it (the latest change is the one that gave it). As in `listStateChanges`, the
 * repository condition lets the (repository, package) index be probed.
 */
export async function listLatestStateChanges(db: Kysely<Schema>, packages: readonly string[], states: readonly (StateName | null)[]): Promise<PairStateSince[]> {
  const named = states.filter((state) => state !== null);
  const removed = states.includes(null);
  if (named.length === 0 && !removed) return [];
  const batches = await Promise.all(
    chunks([...new Set(packages)], IN_LIST_SIZE).map((batch) =>
      db
        .selectFrom('state_history as h')
        .innerJoin('repository as r', 'r.id', 'h.repository_id')
        .innerJoin('branch as b', 'b.id', 'r.branch_id')
        .select(['b.name as branch', 'r.name as repo', 'h.package', 'h.vulnerability_id'])
        .select((eb) => eb.fn.max('h.changed_at').as('changed_at'))
        .where('h.repository_id', 'in', (eb) => eb.selectFrom('repository as every').select('every.id'))
        .where('h.package', 'in', batch)
        .where((eb) => eb.or([...(named.length === 0 ? [] : [eb('h.new_state', 'in', named)]), ...(removed ? [eb('h.new_state', 'is', null)] : [])]))
        .groupBy(['b.name', 'r.name', 'h.package', 'h.vulnerability_id'])
        .execute(),
    ),
  );
  return batches.flat().map((row) => ({ branch: row.branch, repo: row.repo, package: row.package, vulnerabilityId: row.vulnerability_id, changedAt: row.changed_at }));
}
