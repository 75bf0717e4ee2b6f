import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type Store, openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';

/** Every backend the store and engine tests must pass on; use with `describe.each(backends)`. */
export const backends = ['sqlite', 'postgres'] as const;
export type Backend = (typeof backends)[number];

/** The PostgreSQL server's maintenance database, from which each test database is created. */
const POSTGRES_ADMIN_URL = process.env['SECFIX_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore extends Store {
  /** The database's URL, to open more stores on the same database. */
  readonly url: string;
  /** Empties every table, keeping the schema: much cheaper than a new database per test. */
  reset(): Promise<void>;
  /** Closes the store and deletes the database. */
  dispose(): Promise<void>;
}

export interface TestStoreOptions {
  /** Bring the schema up to date first (the default); false leaves an empty database. */
  readonly migrate?: boolean;
}

/**
 * A fresh, private database: an SQLite file in a new temporary folder, or a new PostgreSQL
 * database on the local server. A missing PostgreSQL server is an error, never a skip.
 */
export async function openTestStore(backend: Backend, options: TestStoreOptions = {}): Promise<TestStore> {
  const { url, drop } = backend === 'sqlite' ? await createSqliteDatabase() : await createPostgresDatabase();
  let store: Store;
  try {
    store = await openDatabase(url);
    if (options.migrate ?? true) await migrateToLatest(store);
  } catch (error) {
    await drop();
    throw error;
  }
  return {
    ...store,
    url,
    reset: () => emptyTables(store),
    async dispose() {
      await store.close();
      await drop();
    },
  };
}

/**
 * One migrated store for the calling `describe` block, emptied before each test. Returns a getter
 * because the store opens in `beforeAll`, after the block's body has run. If the database cannot
 * be opened, every test of the block fails with the reason (vitest would otherwise skip them).
 */
export function useTestStore(backend: Backend): () => TestStore {
  let store: TestStore | undefined;
  let openFailure: Error | undefined;
  beforeAll(async () => {
    try {
      store = await openTestStore(backend);
    } catch (error) {
      openFailure = error instanceof Error ? error : new Error(String(error));
    }
  });
  afterAll(async () => {
    await store?.dispose();
  });
  beforeEach(async () => {
    if (openFailure !== undefined) throw openFailure;
    await store?.reset();
  });
  return () => {
    if (store === undefined) throw new Error('the test store is used outside a test');
    return store;
  };
}

async function emptyTables(store: Store): Promise<void> {
  // DELETE rather than TRUNCATE: on tables this small it is many times faster on PostgreSQL.
  // Every foreign key cascades or nulls, so the order does not matter. `data_version` keeps the
  // one row every database has (its count just goes on).
  for (const table of await store.db.introspection.getTables()) {
    if (table.name !== 'data_version') await sql`delete from ${sql.table(table.name)}`.execute(store.db);
  }
}

interface CreatedDatabase {
  readonly url: string;
  readonly drop: () => Promise<void>;
}

async function createSqliteDatabase(): Promise<CreatedDatabase> {
  // A file rather than :memory:, so a second connection can open the same database.
  const folder = await mkdtemp(join(tmpdir(), 'secfix-test-'));
  return {
    url: `sqlite:${join(folder, 'secfix.db')}`,
    drop: () => rm(folder, { recursive: true, force: true }),
  };
}

async function createPostgresDatabase(): Promise<CreatedDatabase> {
  const name = `secfix_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await runAdminStatement(`create database ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // FORCE ends connections a failed test left open.
    drop: () => runAdminStatement(`drop database if exists ${name} with (force)`),
  };
}

async function runAdminStatement(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  try {
    await client.connect();
  } catch (error) {
    const server = new URL(POSTGRES_ADMIN_URL);
    throw new Error(
      `PostgreSQL is not reachable at ${server.host}${server.pathname} (${(error as Error).message}); ` +
        'the store tests need it: start it (pg_ctlcluster 15 main start) or set SECFIX_TEST_POSTGRES_URL',
      { cause: error },
    );
  }
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
