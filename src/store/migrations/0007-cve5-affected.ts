import { type Kysely, type Migration, sql } from 'kysely';
import type { StoreDialect } from '../database.js';

/**
 * The `affected` entries of imported CVE 5 records (the CNA's and CISA's ADP), one JSON list per
 * vulnerability, kept apart from the vulnerability row: NVD's configuration stays the analysis
 * stored there, and these are the second opinion the engine compares with it. Only the CVE 5
 * importer writes them, so an NVD import never erases them.
 */
export function cve5AffectedMigration(dialect: StoreDialect): Migration {
  const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('cve5_affected')
        .addColumn('vulnerability_id', text, (c) => c.primaryKey())
        .addColumn('affected', text, (c) => c.notNull())
        .execute();
    },
  };
}
