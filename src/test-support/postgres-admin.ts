import pg from 'pg';

/** The PostgreSQL server's maintenance database, from which each test database is created. */
const POSTGRES_ADMIN_URL = process.env['SECFIX_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Databases of one test run, named after the process id of the run's vitest. */
export function runDatabasePrefix(pid: number): string {
  return `secfix_run_${pid}_`;
}

/** The URL of database `name` on the test server. */
export function postgresDatabaseUrl(name: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The process ids of every run whose databases are on the server, this one's and other runs'. */
export async function listRunPids(): Promise<number[]> {
  const rows = await queryAdmin<{ pid: string }>(`select distinct substring(datname from '^secfix_run_([0-9]+)_') as pid from pg_database where datname ~ '^secfix_run_[0-9]+_'`);
  return rows.map((row) => Number(row.pid));
}

/**
 * Drops every database whose name starts with `prefix`, side by side: each drop waits for a
 * checkpoint, and drops waiting together share one.
 */
export async function dropPostgresDatabases(prefix: string): Promise<void> {
  const rows = await queryAdmin<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [prefix]);
  const names = rows.map((row) => row.datname);
  const batch = 8;
  for (let start = 0; start < names.length; start += batch) {
    await Promise.all(names.slice(start, start + batch).map((name) => runAdminStatement(`drop database if exists ${name} with (force)`)));
  }
}

export async function runAdminStatement(statement: string): Promise<void> {
  await queryAdmin(statement);
}

async function queryAdmin<Row extends object>(statement: string, values: unknown[] = []): Promise<Row[]> {
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
    return (await client.query<Row>(statement, values)).rows;
  } finally {
    await client.end();
  }
}
