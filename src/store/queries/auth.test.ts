import { describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import { indexedOrigin } from '../test-support/records.js';
import {
  appendAuditEvent,
  createApiToken,
  createSession,
  findLiveApiToken,
  findLiveSession,
  listApiTokens,
  revokeApiToken,
  revokeSession,
  saveLoginAttempt,
  takeLoginAttempt,
} from './auth.js';
import { ensureBranch, ensureRepository } from './branches.js';
import { replaceIndexSnapshot } from './packages.js';
import { listMaintainersOfPackages } from './triage.js';
import { listAuditEvents } from '../test-support/history.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T01:00:00.000Z';
const T2 = '2026-01-01T02:00:00.000Z';

describe.each(backends)('%s sessions, tokens and audit log', (backend) => {
  const store = useTestStore(backend);

  it('finds a session by its hash until it expires or is revoked', async () => {
    const { db } = store();
    await createSession(db, { idHash: 'h1', email: 'jane@example.org', groups: ['alpine/security'], createdAt: T0, expiresAt: T2 });
    expect(await findLiveSession(db, 'h1', T1)).toEqual({ email: 'jane@example.org', groups: ['alpine/security'], expiresAt: T2 });
    expect(await findLiveSession(db, 'h1', T2)).toBeUndefined();
    expect(await findLiveSession(db, 'other', T1)).toBeUndefined();
    await revokeSession(db, 'h1', T1);
    expect(await findLiveSession(db, 'h1', T0)).toBeUndefined();
  });

  it('hands a sign-in under way to one callback only, and not after it expired', async () => {
    const { db } = store();
    const attempt = { codeVerifier: 'v', nonce: 'n', returnTo: '/cve/CVE-2024-1' };
    await saveLoginAttempt(db, 's1', attempt, T0, T1);
    expect(await takeLoginAttempt(db, 's1', T0)).toEqual(attempt);
    expect(await takeLoginAttempt(db, 's1', T0)).toBeUndefined();
    await saveLoginAttempt(db, 's2', attempt, T0, T1);
    expect(await takeLoginAttempt(db, 's2', T2)).toBeUndefined();
    // An expired attempt left behind is removed by the next sign-in.
    await saveLoginAttempt(db, 's3', attempt, T0, T1);
    await saveLoginAttempt(db, 's4', attempt, T2, '2026-01-01T03:00:00.000Z');
    expect(await db.selectFrom('auth_login').select('state_hash').execute()).toEqual([{ state_hash: 's4' }]);
  });

  it('keeps tokens by hash, refuses a taken name, and stops finding a revoked one', async () => {
    const { db } = store();
    await createApiToken(db, { name: 'ci', role: 'security-team', email: null, tokenHash: 'th1', createdAt: T0 });
    await createApiToken(db, { name: 'bot', role: 'maintainer', email: 'jane@example.org', tokenHash: 'th2', createdAt: T0 });
    await expect(createApiToken(db, { name: 'ci', role: 'admin', email: null, tokenHash: 'th3', createdAt: T1 })).rejects.toMatchObject({ name: 'TokenNameTakenError' });
    expect(await findLiveApiToken(db, 'th1')).toEqual({ name: 'ci', role: 'security-team', email: null, createdAt: T0, revokedAt: null });
    expect(await revokeApiToken(db, 'ci', T1)).toBe(true);
    expect(await revokeApiToken(db, 'ci', T2)).toBe(false);
    expect(await revokeApiToken(db, 'nobody', T2)).toBe(false);
    expect(await findLiveApiToken(db, 'th1')).toBeUndefined();
    expect(await listApiTokens(db)).toEqual([
      { name: 'bot', role: 'maintainer', email: 'jane@example.org', createdAt: T0, revokedAt: null },
      { name: 'ci', role: 'security-team', email: null, createdAt: T0, revokedAt: T1 },
    ]);
  });

  it('refuses a role outside the vocabulary', async () => {
    const { db } = store();
    await expect(
      db.insertInto('api_token').values({ name: 'x', role: 'root' as 'admin', email: null, token_hash: 'h', created_at: T0, revoked_at: null }).execute(),
    ).rejects.toThrow(/api_token_role|check constraint/i);
  });

  it('appends audit events and lists them oldest first, by subject or actor', async () => {
    const { db } = store();
    await appendAuditEvent(db, { at: T0, actor: 'cli', action: 'token.create', subject: 'token:ci', detail: { role: 'admin' } });
    await appendAuditEvent(db, { at: T1, actor: 'cli', action: 'token.revoke', subject: 'token:ci', detail: null });
    await appendAuditEvent(db, { at: T2, actor: 'jane@example.org', action: 'triage.record', subject: 'curl:CVE-2024-1', detail: { status: 'affected' } });
    const all = await listAuditEvents(db);
    expect(all.map((event) => event.action)).toEqual(['token.create', 'token.revoke', 'triage.record']);
    expect(all[0]).toMatchObject({ at: T0, actor: 'cli', subject: 'token:ci', detail: { role: 'admin' } });
    expect((await listAuditEvents(db, { subject: 'token:ci' })).map((event) => event.action)).toEqual(['token.create', 'token.revoke']);
    expect((await listAuditEvents(db, { actor: 'jane@example.org' })).map((event) => event.subject)).toEqual(['curl:CVE-2024-1']);
  });

  it("lists a package's maintainers over every branch, null where the index names none", async () => {
    const { db } = store();
    const edge = await ensureRepository(db, await ensureBranch(db, 'edge'), 'main');
    const old = await ensureRepository(db, await ensureBranch(db, '3.20'), 'main');
    await replaceIndexSnapshot(db, { repositoryId: edge, arch: 'x86_64', at: T0, packages: [indexedOrigin('curl', '8.4.0-r0', { maintainer: 'Jane Doe <jane@example.org>' })] });
    await replaceIndexSnapshot(db, { repositoryId: old, arch: 'x86_64', at: T0, packages: [indexedOrigin('curl', '8.0.0-r0'), indexedOrigin('zlib', '1.3-r0', { maintainer: 'Max <max@example.org>' })] });
    const maintainers = await listMaintainersOfPackages(db, ['curl', 'nothing']);
    expect(maintainers.get('curl')?.sort()).toEqual(['Jane Doe <jane@example.org>', null].sort());
    expect(maintainers.has('nothing')).toBe(false);
  });
});
