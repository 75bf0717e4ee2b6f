import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase, sql } from 'kysely';
import type pg from 'pg';
import { inheritSqliteConnection, registerSqliteConnection } from './bulk-write.js';
import { parseDatabaseUrl } from './database-url.js';
import type { Schema } from './schema.js';

export type StoreDialect = 'sqlite' | 'postgres';

/** An open database: the typed query builder plus which dialect it speaks. */
export interface Store {
  readonly db: Kysely<Schema>;
  readonly dialect: StoreDialect;
  close(): Promise<void>;
}

/** Milliseconds a statement waits for another process's lock before failing with SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 10_000;
/** The SQLite page cache per connection, in KiB (32 MiB). */
const SQLITE_CACHE_KIB = 32_768;

const PG_INT8_OID = 20;
const PG_NUMERIC_OID = 1700;

// int8 (counts, ids) and numeric arrive as strings by default; secfix's values all fit a number.
// Per-pool parsers rather than pg.types.setTypeParser, which would change every pg user in the process.
function pgTypes(types: typeof pg.types): pg.CustomTypesConfig {
  const getTypeParser = (oid: number): ((value: string) => unknown) =>
    oid === PG_INT8_OID || oid === PG_NUMERIC_OID ? Number : (types.getTypeParser(oid) as (value: string) => unknown);
  return { getTypeParser };
}

interface OpenOptions {
  /**
   * Create the database when it does not exist (the default): an SQLite file, or a PostgreSQL
   * database created from the server's maintenance database. When false, a missing database is
   * a MissingDatabaseError, so a mistyped name is never a new empty database.
   */
  readonly create?: boolean;
}

/** The database a URL names does not exist, and the caller asked not to create it. */
export class MissingDatabaseError extends Error {
  override readonly name = 'MissingDatabaseError';
}

/** Opens the database a URL names, creating it unless told not to. Run `migrateToLatest` before use. */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Store> {
  const location = parseDatabaseUrl(url);
  const create = options.create ?? true;
  return location.dialect === 'sqlite' ? openSqlite(location.path, create) : openPostgres(location.connectionString, create);
}

