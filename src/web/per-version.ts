/** One build of a value, for the data version it was built at. */
export interface VersionedBuild<Value> {
  readonly version: number;
  readonly value: Promise<Value>;
}

/** Where builds are kept: a Map, or a WeakMap when keyed by an object such as a database handle. */
export interface VersionedBuilds<Key, Value> {
  get(key: Key): VersionedBuild<Value> | undefined;
  set(key: Key, build: VersionedBuild<Value>): unknown;
  delete(key: Key): unknown;
}

/**
 * The value for `key` at data version `version`, built once: requests of one version share the
 * build, including one still running, and a newer version replaces it. A failed build is
 * forgotten, so the next request tries again (and a bad key leaves nothing behind).
 */
export function builtAtVersion<Key, Value>(builds: VersionedBuilds<Key, Value>, key: Key, version: number, build: () => Promise<Value>): Promise<Value> {
  const kept = builds.get(key);
  if (kept?.version === version) return kept.value;
  const fresh = { version, value: build() };
  builds.set(key, fresh);
  fresh.value.catch(() => {
    if (builds.get(key) === fresh) builds.delete(key);
  });
  return fresh.value;
}
