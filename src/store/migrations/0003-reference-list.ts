import { type Kysely, type Migration, sql } from 'kysely';
import type { StoreDialect } from '../database.js';

/**
 * Keeps a vulnerability's references as one JSON list (`[{url, tags}]`, by URL) in its own row,
 * as its CWEs and aliases already are, instead of one row each in `vulnerability_reference`.
 * They are only ever read whole, one vulnerability at a time, and the separate table with its
 * key index was about 40% of the database and of an NVD import's write time.
 */
export function referenceListMigration(dialect: StoreDialect): Migration {
  const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';
  // Each dialect's JSON aggregate, in URL order; both give `[]` to a vulnerability without references.
  const list =
    dialect === 'postgres'
      ? sql`select json_agg(json_build_object('url', r.url, 'tags', r.tags::json) order by r.url)::text`
      : sql`select json_group_array(json_object('url', r.url, 'tags', json(r.tags)) order by r.url)`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('vulnerability').addColumn('reference_list', text, (c) => c.notNull().defaultTo('[]')).execute();
      await sql`update vulnerability set reference_list = coalesce((${list} from vulnerability_reference r where r.vulnerability_id = vulnerability.id), '[]')`.execute(db);
      await db.schema.dropTable('vulnerability_reference').execute();
    },
  };
}
