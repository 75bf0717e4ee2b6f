import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { TriageEvent } from '../../base/triage.js';
import type { Schema } from '../schema.js';
import { type StateChangeRow, historyFields } from './state-changes.js';
import { storedEvent } from './triage.js';

/*
 * Every change in one order, for mirrors and scanners that pull increments: state changes,
 * triage events and finished imports (the data every export is made from changed), ordered by
 * (time, kind, id). A reader passes the position of the last change it has and gets those after
 * it; ties in time are broken by the kind's place in CHANGE_KINDS, then by the row's id.
 */

export const CHANGE_KINDS = ['import', 'state', 'triage'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** Where a change stands in the order. */
export interface ChangePosition {
  readonly time: string;
  readonly kind: ChangeKind;
  readonly id: number;
}

type Change = ChangePosition &
  (
    | ({ readonly kind: 'state' } & Pick<StateChangeRow, 'branch' | 'repo' | 'package' | 'vulnerabilityId' | 'oldState' | 'newState' | 'cause'>)
    | ({ readonly kind: 'triage' } & Omit<TriageEvent, 'id' | 'createdAt'>)
    | { readonly kind: 'import'; readonly source: string; readonly importKind: string; readonly target: string | null }
  );

/**
 * Narrows one kind's rows to those after `after`: with the kind fixed, (time, kind, id) >
 * (t, k, i) is time > t, or time = t and the kind comes after k (or is k and id > i).
 */
function after<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  kind: ChangeKind,
  timeColumn: string,
  idColumn: string,
  position: ChangePosition | null,
): SelectQueryBuilder<DB, TB, O> {
  if (position === null) return query;
  const rank = CHANGE_KINDS.indexOf(kind) - CHANGE_KINDS.indexOf(position.kind);
  const time = timeColumn as never;
  const id = idColumn as never;
  if (rank > 0) return query.where(time, '>=', position.time as never);
  if (rank < 0) return query.where(time, '>', position.time as never);
  return query.where((eb) => eb.or([eb(time, '>', position.time as never), eb.and([eb(time, '=', position.time as never), eb(id, '>', position.id as never)])]));
}

const compare = (a: ChangePosition, b: ChangePosition) =>
  (a.time < b.time ? -1 : a.time > b.time ? 1 : 0) || CHANGE_KINDS.indexOf(a.kind) - CHANGE_KINDS.indexOf(b.kind) || a.id - b.id;

/** Up to `limit` changes after `position` (from the first without one), in order. */
export async function listChangesAfter(db: Kysely<Schema>, position: ChangePosition | null, limit: number): Promise<Change[]> {
  const [states, triage, imports] = await Promise.all([
    after(
    db
      .selectFrom('state_history as h')
      .innerJoin('repository as r', 'r.id', 'h.repository_id')
      .innerJoin('branch as b', 'b.id', 'r.branch_id')
      .select(['h.id', 'h.changed_at', 'b.name as branch', 'r.name as repo', 'h.package', 'h.vulnerability_id', 'h.old_state', 'h.new_state', 'h.cause']),
    'state',
    'h.changed_at',
    'h.id',
    position,
  )
    .orderBy('h.changed_at')
    .orderBy('h.id')
    .limit(limit)
    .execute(),
    after(
    db.selectFrom('triage_event as t').selectAll('t'),
    'triage',
    't.created_at',
    't.id',
    position,
  )
    .orderBy('t.created_at')
    .orderBy('t.id')
    .limit(limit)
    .execute(),
    after(
    db.selectFrom('import_run as i').select(['i.id', 'i.finished_at', 'i.source', 'i.kind', 'i.target']).where('i.status', '=', 'ok').where('i.finished_at', 'is not', null),
    'import',
    'i.finished_at',
    'i.id',
    position,
  )
    .orderBy('i.finished_at')
    .orderBy('i.id')
    .limit(limit)
    .execute(),
  ]);
  const changes: Change[] = [
    ...states.map((row): Change => {
      const { id, changedAt, ...fields } = historyFields(row);
      return { kind: 'state', time: changedAt, id, ...fields };
    }),
    ...triage.map((row): Change => {
      const { id, createdAt, ...fields } = storedEvent(row);
      return { kind: 'triage', time: createdAt, id, ...fields };
    }),
    ...imports.map((row): Change => ({ kind: 'import', time: row.finished_at!, id: Number(row.id), source: row.source, importKind: row.kind, target: row.target })),
  ];
  return changes.sort(compare).slice(0, limit);
}
