import { type ColumnDefinitionBuilder, type Kysely, type Migration, sql } from 'kysely';
import type { StoreDialect } from '../database.js';

// Frozen with the migration, like 0004's value lists.
const KEY_TYPES = ['hmac-sha256', 'ed25519'];
const SUGGESTION_STATES = ['open', 'accepted', 'dismissed', 'withdrawn'];
const OUTBOX_STATES = ['pending', 'sent', 'failed'];
const REPLIES = ['Accept', 'Reject'];

/** A check that `column` holds one of `values`. */
const oneOf = (column: string, values: readonly string[]) => sql`${sql.ref(column)} in (${sql.join(values.map((value) => sql.lit(value)))})`;

/**
 * Exchange between trackers over Linked Data Notifications: the peers this tracker trusts (with
 * the key their requests are signed with), the signatures already seen (replay refusal), the
 * notifications received, the suggestions they make (never applied by themselves), and the
 * outbox of notifications to send, kept until delivered so a restart loses none.
 */
export function exchangeMigration(dialect: StoreDialect): Migration {
  const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';
  const idType = dialect === 'sqlite' ? ('integer' as const) : ('bigint' as const);
  const identity = (column: ColumnDefinitionBuilder) => (dialect === 'sqlite' ? column.primaryKey().autoIncrement() : column.primaryKey().generatedByDefaultAsIdentity());
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('exchange_peer')
        .addColumn('origin', text, (c) => c.primaryKey())
        .addColumn('inbox_url', text, (c) => c.notNull())
        .addColumn('key_type', text, (c) => c.notNull())
        // The shared secret (base64) of an hmac-sha256 peer, or the PEM public key of an ed25519 peer.
        .addColumn('key', text, (c) => c.notNull())
        .addColumn('added_at', text, (c) => c.notNull())
        .addCheckConstraint('exchange_peer_key_type', oneOf('key_type', KEY_TYPES))
        .execute();

      await db.schema
        .createTable('exchange_nonce')
        .addColumn('peer_origin', text, (c) => c.notNull())
        .addColumn('nonce', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('exchange_nonce_key', ['peer_origin', 'nonce'])
        .execute();
      await db.schema.createIndex('exchange_nonce_created').on('exchange_nonce').column('created_at').execute();

      await db.schema
        .createTable('inbox_notification')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('peer_origin', text, (c) => c.notNull())
        .addColumn('activity_id', text)
        .addColumn('activity_type', text)
        .addColumn('received_at', text, (c) => c.notNull())
        // The body exactly as received (JSON-LD text).
        .addColumn('body', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('inbox_notification_received').on('inbox_notification').columns(['received_at', 'id']).execute();

      await db.schema
        .createTable('exchange_suggestion')
        .addColumn('id', idType, identity)
        .addColumn('notification_id', text, (c) => c.notNull())
        .addColumn('peer_origin', text, (c) => c.notNull())
        .addColumn('activity_id', text, (c) => c.notNull())
        .addColumn('package', text, (c) => c.notNull())
        .addColumn('vulnerability_id', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('justification', text)
        .addColumn('version', text)
        .addColumn('note', text)
        .addColumn('received_at', text, (c) => c.notNull())
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('decided_at', text)
        .addColumn('decided_by', text)
        .addColumn('triage_event_id', 'bigint')
        .addCheckConstraint('exchange_suggestion_state', oneOf('state', SUGGESTION_STATES))
        .execute();
      await db.schema.createIndex('exchange_suggestion_activity').on('exchange_suggestion').columns(['peer_origin', 'activity_id']).execute();
      await db.schema.createIndex('exchange_suggestion_state').on('exchange_suggestion').columns(['state', 'id']).execute();

      await db.schema
        .createTable('outbox_entry')
        .addColumn('id', idType, identity)
        .addColumn('peer_origin', text, (c) => c.notNull())
        // What to send: the triage event (an Announce or Undo), or an answer to the peer's activity.
        .addColumn('triage_event_id', 'bigint')
        .addColumn('reply', text)
        .addColumn('in_reply_to', text)
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', text, (c) => c.notNull())
        .addColumn('last_attempt_at', text)
        // The receiver's HTTP status, or null when it could not be reached.
        .addColumn('last_status', 'integer')
        .addColumn('last_result', text)
        .addColumn('location', text)
        // The peer's answer (Accept or Reject) to what was sent, once it comes.
        .addColumn('answer', text)
        .addCheckConstraint('outbox_entry_state', oneOf('state', OUTBOX_STATES))
        .addCheckConstraint('outbox_entry_reply', sql`reply is null or ${oneOf('reply', REPLIES)}`)
        .addCheckConstraint('outbox_entry_answer', sql`answer is null or ${oneOf('answer', REPLIES)}`)
        .addCheckConstraint('outbox_entry_what', sql`(triage_event_id is null) <> (reply is null) and (reply is null) = (in_reply_to is null)`)
        .execute();
      await db.schema.createIndex('outbox_entry_due').on('outbox_entry').columns(['state', 'next_attempt_at', 'id']).execute();
    },
  };
}
