import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestStore, backends, openTestStore, useTestStore } from '../test-support/databases.js';
import { parseDatabaseUrl, resolveDatabaseUrl } from './database-url.js';
import { type Store, openDatabase, withWriteLock } from './database.js';
import { migrateToLatest } from './migrate.js';
import { ensureBranch, listBranches } from './queries/branches.js';

describe('resolveDatabaseUrl', () => {
  it('prefers the --db flag, then SECFIX_DB, then the default file', () => {
    expect(resolveDatabaseUrl('sqlite:a.db', { SECFIX_DB: 'sqlite:b.db' })).toBe('sqlite:a.db');
    expect(resolveDatabaseUrl(undefined, { SECFIX_DB: 'sqlite:b.db' })).toBe('sqlite:b.db');
    // The README's default: secfix.db in the working directory.
    expect(resolveDatabaseUrl(undefined, {})).toBe('sqlite:./secfix.db');
    expect(resolveDatabaseUrl('', { SECFIX_DB: '' })).toBe('sqlite:./secfix.db');
  });
});

describe('parseDatabaseUrl', () => {
  it('reads SQLite paths, memory and PostgreSQL URLs', () => {
    expect(parseDatabaseUrl('sqlite:./secfix.db')).toEqual({ dialect: 'sqlite', path: './secfix.db' });
    expect(parseDatabaseUrl('sqlite:/var/lib/secfix.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/secfix.db' });
    expect(parseDatabaseUrl('sqlite:///var/lib/secfix.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/secfix.db' });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseDatabaseUrl('postgres://u@h/db')).toEqual({ dialect: 'postgres', connectionString: 'postgres://u@h/db' });
    expect(parseDatabaseUrl('postgresql://u@h/db').dialect).toBe('postgres');
  });

  it('rejects other schemes without echoing the rest of the URL', () => {
    expect(() => parseDatabaseUrl('mysql://root:hunter2@db/x')).toThrow(expect.objectContaining({ name: 'DatabaseUrlError' }));
    expect(() => parseDatabaseUrl('mysql://root:hunter2@db/x')).toThrow(/unsupported scheme "mysql:"/);
    expect(() => parseDatabaseUrl('mysql://root:hunter2@db/x')).not.toThrow(/hunter2/);
    expect(() => parseDatabaseUrl('./secfix.db')).toThrow(/has no scheme; use sqlite:PATH/);
    expect(() => parseDatabaseUrl('sqlite:')).toThrow(expect.objectContaining({ name: 'DatabaseUrlError' }));
  });
});

describe('openDatabase', () => {
  it('rejects an unknown scheme with DatabaseUrlError', async () => {
    await expect(openDatabase('mongodb://x')).rejects.toMatchObject({ name: 'DatabaseUrlError' });
  });

  it('opens an in-memory SQLite database', async () => {
    const store = await openDatabase('sqlite::memory:');
    try {
      expect(store.dialect).toBe('sqlite');
      expect(await migrateToLatest(store)).toEqual(['0001-initial', '0002-data-version', '0003-reference-list', '0004-triage', '0005-auth', '0006-search-summary', '0007-cve5-affected', '0009-exchange', '0012-audit-pairs', '0013-package-page-indexes', '0014-triage-queue-indexes', '0015-vulnerability-published-index', '0016-description-words', '0017-vulnerability-published-postgres', '0018-maintainer-work-indexes']);
    } finally {
      await store.close();
    }
  });

  it('names the server, not the password, when PostgreSQL cannot be reached', async () => {
    const failure = openDatabase('postgres://someone:secret@127.0.0.1:1/nothing');
    await expect(failure).rejects.toThrow(/cannot connect to PostgreSQL at 127\.0\.0\.1:1\/nothing/);
    await expect(failure).rejects.not.toThrow(/secret/);
  });
});

describe('SQLite connection settings', () => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore('sqlite');
  });
  afterEach(async () => {
    await store.dispose();
  });

  it('uses WAL, NORMAL sync, foreign keys, a busy timeout, a 32 MiB page cache and temporary files in memory', async () => {
    const pragma = async (name: string) =>
      Object.values((await sql.raw(`pragma ${name}`).execute(store.db)).rows[0] as object)[0] as unknown;
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('synchronous')).toBe(1);
    expect(await pragma('foreign_keys')).toBe(1);
    expect(await pragma('busy_timeout')).toBeGreaterThan(0);
    expect(await pragma('cache_size')).toBe(-32_768);
    expect(await pragma('temp_store')).toBe(2);
  });
});

describe('PostgreSQL connection settings', () => {
  const store = useTestStore('postgres');

  it('runs queries without JIT compilation or parallel workers', async () => {
    const { rows } = await sql<{ jit: string }>`show jit`.execute(store().db);
    expect(rows[0]?.jit).toBe('off');
    const workers = await sql<{ max_parallel_workers_per_gather: string }>`show max_parallel_workers_per_gather`.execute(store().db);
    expect(workers.rows[0]?.max_parallel_workers_per_gather).toBe('0');
  });
});

describe.each(backends)('%s store', (backend) => {
  const testStore = useTestStore(backend);
  let store: TestStore;
  beforeEach(() => {
    store = testStore();
  });

  it('returns counts and ids as numbers', async () => {
    const id = await ensureBranch(store.db, 'edge');
    const { count } = await store.db
      .selectFrom('branch')
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow();
    expect(count).toBe(1);
    expect(typeof id).toBe('number');
  });

  it('enforces foreign keys', async () => {
    await expect(store.db.insertInto('repository').values({ branch_id: 999, name: 'main' }).execute()).rejects.toThrow();
  });

  it('rolls a failed write-locked transaction back and releases the lock', async () => {
    await expect(
      withWriteLock(store, async (db) => {
        await ensureBranch(db, '3.16');
        throw new Error('import failed');
      }),
    ).rejects.toThrow('import failed');
    expect(await listBranches(store.db)).toEqual([]);
    await withWriteLock(store, (db) => ensureBranch(db, '3.17'));
    expect((await listBranches(store.db)).map((branch) => branch.name)).toEqual(['3.17']);
  });

  it('serializes write-locked transactions from two connections', async () => {
    const other = await openDatabase(store.url);
    try {
      // Each writer reads, waits, then writes what it read: interleaving would lose a write. The
      // log of entries and exits shows the overlap directly, with no clock.
      const log: string[] = [];
      const writer = (writerStore: Store) =>
        withWriteLock(writerStore, async (db) => {
          log.push('enter');
          const branches = await db.selectFrom('branch').select('id').execute();
          await new Promise((resolve) => setTimeout(resolve, 150));
          await ensureBranch(db, `b${branches.length}`);
          log.push('exit');
        });
      await Promise.all([writer(store), writer(other), writer(store), writer(other)]);

      expect((await listBranches(store.db)).map((branch) => branch.name)).toEqual(['b0', 'b1', 'b2', 'b3']);
      expect(log).toEqual(Array.from({ length: 4 }, () => ['enter', 'exit']).flat());
    } finally {
      await other.close();
    }
  });
});
