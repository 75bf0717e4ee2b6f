import { type Kysely, type Migration, sql } from 'kysely';
import type { StoreDialect } from '../database.js';

/**
 * On PostgreSQL, each vulnerability's description words stored in a narrow table of their own
 * (`vulnerability_words`: the id and the words' text-search vector, without positions), kept by
 * triggers in the transaction that writes the description, in place of the expression index of
 * migration 0006. A search then walks the ids newest first testing the stored words, as SQLite
 * walks its FTS5 rows, instead of reading every hit's record to sort them: a word a third of the
 * descriptions hold read the whole vulnerability table (480 MB at full size, 600-800 ms).
 * SQLite's FTS5 table (migration 0006) already is such a table.
 */
export function descriptionWordsMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      // Letters and digits only, as SQLite's tokenizer splits (see migration 0006).
      const words = (row: string) => sql.raw(`strip(to_tsvector('simple', regexp_replace(coalesce(${row}.description, ''), '[^[:alnum:]]+', ' ', 'g')))`);
      await sql`create table vulnerability_words (
          id text collate "C" primary key references vulnerability (id) on delete cascade,
          words tsvector not null)`.execute(db);
      await sql`create function vulnerability_words_keep() returns trigger language plpgsql as $$
        begin
          insert into vulnerability_words (id, words) values (new.id, ${words('new')})
            on conflict (id) do update set words = excluded.words;
          return null;
        end $$`.execute(db);
      await sql`create trigger vulnerability_words_insert after insert on vulnerability for each row execute function vulnerability_words_keep()`.execute(db);
      await sql`create trigger vulnerability_words_update after update of description on vulnerability for each row execute function vulnerability_words_keep()`.execute(db);
      await sql`insert into vulnerability_words (id, words) select v.id, ${words('v')} from vulnerability as v`.execute(db);
      await sql`create index vulnerability_words_words on vulnerability_words using gin (words)`.execute(db);
      await sql`drop index vulnerability_description_words`.execute(db);
      await sql`analyze vulnerability_words`.execute(db);
    },
  };
}
