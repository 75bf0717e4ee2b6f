import { Migrator, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestStore, backends, openTestStore } from '../test-support/databases.js';
import { openDatabase, withMigrationLock } from './database.js';
import { migrateToLatest, storeMigrations } from './migrate.js';
import { listVulnerabilityReferences } from './queries/vulnerabilities.js';
import { listAuditEvents } from './test-support/history.js';

const TABLES = [
  'api_token',
  'audit_event',
  'auth_login',
  'auth_session',
  'binary_package',
  'branch',
  'branch_arch',
  'cpe_criterion',
  'cve5_affected',
  'data_version',
  'dirty',
  'exchange_nonce',
  'exchange_peer',
  'exchange_suggestion',
  'import_run',
  'inbox_notification',
  'outbox_entry',
  'package_version',
  'page_summary',
  'rejection',
  'repository',
  'secfix',
  'source_package',
  'state',
  'state_history',
  'triage_event',
  'vulnerability',
];

/** SQLite's full-text index of descriptions: the FTS5 table, its shadow tables, and its row numbers. */
const SQLITE_TABLES = ['vulnerability_text', 'vulnerability_text_config', 'vulnerability_text_data', 'vulnerability_text_docsize', 'vulnerability_text_idx', 'vulnerability_text_row'];
/** PostgreSQL's: the description words of each vulnerability (migration 0016). */
const POSTGRES_TABLES = ['vulnerability_words'];

