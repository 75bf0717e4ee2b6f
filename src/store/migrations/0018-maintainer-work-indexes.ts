import { type Kysely, type Migration, sql } from 'kysely';

/**
 * What a maintainer's open work (`/me`, the maintainer and orphan pages) reads from indexes
 * alone, where it read one table row per package and per pair (at full size, 1,022 packages and
 * 1,941 open pairs of one maintainer: 56 and 60 ms from a cold page cache, now 10 and 26):
 * - `source_package_maintainer` gains the repository and the name, the package's place;
 * - `package_version_published`, the published versions (no `removed_at`) by source package,
 *   answers "is it published" without reading the version row;
 * - `state_repository_state` gains the vulnerability id, so a package's pairs in one state are
 *   listed from the index;
 * - `state_state`, the state name alone, goes: `state_open_pairs` (migration 0014) begins with the
 *   same column and serves every lookup by name, and each update paid for writing both.
 */
export function maintainerWorkIndexesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('state_state').execute();
      await db.schema.dropIndex('state_repository_state').execute();
      await db.schema.createIndex('state_repository_state').on('state').columns(['repository_id', 'state', 'package', 'vulnerability_id']).execute();
      await db.schema.dropIndex('source_package_maintainer').execute();
      await db.schema.createIndex('source_package_maintainer').on('source_package').columns(['maintainer', 'repository_id', 'name']).execute();
      await sql`create index package_version_published on package_version (source_package_id) where removed_at is null`.execute(db);
    },
  };
}
