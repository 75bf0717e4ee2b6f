import { type Kysely, PostgresAdapter, type RawBuilder, sql } from 'kysely';
import type { Schema } from '../schema.js';

/*
 * The search box: vulnerabilities by id prefix or by the words of their description (in any
 * order, through the full-text index of migration 0006), and package names and maintainers by
 * part of their text. Ids and names match ignoring ASCII case on both dialects: `lower()` folds
 * only those on SQLite and on PostgreSQL's "C" collation, so the needle is folded the same way.
 */

/** Lower-cases ASCII letters only, as `lower()` does in both databases. */
export const foldAscii = (text: string): string => text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());

/**
 * The words of a search text: runs of letters and digits, as both full-text indexes split
 * descriptions. Everything else (quotes, `-`, `*`, `OR`'s meaning) is a separator, so no input
 * reaches either database's query syntax.
 */
function searchWords(text: string): string[] {
  return text.match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** A vulnerability id the tracker knows, with its record's summary when a feed has one. */
export interface VulnerabilityHit {
  readonly id: string;
  readonly description: string | null;
  readonly severity: string | null;
  readonly cvssScore: number | null;
  readonly published: string | null;
}

/** One page of hits and how many there are in all. */
export interface SearchPage<T> {
  readonly hits: readonly T[];
  /** Every hit, on all pages. */
  readonly total: number;
}

/**
 * The most vulnerability hits a search counts: a word a third of the descriptions hold has
 * 100,000 hits at full size, and counting them reads every one (on PostgreSQL, from the table).
 */
export const SEARCH_COUNT_LIMIT = 1_000;

/** A page of vulnerability hits; the total is counted up to `SEARCH_COUNT_LIMIT`. */
export interface VulnerabilitySearchPage extends SearchPage<VulnerabilityHit> {
  /** There are more than `total` (`SEARCH_COUNT_LIMIT`) hits: how many more was not counted. */
  readonly moreThanTotal: boolean;
}

/** A count up to `SEARCH_COUNT_LIMIT` + 1 as the total shown and whether there are more. */
const cappedTotal = (count: number) => ({ total: Math.min(count, SEARCH_COUNT_LIMIT), moreThanTotal: count > SEARCH_COUNT_LIMIT });

/** `lower(column)` starts with `prefix` (already folded): a range, so the expression index on `lower(column)` serves it. */
function lowerStartsWith(column: string, prefix: string): RawBuilder<boolean> {
  // U+10FFFF sorts after every character in both databases' byte-wise ("C", binary) order.
  return sql<boolean>`lower(${sql.ref(column)}) >= ${prefix} and lower(${sql.ref(column)}) < ${`${prefix}\u{10FFFF}`}`;
}

/** Ids of vulnerabilities whose description holds every word, through the dialect's full-text index. */
function describedBy(db: Kysely<Schema>, words: readonly string[]): RawBuilder<{ id: string }> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return sql`select id from vulnerability_words where words @@ plainto_tsquery('simple', ${words.join(' ')})`;
  return sql`select r.vulnerability_id as id from vulnerability_text t join vulnerability_text_row r on r.row = t.rowid where vulnerability_text match ${ftsMatch(words)}`;
}

/**
 * How many index entries the newest-first walk of `describedPage` may be expected to read: the walk
 * reads about (offset + limit) x rows / hits entries, sorting every hit reads each once.
 */
const WALK_BUDGET = 50_000;

/**
 * One page of the description hits when no id starts with the text, newest id first without
 * sorting them all: a word most descriptions hold (a third of 300,000) has too many hits to sort
 * for each page, so the ids are walked newest first, each tested against the words, until the
 * page is full. On SQLite through the ids' unique index, each tested against the full-text hits,
 * unless the walk would read more than `WALK_BUDGET` entries (a rarer word, whose hits are few
 * enough to sort); on PostgreSQL through the primary key of the words of migration 0016, the
 * planner choosing by their statistics between that walk and sorting the hits. The page and the
 * total (counted up to `SEARCH_COUNT_LIMIT` on PostgreSQL, where counting reads every hit's row),
 * or undefined when ids match or SQLite's walk is over budget.
 */