function openSqlite(path: string, create: boolean): Store {
  if (!create && path !== ':memory:' && !existsSync(path)) throw new MissingDatabaseError(`no SQLite database at ${path}`);
  const database = new Database(path, { fileMustExist: !create });
  // busy_timeout first: switching to WAL needs a lock another process may hold.
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  // SQLite's default page cache (2 MB) holds little of the state table's indexes at full size:
  // an update's writes land all over them and read each page back from the file (32 MiB cut the
  // full update's system time from 14-16 s to 6 s).
  database.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  // A statement's journal (the pages it changes that its transaction had changed before, kept to
  // undo that statement alone) stays in memory rather than spilling to a temporary file: an
  // update's bulk inserts wrote 1 GB into one at 50,000 CVEs, in 530,000 calls.
  database.pragma('temp_store = MEMORY');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  registerSqliteConnection(db, database);
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * The SQLite application id ("sfxd", in the file header) of a database `secfix demo` built: how
 * demo tells a file it may replace from anything else (a synced tracker database, a text file).
 */
const DEMO_APPLICATION_ID = 0x73667864;
const SQLITE_HEADER_MAGIC = 'SQLite format 3\u0000';
/** Where the header keeps the application id (https://www.sqlite.org/fileformat.html, 1.3). */
const APPLICATION_ID_OFFSET = 68;

/**
 * Creates an empty SQLite database marked as a demo one. The mark is written before anything
 * else, so a build killed half-way still leaves a file the next demo may replace.
 */
export function createDemoDatabase(path: string): void {
  const database = new Database(path);
  try {
    database.pragma(`application_id = ${DEMO_APPLICATION_ID}`);
  } finally {
    database.close();
  }
}

/** True when `path` is an SQLite file `createDemoDatabase` made; false for anything else, or nothing. */
export async function isDemoDatabase(path: string): Promise<boolean> {
  const header = Buffer.alloc(APPLICATION_ID_OFFSET + 4);
  let bytesRead: number;
  try {
    const handle = await open(path, 'r');
    try {
      ({ bytesRead } = await handle.read(header, 0, header.length, 0));
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
  return (
    bytesRead === header.length &&
    header.toString('latin1', 0, SQLITE_HEADER_MAGIC.length) === SQLITE_HEADER_MAGIC &&
    header.readUInt32BE(APPLICATION_ID_OFFSET) === DEMO_APPLICATION_ID
  );
}

/**
 * Distinct SQL texts kept prepared; imports use a few dozen (one per batch shape). Kept small: a
 * statement with a long IN list holds hundreds of KB of native memory until V8 collects it, which
 * V8 does not count (256 cost a full update ~35 MB of peak RSS over 64, for no speed).
 */
const STATEMENT_CACHE_SIZE = 64;

/**
 * Kysely asks better-sqlite3 to prepare every statement it sends, and preparing costs more than
 * running a batch insert. Importers send the same batch SQL thousands of times, so prepared
 * statements are kept by their text (oldest dropped first). Safe because Kysely runs one statement
 * at a time per connection and never leaves an iteration open between queries.
 */
function withStatementCache(database: Database.Database): SqliteDatabase {
  const statements = new Map<string, Database.Statement>();
  return {
    close: () => database.close(),
    prepare(text: string) {
      let statement = statements.get(text);
      if (statement === undefined) {
        statement = database.prepare(text);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
        statements.set(text, statement);
      }
      return statement;
    },
  };
}

/** PostgreSQL's SQLSTATE for "database does not exist" and for "database already exists". */
const PG_INVALID_CATALOG_NAME = '3D000';
const PG_DUPLICATE_DATABASE = '42P04';

async function openPostgres(connectionString: string, create: boolean): Promise<Store> {
  // pg is loaded only for PostgreSQL URLs: an SQLite command would pay its start-up for nothing.
  const { default: pg } = await import('pg');
  // No JIT: secfix's queries read few rows, and compiling one whose estimated cost passes
  // jit_above_cost took 20-50 ms, more than running it (the package page of the package with the
  // most states at full size). No parallel workers either, for the same reason: starting one
  // cost more than it saved on a busy 2-core host (the open pairs of a maintainer of 1,022
  // packages at full size: 60 ms with a worker, 24 without, where the planner also took the
  // maintainer index). A URL's own `options` parameter still takes precedence.
  const pool = new pg.Pool({ connectionString, types: pgTypes(pg.types), options: '-c jit=off -c max_parallel_workers_per_gather=0' });
  // An idle client's error (server restart, dropped database) must not crash the process;
  // the pool discards that client and the next query reports the problem.
  pool.on('error', () => {});
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  try {
    try {
      await sql`select 1`.execute(db);
    } catch (error) {
      if ((error as { code?: unknown }).code !== PG_INVALID_CATALOG_NAME) throw error;
      const target = describePostgresTarget(connectionString);
      if (!create) throw new MissingDatabaseError(`no PostgreSQL database ${target}`);
      await createPostgresDatabase(pg, connectionString);
      await sql`select 1`.execute(db);
    }
  } catch (error) {
    await db.destroy();
    if (error instanceof MissingDatabaseError) throw error;
    const target = describePostgresTarget(connectionString);
    throw new Error(`cannot connect to PostgreSQL ${target}: ${(error as Error).message}`, { cause: error });
  }
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

/** Databases every PostgreSQL server has, to connect to while the named one does not exist yet. */
const MAINTENANCE_DATABASES = ['postgres', 'template1'];

/**
 * Creates the database a connection string names, connected to the same server's maintenance
 * database as the same user. Another process creating it first is fine.
 */
async function createPostgresDatabase(driver: typeof pg, connectionString: string): Promise<void> {
  // pg resolves the name as it will when connecting (a URL without a path means the user's name).
  const name = new driver.Client({ connectionString }).database;
  if (name === undefined || name === '') throw new Error('the URL names no database');
  for (const [index, maintenance] of MAINTENANCE_DATABASES.entries()) {
    const url = new URL(connectionString);
    url.pathname = `/${maintenance}`;
    const client = new driver.Client({ connectionString: url.toString() });
    try {
      await client.connect();
    } catch (error) {
      if ((error as { code?: unknown }).code === PG_INVALID_CATALOG_NAME && index < MAINTENANCE_DATABASES.length - 1) continue;
      throw error;
    }
    try {
      await client.query(`create database ${quoteIdentifier(name)}`);
    } catch (error) {
      if ((error as { code?: unknown }).code !== PG_DUPLICATE_DATABASE) throw error;
    } finally {
      await client.end();
    }
    return;
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function describePostgresTarget(connectionString: string): string {
  try {
    const parsed = new URL(connectionString);
    return `at ${parsed.host}${parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Brings PostgreSQL's planner statistics and visibility map up to date (`vacuum (analyze)` of
 * the whole database), for after a large write: without them the planner guesses row counts
 * and every index-only scan still reads the table, until autovacuum (if it is on) catches up.
 * Nothing on SQLite, whose queries are written for its planner without statistics (ANALYZE
 * would change their plans).
 */
export async function refreshStatistics(store: Pick<Store, 'db' | 'dialect'>): Promise<void> {
  if (store.dialect === 'postgres') await sql`vacuum (analyze)`.execute(store.db);
}

/** What writing under the lock needs of a store: its handle and dialect (a server holds these without owning the store). */
export type WritableStore = Pick<Store, 'db' | 'dialect'>;

export interface WriteLockOptions<T> {
  /**
   * Whether the transaction changed what readers are shown, judged from `fn`'s result; by default
   * it did, and the data version (with every cache keyed by it) moves on. Bookkeeping no page
   * shows (import runs) and writes that found nothing to change answer false.
   */
  readonly changedData?: (result: T) => boolean;
  /**
   * Runs in the same transaction after the data version moved on (or did not), for writes that
   * are stamped with the version the transaction leaves (page summaries); they never move it.
   */
  readonly finally?: (db: Kysely<Schema>, result: T) => Promise<void>;
}

/**
 * Runs `fn` in one transaction that holds secfix's writer lock from its first statement, so
 * imports and updates in any number of processes run one after another, never interleaved.
 * A second writer waits (without blocking the event loop) until the first commits or rolls back.
 * `fn` must not start transactions of its own.
 */
export function withWriteLock<T>(store: WritableStore, fn: (db: Kysely<Schema>) => Promise<T>, options: WriteLockOptions<T> = {}): Promise<T> {
  return withMigrationLock(store, async (db) => {
    const result = await fn(db);
    if (options.changedData?.(result) ?? true) await bumpDataVersion(db);
    await options.finally?.(db, result);
    return result;
  });
}

/** The writer lock without the data-version bump, for migrations, which run before its table exists. */
export function withMigrationLock<T>(store: WritableStore, fn: (db: Kysely<Schema>) => Promise<T>): Promise<T> {
  return store.dialect === 'postgres' ? withPostgresWriteLock(store.db, fn) : withSqliteWriteLock(store.db, fn);
}

/**
 * Runs `fn` on one read-only snapshot of the database: every query it makes sees the data as of
 * its first one, whatever writers commit meanwhile, so several exports made from it agree.
 * Writers are not blocked (SQLite in WAL mode, PostgreSQL's REPEATABLE READ); on SQLite `fn`
 * holds the store's one connection, so it must make every query through the `db` it is given.
 */
export function withReadSnapshot<T>(store: Pick<Store, 'db' | 'dialect'>, fn: (db: Kysely<Schema>) => Promise<T>): Promise<T> {
  if (store.dialect === 'postgres') return store.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(fn);
  return store.db.connection().execute(async (connection) => {
    inheritSqliteConnection(store.db, connection);
    // DEFERRED: the snapshot starts at the first read and takes no write lock.
    await sql`begin deferred`.execute(connection);
    try {
      return await fn(connection);
    } finally {
      await sql`commit`.execute(connection);
    }
  });
}

/** What readers compare to know whether the data changed: a counter and the time of the last write. */
export interface DataVersion {
  readonly version: number;
  readonly changedAt: string;
}

async function bumpDataVersion(db: Kysely<Schema>): Promise<void> {
  await db
    .updateTable('data_version')
    .set({ version: sql`version + 1`, changed_at: new Date().toISOString() })
    .where('id', '=', 1)
    .execute();
}

/** The current data version: one primary-key lookup. */
export async function getDataVersion(db: Kysely<Schema>): Promise<DataVersion> {
  const row = await db.selectFrom('data_version').select(['version', 'changed_at']).where('id', '=', 1).executeTakeFirstOrThrow();
  return { version: Number(row.version), changedAt: row.changed_at };
}

/** Advisory-lock key: the bytes of "secfix", to stay clear of other applications' keys on a shared server. */
const WRITE_LOCK_KEY = 0x736563666978;

// Relies on READ COMMITTED (PostgreSQL's default): each statement after the lock sees everything
// the previous holder committed. Under REPEATABLE READ the snapshot would predate the wait.
function withPostgresWriteLock<T>(db: Kysely<Schema>, fn: (db: Kysely<Schema>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${WRITE_LOCK_KEY}::bigint)`.execute(trx);
    return fn(trx);
  });
}

// Kysely begins SQLite transactions DEFERRED, which take the write lock only at the first write
// and can then fail with SQLITE_BUSY; BEGIN IMMEDIATE takes it up front.
function withSqliteWriteLock<T>(db: Kysely<Schema>, fn: (db: Kysely<Schema>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    inheritSqliteConnection(db, connection);
    await beginImmediate(connection);
    try {
      const result = await fn(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      try {
        await sql`rollback`.execute(connection);
      } catch {
        // SQLite already rolled back (it does on some errors); the original error is what matters.
      }
      throw error;
    }
  });
}

const LOCK_POLL_MIN_MS = 5;
const LOCK_POLL_MAX_MS = 100;

/**
 * better-sqlite3 waits for locks synchronously, which would freeze the event loop (and deadlock
 * two stores in one process). So the busy timeout is off while polling for the write lock.
 */
async function beginImmediate(connection: Kysely<Schema>): Promise<void> {
  await sql`pragma busy_timeout = 0`.execute(connection);
  try {
    for (let delay = LOCK_POLL_MIN_MS; ; delay = Math.min(delay * 2, LOCK_POLL_MAX_MS)) {
      try {
        await sql`begin immediate`.execute(connection);
        return;
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  } finally {
    await sql.raw(`pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`).execute(connection);
  }
}
