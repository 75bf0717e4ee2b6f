import { parseDatabaseUrl, resolveDatabaseUrl } from '../store/database-url.js';
import type { Store } from '../store/index.js';
import { UsageError } from './io.js';

/** An open, migrated database and how to name it to the user. */
interface CliStore {
  readonly store: Store;
  /** For messages: never includes a password. */
  readonly description: string;
  /** Migrations this opening applied (empty when the schema was current). */
  readonly appliedMigrations: readonly string[];
}

/** Names a database for messages: the SQLite file, or the PostgreSQL host and database without credentials. */
function describeDatabase(url: string): string {
  const location = parseDatabaseUrl(url);
  if (location.dialect === 'sqlite') return `SQLite database ${location.path}`;
  try {
    const parsed = new URL(location.connectionString);
    return `PostgreSQL database ${parsed.host}${parsed.pathname}`;
  } catch {
    return 'PostgreSQL database (unparseable URL)';
  }
}

/** Whether a command may create the database it is given: only init, import, sync and demo do. */
interface CliStoreOptions {
  readonly create?: boolean;
}

/**
 * Opens the database `--db` names (else SECFIX_DB, else `sqlite:./secfix.db`) and migrates it,
 * so no command needs `secfix init` first. A database that cannot be opened, or is missing and
 * may not be created, is a usage error: one line, exit 2.
 */
async function openCliStore(flag: string | undefined, options: CliStoreOptions = {}): Promise<CliStore> {
  const url = resolveDatabaseUrl(flag);
  // Loaded here, not at the top: commands that open no database start without the drivers.
  const { MissingDatabaseError, migrateToLatest, openDatabase } = await import('../store/index.js');
  let description: string;
  let store: Store;
  try {
    description = describeDatabase(url);
    store = await openDatabase(url, { create: options.create === true });
  } catch (error) {
    if (error instanceof MissingDatabaseError) throw new UsageError(`${error.message} (only init, import, sync and demo create a database)`);
    throw new UsageError(`cannot open the database: ${(error as Error).message}`);
  }
  try {
    return { store, description, appliedMigrations: await migrateToLatest(store) };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Runs `fn` with the database open, closing it afterwards whatever happens. */
export async function withCliStore<T>(flag: string | undefined, fn: (opened: CliStore) => Promise<T>, options: CliStoreOptions = {}): Promise<T> {
  const opened = await openCliStore(flag, options);
  try {
    return await fn(opened);
  } finally {
    await opened.store.close();
  }
}
