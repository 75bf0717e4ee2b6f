import { InputError } from '../base/input-error.js';
import { newSecret, secretHash } from '../base/secret.js';
import type { Kysely } from 'kysely';
import {
  type ApiToken,
  type Schema,
  type Store,
  type TokenRole,
  appendAuditEvent,
  carryPageSummaries,
  createApiToken,
  getDataVersion,
  listApiTokens,
  revokeApiToken,
  withWriteLock,
} from '../store/index.js';
import { EVERY_SUMMARY } from './summary-names.js';

/**
 * Token writes move the data version (the audit pages show them at once) but nothing a page
 * summary is built from: they carry every summary on, so the pages do not build them again.
 */
async function carrySummaries(db: Kysely<Schema>): Promise<void> {
  await carryPageSummaries(db, EVERY_SUMMARY, (await getDataVersion(db)).version);
}

/** Token names: what `token revoke` and the audit log call a token. */
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface NewToken {
  readonly name: string;
  readonly role: TokenRole;
  /** Whose packages a maintainer token acts on; optional for the other roles. */
  readonly email: string | null;
}

/**
 * Creates an API token and records it in the audit log, in one transaction, and returns the
 * token: the only time it is seen, since only its hash is stored.
 */
export async function createToken(store: Store, request: NewToken, actor: string): Promise<NewToken & { readonly token: string }> {
  if (!TOKEN_NAME.test(request.name)) throw new InputError('--name', undefined, `"${request.name}" is not a token name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  const email = request.email?.trim().toLowerCase() ?? null;
  if (email !== null && !/^[^@\s<>]+@[^@\s<>]+$/.test(email)) throw new InputError('--email', undefined, `"${request.email}" is not an e-mail address`);
  if (request.role === 'maintainer' && email === null) throw new InputError('--email', undefined, 'a maintainer token needs --email: it acts on the packages whose maintainer has that address');
  const token = `secfix_${newSecret()}`;
  const at = new Date().toISOString();
  // Under the writer lock, which moves the data version on: the audit pages show the new row at once.
  await withWriteLock(store, async (trx) => {
    await createApiToken(trx, { name: request.name, role: request.role, email, tokenHash: secretHash(token), createdAt: at });
    await appendAuditEvent(trx, { at, actor, action: 'token.create', subject: `token:${request.name}`, detail: { role: request.role, email } });
  }, { finally: carrySummaries });
  return { name: request.name, role: request.role, email, token };
}

/** Revokes a live token and records it; false (and nothing recorded) when there is none by that name. */
export async function revokeToken(store: Store, name: string, actor: string): Promise<boolean> {
  const at = new Date().toISOString();
  return withWriteLock(
    store,
    async (trx) => {
      if (!(await revokeApiToken(trx, name, at))) return false;
      await appendAuditEvent(trx, { at, actor, action: 'token.revoke', subject: `token:${name}`, detail: null });
      return true;
    },
    { changedData: (revoked) => revoked, finally: (db, revoked) => (revoked ? carrySummaries(db) : Promise.resolve()) },
  );
}

/** Every token, revoked ones too; listing is recorded like the other token actions. */
export async function listTokens(store: Store, actor: string): Promise<ApiToken[]> {
  const at = new Date().toISOString();
  return withWriteLock(store, async (trx) => {
    await appendAuditEvent(trx, { at, actor, action: 'token.list', subject: 'token:*', detail: null });
    return listApiTokens(trx);
  }, { finally: carrySummaries });
}
