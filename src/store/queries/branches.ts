import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import { nowIso } from './batches.js';

interface BranchOptions {
  /** ISO date the branch stops getting security fixes; undefined leaves the stored value alone. */
  readonly endOfSupport?: string | null;
}

/** The id of the named branch (`3.16`, `edge`), created if missing. */
export async function ensureBranch(db: Kysely<Schema>, name: string, options: BranchOptions = {}): Promise<number> {
  await db
    .insertInto('branch')
    .values({ name, end_of_support: options.endOfSupport ?? null, created_at: nowIso() })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .execute();
  if (options.endOfSupport !== undefined) {
    await db.updateTable('branch').set({ end_of_support: options.endOfSupport }).where('name', '=', name).execute();
  }
  const row = await db.selectFrom('branch').select('id').where('name', '=', name).executeTakeFirstOrThrow();
  return row.id;
}

/** The id of a branch's repository (`main`, `community`), created if missing. */
export async function ensureRepository(db: Kysely<Schema>, branchId: number, name: string): Promise<number> {
  await db
    .insertInto('repository')
    .values({ branch_id: branchId, name })
    .onConflict((conflict) => conflict.columns(['branch_id', 'name']).doNothing())
    .execute();
  const row = await db
    .selectFrom('repository')
    .select('id')
    .where('branch_id', '=', branchId)
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Makes `archs` the branch's complete set of architectures. */
export async function setBranchArchs(db: Kysely<Schema>, branchId: number, archs: readonly string[]): Promise<void> {
  const wanted = [...new Set(archs)];
  let removal = db.deleteFrom('branch_arch').where('branch_id', '=', branchId);
  if (wanted.length > 0) removal = removal.where('arch', 'not in', wanted);
  await removal.execute();
  if (wanted.length === 0) return;
  await db
    .insertInto('branch_arch')
    .values(wanted.map((arch) => ({ branch_id: branchId, arch })))
    .onConflict((conflict) => conflict.columns(['branch_id', 'arch']).doNothing())
    .execute();
}

interface RepositorySummary {
  readonly id: number;
  readonly name: string;
}

export interface BranchSummary {
  readonly id: number;
  readonly name: string;
  readonly endOfSupport: string | null;
  readonly archs: readonly string[];
  readonly repositories: readonly RepositorySummary[];
}

/** Every branch with its architectures and repositories, ordered by name. */
export async function listBranches(db: Kysely<Schema>): Promise<BranchSummary[]> {
  const [branches, archs, repositories] = await Promise.all([
    db.selectFrom('branch').select(['id', 'name', 'end_of_support']).orderBy('name').execute(),
    db.selectFrom('branch_arch').select(['branch_id', 'arch']).orderBy('arch').execute(),
    db.selectFrom('repository').select(['id', 'branch_id', 'name']).orderBy('name').execute(),
  ]);
  return branches.map((branch) => ({
    id: branch.id,
    name: branch.name,
    endOfSupport: branch.end_of_support,
    archs: archs.filter((row) => row.branch_id === branch.id).map((row) => row.arch),
    repositories: repositories
      .filter((row) => row.branch_id === branch.id)
      .map((row) => ({ id: row.id, name: row.name })),
  }));
}
