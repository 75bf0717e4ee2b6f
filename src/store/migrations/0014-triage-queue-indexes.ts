import { type Kysely, type Migration, sql } from 'kysely';

// A migration is frozen once released, so the severity ranks are spelled out here: they are the
// engine's SEVERITY_RANK (src/base/severity.ts) when this was written, in its order, which the
// queue's ORDER BY must repeat word for word to walk this index.
const SEVERITY_RANKS: readonly (readonly [string, number])[] = [
  ['CRITICAL', 4],
  ['HIGH', 3],
  ['MEDIUM', 2],
  ['MODERATE', 2],
  ['LOW', 1],
];

/**
 * What the triage queue needs to answer a page without sorting every open pair:
 * - the vulnerabilities in the queue's urgency order (known exploited, severity rank, published
 *   with none last), which the page's query walks until the page is full, with their ids: a
 *   filter on severity reads the ids from the index, not from the large records;
 * - the open states by name and vulnerability, with their place: the page's lookup from each
 *   vulnerability, and the queue's count read from the index alone.
 */
export function triageQueueIndexesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const rank = sql.join(
        SEVERITY_RANKS.map(([word, value]) => sql`when ${sql.lit(word)} then ${sql.lit(value)}`),
        sql` `,
      );
      await sql`create index vulnerability_queue_order on vulnerability ((kev is not null) desc, (case upper(severity) ${rank} else 0 end) desc, (published is null), published, id)`.execute(db);
      await db.schema.createIndex('state_open_pairs').on('state').columns(['state', 'vulnerability_id', 'repository_id', 'package']).execute();
    },
  };
}