describe.each(backends)('%s migrations', (backend) => {
  const tables = [...TABLES, ...(backend === 'sqlite' ? SQLITE_TABLES : POSTGRES_TABLES)].sort();
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(backend, { contents: 'empty' });
  });
  afterEach(async () => {
    await store.dispose();
  });

  async function tableNames(): Promise<string[]> {
    const tables = await store.db.introspection.getTables();
    return tables.map((table) => table.name).filter((name) => !name.startsWith('kysely_')).sort();
  }

  it('creates every table, and a second run does nothing', async () => {
    expect(await migrateToLatest(store)).toEqual(['0001-initial', '0002-data-version', '0003-reference-list', '0004-triage', '0005-auth', '0006-search-summary', '0007-cve5-affected', '0009-exchange', '0012-audit-pairs', '0013-package-page-indexes', '0014-triage-queue-indexes', '0015-vulnerability-published-index', '0016-description-words', '0017-vulnerability-published-postgres', '0018-maintainer-work-indexes']);
    expect(await tableNames()).toEqual(tables);
    expect(await migrateToLatest(store)).toEqual([]);
    expect(await tableNames()).toEqual(tables);
  });

  it("indexes the vulnerability ids with their publication date on both databases (the package page's ordering reads no records)", async () => {
    await migrateToLatest(store);
    const columns =
      backend === 'sqlite'
        ? await sql<{ name: string }>`select name from pragma_index_info('vulnerability_published') order by seqno`.execute(store.db)
        : await sql<{ name: string }>`select a.attname as name from pg_index i join pg_class c on c.oid = i.indexrelid join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) where c.relname = 'vulnerability_published' order by array_position(i.indkey, a.attnum)`.execute(store.db);
    expect(columns.rows.map((row) => row.name)).toEqual(['id', 'published']);
  });

  it('lets two connections migrate at once, applying each migration once', async () => {
    const other = await openDatabase(store.url);
    try {
      const applied = await Promise.all([migrateToLatest(store), migrateToLatest(other)]);
      expect(applied.flat()).toEqual(['0001-initial', '0002-data-version', '0003-reference-list', '0004-triage', '0005-auth', '0006-search-summary', '0007-cve5-affected', '0009-exchange', '0012-audit-pairs', '0013-package-page-indexes', '0014-triage-queue-indexes', '0015-vulnerability-published-index', '0016-description-words', '0017-vulnerability-published-postgres', '0018-maintainer-work-indexes']);
      expect(await tableNames()).toEqual(tables);
    } finally {
      await other.close();
    }
  });

  it('finds a current schema without the write lock, so a busy writer does not hold up a reader', async () => {
    await migrateToLatest(store);
    const other = await openDatabase(store.url);
    try {
      // With the lock held elsewhere, a migration run that waited for it would never finish here.
      expect(await withMigrationLock(other, () => migrateToLatest(store))).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('compares text by bytes, whatever the server locale', async () => {
    await migrateToLatest(store);
    const keys = ['pkg_0', 'pkg1', 'a', 'Pkg2', 'pkg-1'];
    await store.db.insertInto('dirty').values(keys.map((key) => ({ kind: 'package' as const, key }))).execute();
    const rows = await store.db.selectFrom('dirty').select('key').orderBy('key').execute();
    expect(rows.map((row) => row.key)).toEqual(['Pkg2', 'a', 'pkg-1', 'pkg1', 'pkg_0']);
    if (backend === 'postgres') {
      const collations = await sql<{ collation_name: string | null }>`
        select distinct collation_name from information_schema.columns
        where table_schema = 'public' and data_type = 'text' and table_name not like 'kysely%'`.execute(store.db);
      expect(collations.rows).toEqual([{ collation_name: 'C' }]);
    }
  });

  it('stores times and JSON as text and rejects unknown states', async () => {
    await migrateToLatest(store);
    const branch = await store.db
      .insertInto('branch')
      .values({ name: 'edge', end_of_support: null, created_at: '2024-01-01T00:00:00.000Z' })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
    expect(branch.created_at).toBe('2024-01-01T00:00:00.000Z');
    const repository = await store.db
      .insertInto('repository')
      .values({ branch_id: branch.id, name: 'main' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const state = {
      repository_id: repository.id,
      package: 'curl',
      vulnerability_id: 'CVE-2023-38545',
      version: null,
      fixed_version: null,
      evidence: '{}',
      updated_at: '2024-01-01T00:00:00.000Z',
    };
    await expect(
      store.db
        .insertInto('state')
        .values({ ...state, state: 'maybe' as 'unknown' })
        .execute(),
    ).rejects.toThrow();
    await store.db.insertInto('state').values({ ...state, state: 'unknown' }).execute();
  });

  it('moves each vulnerability\'s reference rows into its reference list, by URL', async () => {
    const migrator = new Migrator({ db: store.db, provider: { getMigrations: () => Promise.resolve(storeMigrations(backend)) } });
    expect((await migrator.migrateTo('0002-data-version')).error).toBeUndefined();
    const vulnerability = (id: string) => ({ id, source: 'nvd', cwes: '[]', aliases: '[]', configurations: '[]', content_hash: id });
    const ids = ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003'];
    await store.db.insertInto('vulnerability' as never).values([...ids, 'CVE-2024-9999'].map(vulnerability)).execute();
    // Inserted out of URL order, with tags and without.
    const references = ids.flatMap((id, index) => [
      { vulnerability_id: id, url: `https://example.org/${index}/b`, tags: '["Patch","Third Party Advisory"]' },
      { vulnerability_id: id, url: `https://example.org/${index}/a`, tags: '[]' },
    ]);
    await store.db.insertInto('vulnerability_reference' as never).values(references).execute();
    expect(await migrateToLatest(store)).toEqual(['0003-reference-list', '0004-triage', '0005-auth', '0006-search-summary', '0007-cve5-affected', '0009-exchange', '0012-audit-pairs', '0013-package-page-indexes', '0014-triage-queue-indexes', '0015-vulnerability-published-index', '0016-description-words', '0017-vulnerability-published-postgres', '0018-maintainer-work-indexes']);
    expect(await tableNames()).toEqual(tables);
    for (const [index, id] of ids.entries()) {
      expect(await listVulnerabilityReferences(store.db, id)).toEqual([
        { url: `https://example.org/${index}/a`, tags: [] },
        { url: `https://example.org/${index}/b`, tags: ['Patch', 'Third Party Advisory'] },
      ]);
    }
    expect(await listVulnerabilityReferences(store.db, 'CVE-2024-9999')).toEqual([]);
  });

  it('gives the audit log\'s triage rows written before 0012 their package and vulnerability', async () => {
    const migrator = new Migrator({ db: store.db, provider: { getMigrations: () => Promise.resolve(storeMigrations(backend)) } });
    expect((await migrator.migrateTo('0009-exchange')).error).toBeUndefined();
    const row = (subject: string) => ({ at: '2026-01-01T00:00:00.000Z', actor: 'cli', action: subject.startsWith('triage:') ? 'triage.record' : 'token.create', subject, detail: null });
    await store.db.insertInto('audit_event' as never).values([row('triage:openssl:CVE-2019-0190'), row('token:ci')]).execute();
    expect(await migrateToLatest(store)).toEqual(['0012-audit-pairs', '0013-package-page-indexes', '0014-triage-queue-indexes', '0015-vulnerability-published-index', '0016-description-words', '0017-vulnerability-published-postgres', '0018-maintainer-work-indexes']);
    expect(await listAuditEvents(store.db, { package: 'openssl', vulnerabilityId: 'CVE-2019-0190' })).toMatchObject([{ subject: 'triage:openssl:CVE-2019-0190' }]);
    expect((await listAuditEvents(store.db, { subject: 'token:ci' })).map((event) => [event.package, event.vulnerabilityId])).toEqual([[null, null]]);
  });
});
