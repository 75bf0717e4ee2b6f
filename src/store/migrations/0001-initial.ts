import { type CreateTableBuilder, type Kysely, type Migration, sql } from 'kysely';
import type { StoreDialect } from '../database.js';

// A migration is frozen once released, so its value lists are spelled out here rather than
// imported from schema.ts, which may grow in later migrations.
const STATES = ['vulnerable', 'fixed', 'not-affected', 'rejected', 'unknown'];
const VEX_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
];
const SECFIX_SOURCES = ['secdb', 'aports'];
const IMPORT_RUN_STATUSES = ['running', 'ok', 'failed', 'unchanged'];
const DIRTY_KINDS = ['package', 'vulnerability'];

function oneOf(column: string, values: readonly string[], nullable = false) {
  const list = sql.join(values.map((value) => sql.lit(value)));
  return nullable
    ? sql`${sql.ref(column)} is null or ${sql.ref(column)} in (${list})`
    : sql`${sql.ref(column)} in (${list})`;
}

/** The schema of secfix's first release: every table in schema.ts. */
export function initialMigration(dialect: StoreDialect): Migration {
  // SQLite needs exactly `integer primary key` for a rowid alias; PostgreSQL uses an identity column.
  function withId<T extends string>(table: CreateTableBuilder<T>): CreateTableBuilder<T, 'id'> {
    return dialect === 'sqlite'
      ? table.addColumn('id', 'integer', (column) => column.primaryKey().autoIncrement())
      : table.addColumn('id', 'bigint', (column) => column.primaryKey().generatedByDefaultAsIdentity());
  }

  // Byte-order text on PostgreSQL, as SQLite compares by default: sorting and uniqueness then do
  // not depend on the server's locale, and both dialects return rows in the same order.
  const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await withId(db.schema.createTable('branch'))
        .addColumn('name', text, (c) => c.notNull().unique())
        .addColumn('end_of_support', text)
        .addColumn('created_at', text, (c) => c.notNull())
        .execute();

      await withId(db.schema.createTable('repository'))
        .addColumn('branch_id', 'bigint', (c) => c.notNull().references('branch.id').onDelete('cascade'))
        .addColumn('name', text, (c) => c.notNull())
        .addUniqueConstraint('repository_branch_name', ['branch_id', 'name'])
        .execute();

      await db.schema
        .createTable('branch_arch')
        .addColumn('branch_id', 'bigint', (c) => c.notNull().references('branch.id').onDelete('cascade'))
        .addColumn('arch', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('branch_arch_pk', ['branch_id', 'arch'])
        .execute();

      await withId(db.schema.createTable('source_package'))
        .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repository.id').onDelete('cascade'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('maintainer', text)
        .addUniqueConstraint('source_package_repository_name', ['repository_id', 'name'])
        .execute();

      await withId(db.schema.createTable('package_version'))
        .addColumn('source_package_id', 'bigint', (c) =>
          c.notNull().references('source_package.id').onDelete('cascade'),
        )
        .addColumn('version', text, (c) => c.notNull())
        .addColumn('version_key', text)
        .addColumn('first_seen', text, (c) => c.notNull())
        .addColumn('last_seen', text, (c) => c.notNull())
        .addColumn('removed_at', text)
        .addColumn('maintainer', text)
        .addColumn('build_time', text)
        .addColumn('commit', text)
        .addUniqueConstraint('package_version_source_version', ['source_package_id', 'version'])
        .execute();

      await withId(db.schema.createTable('binary_package'))
        .addColumn('package_version_id', 'bigint', (c) =>
          c.notNull().references('package_version.id').onDelete('cascade'),
        )
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('arch', text, (c) => c.notNull())
        .addUniqueConstraint('binary_package_version_name_arch', ['package_version_id', 'name', 'arch'])
        .execute();
      await db.schema.createIndex('binary_package_name').on('binary_package').column('name').execute();

      await db.schema
        .createTable('vulnerability')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('source', text, (c) => c.notNull())
        .addColumn('status', text)
        .addColumn('description', text)
        .addColumn('published', text)
        .addColumn('last_modified', text)
        .addColumn('cvss_score', 'double precision')
        .addColumn('cvss_vector', text)
        .addColumn('cvss_version', text)
        .addColumn('severity', text)
        .addColumn('cwes', text, (c) => c.notNull())
        .addColumn('aliases', text, (c) => c.notNull())
        .addColumn('kev', text)
        .addColumn('ssvc', text)
        .addColumn('configurations', text, (c) => c.notNull())
        .addColumn('content_hash', text, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('vulnerability_reference')
        .addColumn('vulnerability_id', text, (c) => c.notNull().references('vulnerability.id').onDelete('cascade'))
        .addColumn('url', text, (c) => c.notNull())
        .addColumn('tags', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('vulnerability_reference_pk', ['vulnerability_id', 'url'])
        .execute();

      await withId(db.schema.createTable('cpe_criterion'))
        .addColumn('vulnerability_id', text, (c) => c.notNull().references('vulnerability.id').onDelete('cascade'))
        .addColumn('configuration_index', 'integer', (c) => c.notNull())
        .addColumn('node_index', 'integer', (c) => c.notNull())
        .addColumn('match_index', 'integer', (c) => c.notNull())
        .addColumn('vulnerable', 'integer', (c) => c.notNull())
        .addColumn('criteria', text, (c) => c.notNull())
        .addColumn('vendor', text, (c) => c.notNull())
        .addColumn('product', text, (c) => c.notNull())
        .addColumn('target_sw', text)
        .addColumn('version', text, (c) => c.notNull())
        .addColumn('start_including', text)
        .addColumn('start_excluding', text)
        .addColumn('end_including', text)
        .addColumn('end_excluding', text)
        .execute();
      await db.schema.createIndex('cpe_criterion_product').on('cpe_criterion').column('product').execute();
      await db.schema
        .createIndex('cpe_criterion_vulnerability')
        .on('cpe_criterion')
        .column('vulnerability_id')
        .execute();

      await withId(db.schema.createTable('import_run'))
        .addColumn('source', text, (c) => c.notNull())
        .addColumn('kind', text, (c) => c.notNull())
        .addColumn('checksum', text)
        .addColumn('etag', text)
        .addColumn('last_modified', text)
        .addColumn('started_at', text, (c) => c.notNull())
        .addColumn('finished_at', text)
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('counts', text)
        .addColumn('error', text)
        .addColumn('duration_ms', 'integer')
        // What the run's data replaces (e.g. `secdb:3.16/main`), for sources that replace a whole
        // target; null for sources that only add or update records (NVD, CVE 5, rejections).
        .addColumn('target', text)
        .addCheckConstraint('import_run_status', oneOf('status', IMPORT_RUN_STATUSES))
        .execute();
      await db.schema.createIndex('import_run_source').on('import_run').columns(['source', 'id']).execute();
      await db.schema.createIndex('import_run_target').on('import_run').columns(['target', 'id']).execute();

      // The unique key includes the source: secdb and aports may both list a fix, and each
      // import replaces only its own rows.
      await withId(db.schema.createTable('secfix'))
        .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repository.id').onDelete('cascade'))
        .addColumn('package', text, (c) => c.notNull())
        .addColumn('version', text, (c) => c.notNull())
        .addColumn('vulnerability_id', text, (c) => c.notNull())
        .addColumn('note', text)
        .addColumn('source', text, (c) => c.notNull())
        .addColumn('import_run_id', 'bigint', (c) => c.references('import_run.id').onDelete('set null'))
        .addUniqueConstraint('secfix_key', ['repository_id', 'package', 'version', 'vulnerability_id', 'source'])
        .addCheckConstraint('secfix_source', oneOf('source', SECFIX_SOURCES))
        .execute();
      await db.schema.createIndex('secfix_vulnerability').on('secfix').column('vulnerability_id').execute();

      await withId(db.schema.createTable('rejection'))
        .addColumn('package', text, (c) => c.notNull())
        .addColumn('vulnerability_id', text, (c) => c.notNull())
        .addColumn('branches', text)
        .addColumn('justification', text)
        .addColumn('rationale', text)
        .addColumn('author', text)
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('source', text, (c) => c.notNull())
        .addUniqueConstraint('rejection_key', ['package', 'vulnerability_id', 'source'])
        .addCheckConstraint('rejection_justification', oneOf('justification', VEX_JUSTIFICATIONS, true))
        .execute();
      await db.schema.createIndex('rejection_source').on('rejection').column('source').execute();

      await db.schema
        .createTable('state')
        .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repository.id').onDelete('cascade'))
        .addColumn('package', text, (c) => c.notNull())
        .addColumn('vulnerability_id', text, (c) => c.notNull())
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('version', text)
        .addColumn('fixed_version', text)
        .addColumn('evidence', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('state_pk', ['repository_id', 'package', 'vulnerability_id'])
        .addCheckConstraint('state_name', oneOf('state', STATES))
        .execute();
      await db.schema.createIndex('state_vulnerability').on('state').column('vulnerability_id').execute();
      await db.schema.createIndex('state_state').on('state').column('state').execute();

      await withId(db.schema.createTable('state_history'))
        .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repository.id').onDelete('cascade'))
        .addColumn('package', text, (c) => c.notNull())
        .addColumn('vulnerability_id', text, (c) => c.notNull())
        .addColumn('old_state', text)
        .addColumn('new_state', text)
        .addColumn('changed_at', text, (c) => c.notNull())
        .addColumn('cause', text, (c) => c.notNull())
        .addCheckConstraint('state_history_old', oneOf('old_state', STATES, true))
        .addCheckConstraint('state_history_new', oneOf('new_state', STATES, true))
        .execute();
      await db.schema
        .createIndex('state_history_pair')
        .on('state_history')
        .columns(['repository_id', 'package', 'vulnerability_id'])
        .execute();
      await db.schema.createIndex('state_history_changed_at').on('state_history').column('changed_at').execute();

      await db.schema
        .createTable('dirty')
        .addColumn('kind', text, (c) => c.notNull())
        .addColumn('key', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('dirty_pk', ['kind', 'key'])
        .addCheckConstraint('dirty_kind', oneOf('kind', DIRTY_KINDS))
        .execute();
    },
  };
}
