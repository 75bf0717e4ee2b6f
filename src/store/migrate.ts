import { DEFAULT_MIGRATION_TABLE, type Kysely, type Migration, Migrator, sql } from 'kysely';
import { type Store, type StoreDialect, withMigrationLock } from './database.js';
import type { Schema } from './schema.js';
import { initialMigration } from './migrations/0001-initial.js';
import { dataVersionMigration } from './migrations/0002-data-version.js';
import { referenceListMigration } from './migrations/0003-reference-list.js';
import { triageMigration } from './migrations/0004-triage.js';
import { authMigration } from './migrations/0005-auth.js';
import { searchSummaryMigration } from './migrations/0006-search-summary.js';
import { cve5AffectedMigration } from './migrations/0007-cve5-affected.js';
import { exchangeMigration } from './migrations/0009-exchange.js';
import { auditPairsMigration } from './migrations/0012-audit-pairs.js';
import { packagePageIndexesMigration } from './migrations/0013-package-page-indexes.js';
import { triageQueueIndexesMigration } from './migrations/0014-triage-queue-indexes.js';
import { vulnerabilityPublishedIndexMigration } from './migrations/0015-vulnerability-published-index.js';
import { descriptionWordsMigration } from './migrations/0016-description-words.js';
import { vulnerabilityPublishedPostgresMigration } from './migrations/0017-vulnerability-published-postgres.js';
import { maintainerWorkIndexesMigration } from './migrations/0018-maintainer-work-indexes.js';

/** Every migration in order; names sort in the order they must run. */
export function storeMigrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(dialect),
    '0002-data-version': dataVersionMigration(dialect),
    '0003-reference-list': referenceListMigration(dialect),
    '0004-triage': triageMigration(dialect),
    '0005-auth': authMigration(dialect),
    '0006-search-summary': searchSummaryMigration(dialect),
    '0007-cve5-affected': cve5AffectedMigration(dialect),
    '0009-exchange': exchangeMigration(dialect),
    '0012-audit-pairs': auditPairsMigration(dialect),
    '0013-package-page-indexes': packagePageIndexesMigration(dialect),
    '0014-triage-queue-indexes': triageQueueIndexesMigration(),
    '0015-vulnerability-published-index': vulnerabilityPublishedIndexMigration(),
    '0016-description-words': descriptionWordsMigration(dialect),
    '0017-vulnerability-published-postgres': vulnerabilityPublishedPostgresMigration(dialect),
    '0018-maintainer-work-indexes': maintainerWorkIndexesMigration(),
  };
}

/**
 * Brings the schema up to date and returns the names of the migrations it applied (none when
 * already current). Safe to run from several processes at once.
 */
export async function migrateToLatest(store: Store): Promise<string[]> {
  if (await isSchemaCurrent(store)) return [];
  // Kysely locks and wraps migrations in a transaction on PostgreSQL only; on SQLite the writer
  // lock gives the same: one process migrates, the others then find nothing to do.
  return store.dialect === 'sqlite'
    ? withMigrationLock(store, (connection) => runMigrations(connection, store.dialect))
    : runMigrations(store.db, store.dialect);
}

/**
 * The common case, read without a write lock: every migration is recorded. Migrations are only
 * ever added, so a complete record stays complete. A missing table (a new database) or any other
 * failure here sends the caller down the locked path, which reports real errors.
 */
async function isSchemaCurrent(store: Store): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(store.db);
    const applied = new Set(rows.map((row) => row.name));
    return Object.keys(storeMigrations(store.dialect)).every((name) => applied.has(name));
  } catch {
    return false;
  }
}

async function runMigrations(db: Kysely<Schema>, dialect: StoreDialect): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(storeMigrations(dialect)) },
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName;
    const where = failed === undefined ? '' : ` in ${failed}`;
    throw new Error(`database migration failed${where}: ${(error as Error).message}`, { cause: error });
  }
  return results.map((result) => result.migrationName);
}
