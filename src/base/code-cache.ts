import type { Buffer } from 'node:buffer';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

/** A CommonJS file run by `requireWithCodeCache`. */
export interface CodeCachedModule {
  readonly exports: Record<string, unknown>;
  /** Whether V8 took its compiled code from the cache file instead of compiling the source. */
  readonly cacheUsed: boolean;
  /**
   * Writes V8's code for every function compiled so far (call it after the work, so the cache
   * holds what that work ran) when the cache was not used; never throws (a cache is optional).
   */
  saveCache(): void;
}

/**
 * Where the code caches live: `$SECFIX_CODE_CACHE` (`off` for none), else
 * `$XDG_CACHE_HOME/secfix/code`, else `~/.cache/secfix/code`; undefined when off or unknown. A
 * folder of the user's own, not the shared temporary one, where another user could plant code.
 */
export function codeCacheRoot(env: NodeJS.ProcessEnv): string | undefined {
  const chosen = env.SECFIX_CODE_CACHE;
  if (chosen !== undefined && chosen !== '') return chosen === 'off' ? undefined : chosen;
  const cacheHome = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined);
  return cacheHome === undefined ? undefined : join(cacheHome, 'secfix', 'code');
}

/**
 * The cache file for `file` run as `key` (what the run does: each command compiles different
 * functions) under `root`: one folder per file and Node version. V8 matches a cache to a source
 * by the source's length alone, so `file`'s name must change with its content (the bundle's
 * carries its hash).
 */
export function codeCacheFile(root: string, file: string, key: string): string {
  return join(root, `${basename(file)}-${process.version}-${process.arch}`, `${key.replace(/[^a-z0-9-]/g, '_')}.cache`);
}

/**
 * Runs the CommonJS file `file` as `require` would, but compiled with V8's code cache from
 * `cacheFile` when it holds one for this source, so that a call skips parsing and compiling what
 * an earlier call of the same kind compiled (Node 22's compile cache does this for modules; Node
 * 20 has none, and only a script, not an ES module, can be given cached code). `file` must be
 * ASCII: it is read as Latin-1, in a third of the time of UTF-8; and it must not call import(),
 * which Node 20 does not give a script compiled from a cache (scripts/bundle.js ensures both).
 * With source maps on, it is simply required, and no cache is read or written.
 */
export function requireWithCodeCache(file: string, cacheFile: string | undefined): CodeCachedModule {
  // Node maps stacks to the sources (--enable-source-maps) only for what its own loaders compile.
  if (process.sourceMapsEnabled) return { exports: createRequire(file)(file) as Record<string, unknown>, cacheUsed: false, saveCache: () => undefined };
  const source = readFileSync(file, 'latin1');
  // V8 checks a cache's content only with this flag (its debug builds' default), and a damaged one
  // would crash the process; a cache made with it has the checksum. It costs a fraction of a ms.
  setFlagsFromString('--verify-snapshot-checksum');
  let cachedData: Buffer | undefined;
  if (cacheFile !== undefined) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // No cache yet: this call writes it.
    }
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const cacheUsed = cachedData !== undefined && !script.cachedDataRejected;
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  return {
    exports: module.exports,
    cacheUsed,
    saveCache() {
      if (cacheFile === undefined || cacheUsed) return;
      try {
        writeCache(cacheFile, () => script.createCachedData());
      } catch {
        // Read-only or full: the next call compiles again, as this one did.
      }
    },
  };
}

/** Folders of other files or Node versions kept beside a cache's own: another checkout or Node
 * may still use them, but each build of the bundle starts a new one. */
const OTHER_FOLDERS_KEPT = 3;

/**
 * Writes a cache file whole, so that a concurrent call reads the old file or the new one, and
 * removes all
 * but the `OTHER_FOLDERS_KEPT` most recently written folders of other files and Node versions.
 */
function writeCache(cacheFile: string, cachedData: () => Buffer): void {
  const folder = dirname(cacheFile);
  const root = dirname(folder);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const partial = `${cacheFile}.${process.pid}.partial`;
  // Opened before V8 serializes the cache (some ms for a MB), which a folder that cannot be
  // written to would waste at every call.
  const descriptor = openSync(partial, 'w', 0o600);
  try {
    try {
      writeFileSync(descriptor, cachedData());
    } finally {
      closeSync(descriptor);
    }
    renameSync(partial, cacheFile);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  const others = readdirSync(root)
    .filter((entry) => entry !== basename(folder))
    .map((entry) => ({ path: join(root, entry), writtenAt: statSync(join(root, entry)).mtimeMs }))
    .sort((a, b) => b.writtenAt - a.writtenAt);
  for (const { path } of others.slice(OTHER_FOLDERS_KEPT)) rmSync(path, { recursive: true, force: true });
}
