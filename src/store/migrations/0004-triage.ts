import { type CreateTableBuilder, type Kysely, type Migration, sql } from 'kysely';
import type { StoreDialect } from '../database.js';

// Frozen with the migration, as in 0001: later vocabulary changes need a migration of their own.
const STATUSES = [
  'under-investigation',
  'affected',
  'not-affected',
  'fixed',
  'pending-upstream-fix',
  'fix-not-planned',
  'analysis-not-planned',
  'withdrawn',
];
const JUSTIFICATIONS = [
  'component-not-present',
  'vulnerable-code-not-present',
  'vulnerable-code-version-not-used',
  'vulnerable-code-not-in-execute-path',
  'vulnerable-code-cannot-be-controlled-by-adversary',
  'inline-mitigations-already-exist',
  'disputed',
];

const list = (values: readonly string[]) => sql.join(values.map((value) => sql.lit(value)));

/**
 * The triage log: one append-only row per human (or imported) decision about an origin package
 * and a vulnerability. Nothing updates or deletes a row; a `withdrawn` row undoes one.
 */
export function triageMigration(dialect: StoreDialect): Migration {
  const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';
  function withId<T extends string>(table: CreateTableBuilder<T>): CreateTableBuilder<T, 'id'> {
    return dialect === 'sqlite'
      ? table.addColumn('id', 'integer', (column) => column.primaryKey().autoIncrement())
      : table.addColumn('id', 'bigint', (column) => column.primaryKey().generatedByDefaultAsIdentity());
  }
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await withId(db.schema.createTable('triage_event'))
        .addColumn('package', text, (c) => c.notNull())
        .addColumn('vulnerability_id', text, (c) => c.notNull())
        // JSON array of branch names, sorted; null means every branch.
        .addColumn('branches', text)
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('justification', text)
        .addColumn('version', text)
        .addColumn('note', text)
        .addColumn('author', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        // JSON object: `branch/repo` -> digest of the computed state the event was made against.
        .addColumn('computed_digests', text, (c) => c.notNull().defaultTo('{}'))
        .addCheckConstraint('triage_event_status', sql`status in (${list(STATUSES)})`)
        .addCheckConstraint('triage_event_justification', sql`justification is null or justification in (${list(JUSTIFICATIONS)})`)
        .execute();
      await db.schema.createIndex('triage_event_pair').on('triage_event').columns(['package', 'vulnerability_id', 'id']).execute();
      await db.schema.createIndex('triage_event_vulnerability').on('triage_event').columns(['vulnerability_id', 'id']).execute();
      await db.schema.createIndex('triage_event_author').on('triage_event').columns(['author', 'id']).execute();
      await db.schema.createIndex('triage_event_created').on('triage_event').columns(['created_at', 'id']).execute();
    },
  };
}
