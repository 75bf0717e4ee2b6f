import { type Kysely, type SqlBool, sql } from 'kysely';
import type { Schema } from '../schema.js';

/*
 * The search box: vulnerabilities by id prefix or description text, packages by part of their
 * name. Matching is case-insensitive for ASCII letters on both dialects: `lower()` folds only
 * those on SQLite and on PostgreSQL's "C" collation, so the needle is folded the same way here.
 */

/** Lower-cases ASCII letters only, as `lower()` does in both databases. */
export const foldAscii = (text: string): string => text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/** `lower(column) like pattern`, with `\` escaping the pattern's own `%` and `_`. */
const lowerLike = (column: string, pattern: string) => sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;

/** A vulnerability id the tracker knows, with its record's summary when a feed has one. */
export interface VulnerabilityHit {
  readonly id: string;
  readonly description: string | null;
  readonly severity: string | null;
  readonly cvssScore: number | null;
  readonly published: string | null;
}

/**
 * Up to `limit` vulnerabilities whose id starts with `text` or whose description contains it:
 * ids of feed records, secfixes lines and rejections (many ids have no feed record), the one
 * equal to `text` first, then newest id first. One query.
 */
export async function searchVulnerabilities(db: Kysely<Schema>, text: string, limit: number): Promise<VulnerabilityHit[]> {
  const needle = foldAscii(text);
  const prefix = `${escapeLike(needle)}%`;
  // Subqueries come from the expression builder, so the whole search is one statement.
  const rows = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('vulnerability')
        .select('id')
        .where((inner) => inner.or([lowerLike('id', prefix), lowerLike('description', `%${escapeLike(needle)}%`)]))
        .union(eb.selectFrom('secfix').select('vulnerability_id as id').where(lowerLike('vulnerability_id', prefix)))
        .union(eb.selectFrom('rejection').select('vulnerability_id as id').where(lowerLike('vulnerability_id', prefix)))
        .as('m'),
    )
    .leftJoin('vulnerability as v', 'v.id', 'm.id')
    .select(['m.id', 'v.description', 'v.severity', 'v.cvss_score', 'v.published'])
    .orderBy(sql`case when lower(${sql.ref('m.id')}) = ${needle} then 0 else 1 end`)
    .orderBy('m.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ id: row.id, description: row.description, severity: row.severity, cvssScore: row.cvss_score, published: row.published }));
}

/**
 * Up to `limit` package names containing `text`, from the indexes and the secfixes (a branch
 * without an index still has packages), binary package names (`libssl3`, as `apk` shows them)
 * included, whose page leads to their origin: the exact name first, then a case-insensitive equal
 * one, then shortest first. One query.
 */
export async function searchPackages(db: Kysely<Schema>, text: string, limit: number): Promise<string[]> {
  const needle = foldAscii(text);
  const pattern = `%${escapeLike(needle)}%`;
  const rows = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('source_package')
        .select('name')
        .where(lowerLike('name', pattern))
        .union(eb.selectFrom('secfix').select('package as name').where(lowerLike('package', pattern)))
        .union(eb.selectFrom('binary_package').select('name').where(lowerLike('name', pattern)))
        .as('p'),
    )
    .select('p.name')
    .orderBy(sql`case when ${sql.ref('p.name')} = ${text} then 0 when lower(${sql.ref('p.name')}) = ${needle} then 1 else 2 end`)
    .orderBy(sql`length(${sql.ref('p.name')})`)
    .orderBy('p.name')
    .limit(limit)
    .execute();
  return rows.map((row) => row.name);
}
