import type { Kysely, Selectable } from 'kysely';
import { anyJson, jsonText, readJsonColumn, recordOf, stringsShape } from '../json-column.js';
import type { AuditEventTable, IsoTime, Schema, TokenRole } from '../schema.js';

/*
 * Sessions, sign-ins under way, API tokens and the audit log. Secrets never reach the store:
 * callers pass the hash of a session id or token and look rows up by it.
 */

interface NewSession {
  readonly idHash: string;
  readonly email: string;
  readonly groups: readonly string[];
  readonly createdAt: IsoTime;
  readonly expiresAt: IsoTime;
}

interface LiveSession {
  readonly email: string;
  readonly groups: readonly string[];
  readonly expiresAt: IsoTime;
}

export async function createSession(db: Kysely<Schema>, session: NewSession): Promise<void> {
  await db
    .insertInto('auth_session')
    .values({
      id_hash: session.idHash,
      email: session.email,
      groups: jsonText(session.groups),
      created_at: session.createdAt,
      expires_at: session.expiresAt,
      revoked_at: null,
    })
    .execute();
}

/** The session with this id hash if it is neither revoked nor expired at `now`; else undefined. */
export async function findLiveSession(db: Kysely<Schema>, idHash: string, now: IsoTime): Promise<LiveSession | undefined> {
  const row = await db
    .selectFrom('auth_session')
    .select(['email', 'groups', 'expires_at'])
    .where('id_hash', '=', idHash)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row === undefined ? undefined : { email: row.email, groups: readJsonColumn(row.groups, stringsShape, 'auth_session.groups'), expiresAt: row.expires_at };
}

/** Ends a session (logout, or a new sign-in in the same browser); a revoked one stays revoked. */
export async function revokeSession(db: Kysely<Schema>, idHash: string, at: IsoTime): Promise<void> {
  await db.updateTable('auth_session').set({ revoked_at: at }).where('id_hash', '=', idHash).where('revoked_at', 'is', null).execute();
}

interface LoginAttempt {
  readonly codeVerifier: string;
  readonly nonce: string;
  readonly returnTo: string;
}

/** Keeps what the callback of a sign-in must check, until `expiresAt`; sign-ins left unfinished and expired are removed meanwhile. */
export async function saveLoginAttempt(db: Kysely<Schema>, stateHash: string, attempt: LoginAttempt, now: IsoTime, expiresAt: IsoTime): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('auth_login').where('expires_at', '<=', now).execute();
    await trx
      .insertInto('auth_login')
      .values({ state_hash: stateHash, code_verifier: attempt.codeVerifier, nonce: attempt.nonce, return_to: attempt.returnTo, expires_at: expiresAt })
      .execute();
  });
}

/** Takes a sign-in under way out of the store (so a callback works once), if it exists and has not expired at `now`. */
export async function takeLoginAttempt(db: Kysely<Schema>, stateHash: string, now: IsoTime): Promise<LoginAttempt | undefined> {
  const row = await db.deleteFrom('auth_login').where('state_hash', '=', stateHash).returning(['code_verifier', 'nonce', 'return_to', 'expires_at']).executeTakeFirst();
  if (row === undefined || row.expires_at <= now) return undefined;
  return { codeVerifier: row.code_verifier, nonce: row.nonce, returnTo: row.return_to };
}

export interface ApiToken {
  readonly name: string;
  readonly role: TokenRole;
  readonly email: string | null;
  readonly createdAt: IsoTime;
  readonly revokedAt: IsoTime | null;
}

/** Thrown when a token name is taken: names identify tokens in `token revoke` and the audit log. */
class TokenNameTakenError extends Error {
  constructor(readonly tokenName: string) {
    super(`a token named "${tokenName}" exists already (revoked tokens keep their names)`);
    this.name = 'TokenNameTakenError';
  }
}

export async function createApiToken(db: Kysely<Schema>, token: Omit<ApiToken, 'revokedAt'> & { readonly tokenHash: string }): Promise<void> {
  const taken = await db.selectFrom('api_token').select('name').where('name', '=', token.name).executeTakeFirst();
  if (taken !== undefined) throw new TokenNameTakenError(token.name);
  await db
    .insertInto('api_token')
    .values({ name: token.name, role: token.role, email: token.email, token_hash: token.tokenHash, created_at: token.createdAt, revoked_at: null })
    .execute();
}

