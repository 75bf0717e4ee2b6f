import { type Kysely, type Migration, sql } from 'kysely';
import type { StoreDialect } from '../database.js';

/**
 * What makes the search and the heaviest pages fast at full size:
 * - a full-text index of vulnerability descriptions, kept current in the transaction that writes
 *   the description: on PostgreSQL a GIN index on the `simple` text-search vector of its letters
 *   and digits; on SQLite an
 *   FTS5 table fed by triggers. FTS5 rows are numbered by `vulnerability_text_row` (a stable
 *   integer per id: the vulnerability table's own rowid may change on VACUUM), and the table is
 *   contentless, as the text is read from `vulnerability`;
 * - indexes on the ASCII-lower-cased vulnerability ids (`lower(id)`), which the search matches by prefix;
 * - `page_summary`: what a page shows that depends only on the data (the home page's counts and
 *   trend, the quality report), built once per data version by `update` and read in one query.
 */
export function searchSummaryMigration(dialect: StoreDialect): Migration {
  const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') {
        // Letters and digits only, as SQLite's tokenizer splits: the default parser would keep
        // `and/or` or `2.4.1` whole, so a word in them would match on one database only.
        await sql`create index vulnerability_description_words on vulnerability
          using gin (to_tsvector('simple', regexp_replace(coalesce(description, ''), '[^[:alnum:]]+', ' ', 'g')))`.execute(db);
      } else {
        await createSqliteDescriptionIndex(db);
      }
      await sql`create index vulnerability_id_folded on vulnerability (lower(id))`.execute(db);
      await sql`create index secfix_vulnerability_folded on secfix (lower(vulnerability_id))`.execute(db);
      await sql`create index rejection_vulnerability_folded on rejection (lower(vulnerability_id))`.execute(db);
      await db.schema
        .createTable('page_summary')
        .addColumn('name', text, (c) => c.primaryKey())
        .addColumn('data_version', 'bigint', (c) => c.notNull())
        .addColumn('built_at', text, (c) => c.notNull())
        .addColumn('body', text, (c) => c.notNull())
        .execute();
    },
  };
}

async function createSqliteDescriptionIndex(db: Kysely<unknown>): Promise<void> {
  await sql`create table vulnerability_text_row (row integer primary key, vulnerability_id text not null unique)`.execute(db);
  await sql`create virtual table vulnerability_text using fts5(description, content='', tokenize='unicode61 remove_diacritics 2')`.execute(db);
  // A contentless table forgets a row only when told its indexed text: the old description.
  const add = (row: 'new') => sql.raw(`insert into vulnerability_text (rowid, description)
      select row, ${row}.description from vulnerability_text_row where vulnerability_id = ${row}.id and ${row}.description is not null;`);
  const forget = sql.raw(`insert into vulnerability_text (vulnerability_text, rowid, description)
      select 'delete', row, old.description from vulnerability_text_row where vulnerability_id = old.id and old.description is not null;`);
  await sql`create trigger vulnerability_text_insert after insert on vulnerability begin
      insert or ignore into vulnerability_text_row (vulnerability_id) values (new.id);
      ${add('new')}
    end`.execute(db);
  await sql`create trigger vulnerability_text_update after update of description on vulnerability begin
      ${forget}
      ${add('new')}
    end`.execute(db);
  await sql`create trigger vulnerability_text_delete after delete on vulnerability begin
      ${forget}
      delete from vulnerability_text_row where vulnerability_id = old.id;
    end`.execute(db);
  await sql`insert into vulnerability_text_row (vulnerability_id) select id from vulnerability order by id`.execute(db);
  await sql`insert into vulnerability_text (rowid, description)
      select r.row, v.description from vulnerability_text_row r join vulnerability v on v.id = r.vulnerability_id where v.description is not null`.execute(db);
}
