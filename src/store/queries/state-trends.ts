import { type Kysely, sql } from 'kysely';
import type { Schema } from '../schema.js';

/** How the number of vulnerable pairs of one branch changed on one day. */
export interface VulnerableDelta {
  readonly branch: string;
  /** `YYYY-MM-DD` (UTC). */
  readonly day: string;
  /** Pairs that became vulnerable that day minus pairs that stopped being vulnerable. */
  readonly delta: number;
}

/**
 * Day-by-day changes of every branch's vulnerable pairs, read from the state history in one
 * aggregate query, oldest day first. Summing them in order gives the open count over time.
 */
export async function listVulnerableDeltasByDay(db: Kysely<Schema>): Promise<VulnerableDelta[]> {
  const day = sql<string>`substr(h.changed_at, 1, 10)`;
  const rows = await db
    .selectFrom('state_history as h')
    .innerJoin('repository as r', 'r.id', 'h.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .where((eb) => eb.or([eb('h.new_state', '=', 'vulnerable'), eb('h.old_state', '=', 'vulnerable')]))
    .select(['b.name as branch', day.as('day')])
    .select(
      sql<number>`sum(case when h.new_state = 'vulnerable' then 1 else 0 end) - sum(case when h.old_state = 'vulnerable' then 1 else 0 end)`.as('delta'),
    )
    .groupBy(['b.name', day])
    .orderBy('day')
    .orderBy('b.name')
    .execute();
  return rows.map((row) => ({ branch: row.branch, day: row.day, delta: Number(row.delta) }));
}
