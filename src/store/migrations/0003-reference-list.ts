import { type Kysely, type Migration, sql } from 'kysely';
import type { StoreDialect } from '../database.js';

/** Vulnerabilities whose references are moved per statement: bounds memory on big databases. */
const VULNERABILITIES_PER_ROUND = 1_000;

/**
 * Keeps a vulnerability's references as one JSON list (`[{url, tags}]`, by URL) in its own row,
 * as its CWEs and aliases already are, instead of one row each in `vulnerability_reference`.
 * They are only ever read whole, one vulnerability at a time, and the separate table with its
 * key index was about 40% of the database and of an NVD import's write time.
 */
export function referenceListMigration(dialect: StoreDialect): Migration {
  const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';
  return {
    async up(untyped: Kysely<unknown>): Promise<void> {
      const db = untyped as Kysely<OldSchema>;
      await db.schema.alterTable('vulnerability').addColumn('reference_list', text, (c) => c.notNull().defaultTo('[]')).execute();
      let after = '';
      for (;;) {
        const ids = await db
          .selectFrom('vulnerability_reference')
          .select('vulnerability_id')
          .distinct()
          .where('vulnerability_id', '>', after)
          .orderBy('vulnerability_id')
          .limit(VULNERABILITIES_PER_ROUND)
          .execute();
        const last = ids.at(-1);
        if (last === undefined) break;
        const rows = await db
          .selectFrom('vulnerability_reference')
          .select(['vulnerability_id', 'url', 'tags'])
          .where('vulnerability_id', '>', after)
          .where('vulnerability_id', '<=', last.vulnerability_id)
          .orderBy('vulnerability_id')
          .orderBy('url')
          .execute();
        const lists = new Map<string, { url: string; tags: unknown }[]>();
        for (const row of rows) {
          const list = lists.get(row.vulnerability_id) ?? [];
          list.push({ url: row.url, tags: JSON.parse(row.tags) as unknown });
          lists.set(row.vulnerability_id, list);
        }
        for (const [id, list] of lists) {
          await db.updateTable('vulnerability').set({ reference_list: JSON.stringify(list) }).where('id', '=', id).execute();
        }
        after = last.vulnerability_id;
      }
      await db.schema.dropTable('vulnerability_reference').execute();
    },
  };
}

/** The two tables as this migration finds them. */
interface OldSchema {
  vulnerability: { id: string; reference_list: string };
  vulnerability_reference: { vulnerability_id: string; url: string; tags: string };
}
