import { type Kysely, type Migration, sql } from 'kysely';
import type { StoreDialect } from '../database.js';

/**
 * Adds what the web pages read on every request:
 * - `data_version`, one row that every committed write bumps, so caches and HTTP validators
 *   (ETag, Last-Modified) know in one primary-key lookup whether anything changed;
 * - indexes for a branch's states by state name and for packages by maintainer.
 */
export function dataVersionMigration(dialect: StoreDialect): Migration {
  const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('data_version')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('changed_at', text, (c) => c.notNull())
        .execute();
      await sql`insert into data_version (id, version, changed_at) values (1, 1, ${new Date().toISOString()})`.execute(db);
      await db.schema.createIndex('state_repository_state').on('state').columns(['repository_id', 'state', 'package']).execute();
      await db.schema.createIndex('source_package_maintainer').on('source_package').column('maintainer').execute();
      await db.schema.createIndex('source_package_name').on('source_package').column('name').execute();
    },
  };
}
