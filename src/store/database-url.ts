/**
 * Naming a database: kept apart from the drivers so that reading a `--db` value costs nothing
 * to load (the CLI starts faster when a command does not open a database).
 */

const DEFAULT_DATABASE_URL = 'sqlite:./secfix.db';

/** A `--db`/`SECFIX_DB` value that names no database secfix can open. */
class DatabaseUrlError extends Error {
  override readonly name = 'DatabaseUrlError';
}

type DatabaseLocation =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly connectionString: string };

/** The database to use: the `--db` flag value, else `SECFIX_DB`, else `sqlite:./secfix.db`. */
export function resolveDatabaseUrl(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  if (flag !== undefined && flag !== '') return flag;
  const fromEnv = env['SECFIX_DB'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_DATABASE_URL;
}

/** Splits a database URL into dialect and location; `sqlite::memory:` is an in-memory database. */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (url.startsWith('sqlite:')) {
    // `sqlite:///abs/path` is accepted too, the form many tools print.
    const rest = url.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new DatabaseUrlError('database URL "sqlite:" has no file path; use sqlite:PATH');
    return { dialect: 'sqlite', path };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return { dialect: 'postgres', connectionString: url };
  }
  // Only the scheme is echoed: the rest may hold a password.
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(url)?.[0];
  const what = scheme === undefined ? 'has no scheme' : `has the unsupported scheme "${scheme}"`;
  throw new DatabaseUrlError(`database URL ${what}; use sqlite:PATH, sqlite::memory: or postgres://USER@HOST/DB`);
}