async function describedPage(db: Kysely<Schema>, needle: string, words: readonly string[], page: { readonly limit: number; readonly offset: number }) {
  if (words.length === 0) return undefined;
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const described = sql<boolean>`words @@ plainto_tsquery('simple', ${words.join(' ')})`;
    const { rows: counts } = await sql<{ by_id: number; described: number }>`
      select (select count(*) from (${byIdMatches(needle)}) as m) as by_id,
        (select count(*) from (select 1 from vulnerability_words where ${described} limit ${SEARCH_COUNT_LIMIT + 1}) as d) as described`.execute(db);
    const { by_id: byId, described: count } = counts[0]!;
    if (Number(byId) > 0) return undefined;
    const hits = await sql<VulnerabilityRow>`
      select p.id, v.description, v.severity, v.cvss_score, v.published
      from (select id from vulnerability_words where ${described} order by id desc limit ${page.limit} offset ${page.offset}) as p
      left join vulnerability as v on v.id = p.id
      order by p.id desc`.execute(db);
    return { hits: hits.rows.map(vulnerabilityHit), ...cappedTotal(Number(count)) };
  }
  const match = ftsMatch(words);
  const { rows: counts } = await sql<{ by_id: number; described: number; rows: number }>`
    select (select count(*) from (${byIdMatches(needle)}) as m) as by_id,
      (select count(*) from vulnerability_text where vulnerability_text match ${match}) as described,
      (select coalesce(max(row), 0) from vulnerability_text_row) as rows`.execute(db);
  const { by_id: byId, described, rows } = counts[0]!;
  if (Number(byId) > 0 || (page.offset + page.limit) * Number(rows) > WALK_BUDGET * Number(described)) return undefined;
  // `+r.row`: not through the row's own key, so SQLite walks the id index in order and stops at the page's end.
  const hits = await sql<VulnerabilityRow>`
    select p.id, v.description, v.severity, v.cvss_score, v.published
    from (
      select r.vulnerability_id as id from vulnerability_text_row as r
      where +r.row in (select rowid from vulnerability_text where vulnerability_text match ${match})
      order by r.vulnerability_id desc limit ${page.limit} offset ${page.offset}
    ) as p
    left join vulnerability as v on v.id = p.id
    order by p.id desc`.execute(db);
  return { hits: hits.rows.map(vulnerabilityHit), ...cappedTotal(Number(described)) };
}

/** A hit's columns as the queries read them. */
interface VulnerabilityRow {
  readonly id: string;
  readonly description: string | null;
  readonly severity: string | null;
  readonly cvss_score: number | null;
  readonly published: string | null;
}

const vulnerabilityHit = (row: VulnerabilityRow): VulnerabilityHit => ({ id: row.id, description: row.description, severity: row.severity, cvssScore: row.cvss_score, published: row.published });

/** Each word quoted, so FTS5 reads it as a plain string whatever it spells (`OR`, `NEAR`). */
const ftsMatch = (words: readonly string[]) => words.map((word) => `"${word}"`).join(' ');

/** Ids of feed records, secfixes lines and rejections that start with `needle` (folded). */
function byIdMatches(needle: string): RawBuilder<{ id: string }> {
  return sql.join(
    [
      sql`select id from vulnerability where ${lowerStartsWith('id', needle)}`,
      sql`select vulnerability_id as id from secfix where ${lowerStartsWith('vulnerability_id', needle)}`,
      sql`select vulnerability_id as id from rejection where ${lowerStartsWith('vulnerability_id', needle)}`,
    ],
    sql` union `,
  );
}

