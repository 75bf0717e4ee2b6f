import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { type Store, openDatabase } from '../store/database.js';
import { postgresDatabaseUrl, runAdminStatement } from './postgres-admin.js';

/** Every backend the store and engine tests must pass on; use with `describe.each(backends)`. */
export const backends = ['sqlite', 'postgres'] as const;
export type Backend = (typeof backends)[number];

export interface TestStore extends Store {
  /** The database's URL, to open more stores on the same database. */
  readonly url: string;
  /** Empties every table, keeping the schema: much cheaper than a new database per test. */
  reset(): Promise<void>;
  /** Closes the store and deletes the database (a PostgreSQL one at the end of the run). */
  dispose(): Promise<void>;
}

/** What a test database holds when it opens: nothing, the current schema, or the demo data too. */
export type TestStoreContents = 'empty' | 'schema' | 'demo';

export interface TestStoreOptions {
  /** `schema` unless told; `demo` is a copy of the bundled demo data the run loaded once. */
  readonly contents?: TestStoreContents;
}

/**
 * A fresh, private database: an SQLite file in a new temporary folder, or a new PostgreSQL
 * database on the local server, each a copy of what the run's global setup built. A missing PostgreSQL server is an error, never a skip.
 */
export async function openTestStore(backend: Backend, options: TestStoreOptions = {}): Promise<TestStore> {
  const contents = options.contents ?? 'schema';
  const { url, drop } = backend === 'sqlite' ? await createSqliteDatabase(contents) : await createPostgresDatabase(contents);
  let store: Store;
  try {
    store = await openDatabase(url);
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
  // SQLite's full-text tables are emptied by their own command, and their shadow tables with them.
  const virtual =
    store.dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and sql like 'create virtual table%'`.execute(store.db)).rows.map((row) => row.name)
      : [];
  for (const table of await store.db.introspection.getTables()) {
    if (table.name === 'data_version' || virtual.some((name) => table.name === name || table.name.startsWith(`${name}_`))) continue;
    await sql`delete from ${sql.table(table.name)}`.execute(store.db);
  }
  // Last: the triggers of the tables above may have left rows whose key row was deleted first.
  for (const name of virtual) await sql`insert into ${sql.table(name)} (${sql.ref(name)}) values ('delete-all')`.execute(store.db);
}

interface CreatedDatabase {
  readonly url: string;
  readonly drop: () => Promise<void>;
}

async function createSqliteDatabase(contents: TestStoreContents): Promise<CreatedDatabase> {
  // A file rather than :memory:, so a second connection can open the same database.
  const folder = await mkdtemp(join(tmpdir(), 'secfix-test-'));
  const file = join(folder, 'secfix.db');
  if (contents !== 'empty') await copyFile(inject(contents === 'demo' ? 'sqliteDemoFile' : 'sqliteSchemaFile'), file);
  return {
    url: `sqlite:${file}`,
    drop: () => rm(folder, { recursive: true, force: true }),
  };
}

async function createPostgresDatabase(contents: TestStoreContents): Promise<CreatedDatabase> {
  const name = `${inject('postgresRunPrefix')}${randomBytes(6).toString('hex')}`;
  const template = { empty: '', schema: ` template ${inject('postgresSchemaTemplate')}`, demo: ` template ${inject('postgresDemoTemplate')}` }[contents];
  await runAdminStatement(`create database ${name}${template}`);
  // The drop waits for the run's teardown (global-setup.ts), which drops every database of the
  // run side by side; here each drop would wait for a checkpoint of its own.
  return { url: postgresDatabaseUrl(name), drop: () => Promise.resolve() };
}
