import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../database.js';

/**
 * What the package page needs to order a large package's vulnerabilities without reading their
 * records: on SQLite, a covering index of vulnerability ids with their publication date, which
 * the page's query names (SQLite keeps no statistics, so it would take the primary key and read
 * every record); on PostgreSQL, an index on the state table's package, whose primary key starts
 * with the repository and which the planner otherwise scans whole.
 */
export function packagePageIndexesMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'sqlite') {
        await db.schema.createIndex('vulnerability_published').on('vulnerability').columns(['id', 'published']).execute();
      } else {
        await db.schema.createIndex('state_package').on('state').columns(['package', 'vulnerability_id']).execute();
      }
    },
  };
}
