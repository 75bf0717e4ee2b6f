import type { Kysely, Selectable } from 'kysely';
import { jsonText, readJsonColumn, stringsShape } from '../json-column.js';
import type { RejectionTable, Schema, VexJustification } from '../schema.js';
import { IN_LIST_SIZE, chunks, rowsPerInsert } from './batches.js';

/** A statement that a vulnerability does not affect a package. */
export interface RejectionEntry {
  readonly package: string;
  readonly vulnerabilityId: string;
  /** The branches it holds for; null means every branch. */
  readonly branches: readonly string[] | null;
  readonly justification: VexJustification | null;
  readonly rationale: string | null;
  readonly author: string | null;
  readonly createdAt: string;
}

export interface StoredRejection extends RejectionEntry {
  readonly id: number;
  readonly source: string;
}

interface RejectionReplaceResult {
  /** Packages with any rejection added, removed or changed. */
  readonly changedPackages: string[];
  readonly added: number;
  readonly removed: number;
  readonly updated: number;
}

const rejectionKey = (row: { package: string; vulnerabilityId: string }) => `${row.package}\u0000${row.vulnerabilityId}`;

function rejectionRow(source: string, entry: RejectionEntry) {
  return {
    package: entry.package,
    vulnerability_id: entry.vulnerabilityId,
    branches: entry.branches === null ? null : jsonText(entry.branches),
    justification: entry.justification,
    rationale: entry.rationale,
    author: entry.author,
    created_at: entry.createdAt,
    source,
  };
}

/**
 * Makes `entries` the complete set of rejections from `source` (a file path or name); rejections
 * from other sources are untouched. Replacing with the same entries changes nothing.
 */
export async function replaceRejections(
  db: Kysely<Schema>,
  source: string,
  entries: readonly RejectionEntry[],
): Promise<RejectionReplaceResult> {
  const wanted = new Map(entries.map((entry) => [rejectionKey(entry), rejectionRow(source, entry)]));
  const existing = await db.selectFrom('rejection').selectAll().where('source', '=', source).execute();

  const changedPackages = new Set<string>();
  const removals: number[] = [];
  const updates: { id: number; row: ReturnType<typeof rejectionRow> }[] = [];
  for (const stored of existing) {
    const key = rejectionKey({ package: stored.package, vulnerabilityId: stored.vulnerability_id });
    const row = wanted.get(key);
    if (row === undefined) {
      removals.push(stored.id);
      changedPackages.add(stored.package);
      continue;
    }
    wanted.delete(key);
    if (
      row.branches !== stored.branches ||
      row.justification !== stored.justification ||
      row.rationale !== stored.rationale ||
      row.author !== stored.author ||
      row.created_at !== stored.created_at
    ) {
      updates.push({ id: stored.id, row });
      changedPackages.add(stored.package);
    }
  }
  for (const row of wanted.values()) changedPackages.add(row.package);

  for (const batch of chunks(removals, IN_LIST_SIZE)) {
    await db.deleteFrom('rejection').where('id', 'in', batch).execute();
  }
  for (const update of updates) {
    await db.updateTable('rejection').set(update.row).where('id', '=', update.id).execute();
  }
  for (const batch of chunks([...wanted.values()], rowsPerInsert(8))) {
    await db.insertInto('rejection').values(batch).execute();
  }
  return {
    changedPackages: [...changedPackages].sort(),
    added: wanted.size,
    removed: removals.length,
    updated: updates.length,
  };
}

function storedRejection(row: Selectable<RejectionTable>): StoredRejection {
  return {
    id: row.id,
    package: row.package,
    vulnerabilityId: row.vulnerability_id,
    branches: row.branches === null ? null : readJsonColumn(row.branches, stringsShape, 'rejection.branches'),
    justification: row.justification,
    rationale: row.rationale,
    author: row.author,
    createdAt: row.created_at,
    source: row.source,
  };
}

/** Rejections of the given packages, from every source. */
export async function listRejections(db: Kysely<Schema>, packages: readonly string[]): Promise<StoredRejection[]> {
  const batches = await Promise.all(
    chunks([...new Set(packages)], IN_LIST_SIZE).map((batch) =>
      db
        .selectFrom('rejection')
        .selectAll()
        .where('package', 'in', batch)
        .orderBy('package')
        .orderBy('vulnerability_id')
        .orderBy('id')
        .execute(),
    ),
  );
  return batches.flat().map(storedRejection);
}

/** Every rejection one source (a file path or name) holds. */
export async function listRejectionsFromSource(db: Kysely<Schema>, source: string): Promise<StoredRejection[]> {
  const rows = await db
    .selectFrom('rejection')
    .selectAll()
    .where('source', '=', source)
    .orderBy('package')
    .orderBy('vulnerability_id')
    .execute();
  return rows.map(storedRejection);
}