/** Every token, revoked ones included, by name. */
export async function listApiTokens(db: Kysely<Schema>): Promise<ApiToken[]> {
  const rows = await db.selectFrom('api_token').select(['name', 'role', 'email', 'created_at', 'revoked_at']).orderBy('name').execute();
  return rows.map((row) => ({ name: row.name, role: row.role, email: row.email, createdAt: row.created_at, revokedAt: row.revoked_at }));
}

/** Revokes a live token; false when no live token has that name. */
export async function revokeApiToken(db: Kysely<Schema>, name: string, at: IsoTime): Promise<boolean> {
  const result = await db.updateTable('api_token').set({ revoked_at: at }).where('name', '=', name).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The live (not revoked) token with this hash. */
export async function findLiveApiToken(db: Kysely<Schema>, tokenHash: string): Promise<ApiToken | undefined> {
  const row = await db
    .selectFrom('api_token')
    .select(['name', 'role', 'email', 'created_at', 'revoked_at'])
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row === undefined ? undefined : { name: row.name, role: row.role, email: row.email, createdAt: row.created_at, revokedAt: row.revoked_at };
}

interface AuditEvent {
  readonly at: IsoTime;
  /** Who: an e-mail address, `token:NAME`, or `cli` for the command line. */
  readonly actor: string;
  /** What, e.g. `token.create`, `token.revoke`, `triage.record`. */
  readonly action: string;
  /** To what, e.g. `token:ci`. */
  readonly subject: string;
  readonly detail: Readonly<Record<string, unknown>> | null;
  /** The pair a triage row is about, for the log's package and vulnerability filters; absent for other rows. */
  readonly pair?: { readonly package: string; readonly vulnerabilityId: string };
}

/** One row of the audit log as stored. */
export interface StoredAuditEvent extends Omit<AuditEvent, 'pair'> {
  readonly id: number;
  readonly package: string | null;
  readonly vulnerabilityId: string | null;
}

/** Appends to the audit log; nothing updates or deletes it. */
export async function appendAuditEvent(db: Kysely<Schema>, event: AuditEvent): Promise<void> {
  await db
    .insertInto('audit_event')
    .values({
      at: event.at,
      actor: event.actor,
      action: event.action,
      subject: event.subject,
      detail: event.detail === null ? null : jsonText(event.detail),
      package: event.pair?.package ?? null,
      vulnerability_id: event.pair?.vulnerabilityId ?? null,
    })
    .execute();
}

/** Which rows of the audit log to read; each given filter must hold. */
export interface AuditFilter {
  readonly subject?: string | undefined;
  readonly actor?: string | undefined;
  readonly package?: string | undefined;
  readonly vulnerabilityId?: string | undefined;
}

function storedAuditEvent(row: Selectable<AuditEventTable>): StoredAuditEvent {
  return {
    id: Number(row.id),
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    detail: row.detail === null ? null : readJsonColumn(row.detail, recordOf(anyJson), 'audit_event.detail'),
    package: row.package,
    vulnerabilityId: row.vulnerability_id,
  };
}

function auditQuery(db: Kysely<Schema>, filter: AuditFilter) {
  let query = db.selectFrom('audit_event').selectAll();
  if (filter.subject !== undefined) query = query.where('subject', '=', filter.subject);
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.package !== undefined) query = query.where('package', '=', filter.package);
  if (filter.vulnerabilityId !== undefined) query = query.where('vulnerability_id', '=', filter.vulnerabilityId);
  return query;
}

/**
 * The newest `limit` rows matching `filter` older than row `before` (when given), newest first:
 * read backwards along an index ending in `id`, so a page costs the same at any depth.
 */
export async function listAuditEventsBefore(db: Kysely<Schema>, filter: AuditFilter, before: number | undefined, limit: number): Promise<StoredAuditEvent[]> {
  let query = auditQuery(db, filter);
  if (before !== undefined) query = query.where('id', '<', before);
  return (await query.orderBy('id', 'desc').limit(limit).execute()).map(storedAuditEvent);
}
