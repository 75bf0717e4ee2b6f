import { type Kysely, type Migration, sql } from 'kysely';
import type { StoreDialect } from '../database.js';

/** How 0005's triage rows name their pair, frozen with the migration. */
const TRIAGE_SUBJECT = /^triage:([^:]+):([^:]+)$/;

/**
 * The audit log's triage rows name their package and vulnerability in columns of their own, so
 * `/audit?package=` and `/audit?vuln=` read an index instead of every row's subject. Rows
 * written before are filled in from their subject.
 */
export function auditPairsMigration(dialect: StoreDialect): Migration {
  const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('audit_event').addColumn('package', text).execute();
      await db.schema.alterTable('audit_event').addColumn('vulnerability_id', text).execute();
      const rows = await sql<{ id: number | string; subject: string }>`select id, subject from audit_event where subject like 'triage:%'`.execute(db);
      for (const row of rows.rows) {
        const match = TRIAGE_SUBJECT.exec(row.subject);
        if (match === null) continue;
        await sql`update audit_event set package = ${match[1]}, vulnerability_id = ${match[2]} where id = ${row.id}`.execute(db);
      }
      await db.schema.createIndex('audit_event_package').on('audit_event').columns(['package', 'id']).execute();
      await db.schema.createIndex('audit_event_vulnerability').on('audit_event').columns(['vulnerability_id', 'id']).execute();
    },
  };
}
