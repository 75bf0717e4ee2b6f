import { type Kysely, type Migration, sql } from 'kysely';
import type { StoreDialect } from '../database.js';

// Frozen with the migration, like 0001's value lists.
const ROLES = ['maintainer', 'security-team', 'admin'];

/**
 * Sign-in and automation: server-side sessions (found by the hash of the cookie's secret, so a
 * copy of the database signs nobody in), sign-ins under way between `/login` and the provider's
 * callback, API tokens (hash only), and an append-only audit log of who did what.
 */
export function authMigration(dialect: StoreDialect): Migration {
  const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('auth_session')
        .addColumn('id_hash', text, (c) => c.primaryKey())
        .addColumn('email', text, (c) => c.notNull())
        .addColumn('groups', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('expires_at', text, (c) => c.notNull())
        .addColumn('revoked_at', text)
        .execute();
      await db.schema.createIndex('auth_session_email').on('auth_session').column('email').execute();

      await db.schema
        .createTable('auth_login')
        .addColumn('state_hash', text, (c) => c.primaryKey())
        .addColumn('code_verifier', text, (c) => c.notNull())
        .addColumn('nonce', text, (c) => c.notNull())
        .addColumn('return_to', text, (c) => c.notNull())
        .addColumn('expires_at', text, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_token')
        .addColumn('name', text, (c) => c.primaryKey())
        .addColumn('role', text, (c) => c.notNull())
        .addColumn('email', text)
        .addColumn('token_hash', text, (c) => c.notNull().unique())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('revoked_at', text)
        .addCheckConstraint('api_token_role', sql`role in (${sql.join(ROLES.map((role) => sql.lit(role)))})`)
        .execute();

      const id = dialect === 'sqlite' ? ('integer' as const) : ('bigint' as const);
      await db.schema
        .createTable('audit_event')
        .addColumn('id', id, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedByDefaultAsIdentity()))
        .addColumn('at', text, (c) => c.notNull())
        .addColumn('actor', text, (c) => c.notNull())
        .addColumn('action', text, (c) => c.notNull())
        .addColumn('subject', text, (c) => c.notNull())
        .addColumn('detail', text)
        .execute();
      await db.schema.createIndex('audit_event_subject').on('audit_event').columns(['subject', 'id']).execute();
      await db.schema.createIndex('audit_event_actor').on('audit_event').columns(['actor', 'id']).execute();
    },
  };
}