/**
 * Vulnerabilities whose id starts with `text` or whose description holds every word of it: ids
 * of feed records, secfixes lines and rejections (many ids have no feed record), the one equal
 * to `text` first, then newest id first; `limit` of them from `offset`, and how many in all (up
 * to `SEARCH_COUNT_LIMIT`, then "more"). One query (two for a page past the last hit), after the
 * counts that choose between walking the ids newest first and sorting the hits (`describedPage`).
 */
export async function searchVulnerabilities(
  db: Kysely<Schema>,
  text: string,
  page: { readonly limit: number; readonly offset: number },
): Promise<VulnerabilitySearchPage> {
  const needle = foldAscii(text);
  const words = searchWords(text);
  const walked = await describedPage(db, needle, words, page);
  if (walked !== undefined) return walked;
  const byId = byIdMatches(needle);
  // The description matches are distinct already (one text row per id) and may be most of the
  // table for a common word: only the few id matches are kept out of them, rather than a
  // `union` sorting every description hit to drop duplicates.
  const union = words.length === 0 ? byId : sql`${byId} union all select d.id from (${describedBy(db, words)}) as d where d.id not in (${byId})`;
  const exactFirst = sql`case when lower(m.id) = ${needle} then 0 else 1 end`;
  // The page is cut before the join, so only its rows' records are read, however many match.
  const { rows } = await sql<VulnerabilityRow & { total: number }>`
    select p.id, v.description, v.severity, v.cvss_score, v.published, p.total
    from (
      select m.id, ${exactFirst} as exact_first, count(*) over () as total from (${union}) as m
      order by exact_first, m.id desc limit ${page.limit} offset ${page.offset}
    ) as p
    left join vulnerability as v on v.id = p.id
    order by p.exact_first, p.id desc`.execute(db);
  // A page past the last hit has no row to carry the count.
  const count =
    rows[0] === undefined && page.offset > 0
      ? Number((await sql<{ total: number }>`select count(*) as total from (${union}) as m`.execute(db)).rows[0]?.total ?? 0)
      : Number(rows[0]?.total ?? 0);
  return { hits: rows.map(vulnerabilityHit), ...cappedTotal(count) };
}

/**
 * Every package name the tracker knows: origins of the indexes, packages of the secfixes (a
 * branch without an index still has packages) and binary packages (`libssl3`, as `apk` shows
 * them, whose page leads to their origin). Sorted.
 */
export async function listPackageNames(db: Kysely<Schema>): Promise<string[]> {
  const rows = await db
    .selectFrom('source_package')
    .select('name')
    .union(db.selectFrom('secfix').select('package as name'))
    .union(db.selectFrom('binary_package').select('name'))
    .orderBy('name')
    .execute();
  return rows.map((row) => row.name);
}

/** Every maintainer text (`Name <e-mail>`) of a package an index publishes, as the maintainer pages list them. Sorted. */
export async function listMaintainerTexts(db: Kysely<Schema>): Promise<string[]> {
  const rows = await db
    .selectFrom('source_package as sp')
    .select('sp.maintainer')
    .distinct()
    .where('sp.maintainer', 'is not', null)
    .where('sp.id', 'in', (eb) => eb.selectFrom('package_version as pv').select('pv.source_package_id').where('pv.removed_at', 'is', null))
    .orderBy('sp.maintainer')
    .$narrowType<{ maintainer: string }>()
    .execute();
  return rows.map((row) => row.maintainer);
}

/**
 * The names containing `text` (ASCII case ignored): the one spelled exactly so first, then one
 * equal but for case, then shortest first, then by name. For the lists of `listPackageNames` and
 * `listMaintainerTexts`, a few tens of thousands of short texts.
 */
export function namesContaining(names: readonly string[], text: string): string[] {
  const needle = foldAscii(text);
  const rank = (name: string) => (name === text ? 0 : foldAscii(name) === needle ? 1 : 2);
  return names
    .filter((name) => foldAscii(name).includes(needle))
    .sort((a, b) => rank(a) - rank(b) || a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
}
