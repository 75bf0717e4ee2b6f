import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Schema } from '../store/schema.js';

/**
 * A digest of every stored state, to tell whether two versions of the code decide the same:
 * sha256 over the rows in key order (branch, repository, package, vulnerability), each with its
 * state, versions and evidence as canonical JSON (object keys sorted). Read in pages of keys, so
 * it adds little to the peak RSS of the benchmark that asks for it.
 */

const PAGE = 5_000;

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export async function stateDigest(db: Kysely<Schema>): Promise<{ readonly rows: number; readonly sha256: string }> {
  const repositories = await db
    .selectFrom('repository')
    .innerJoin('branch', 'branch.id', 'repository.branch_id')
    .select(['repository.id as id', 'repository.name as repo', 'branch.name as branch'])
    .execute();
  const hash = createHash('sha256');
  let rows = 0;
  for (const repository of repositories.sort((a, b) => (a.branch < b.branch ? -1 : a.branch > b.branch ? 1 : a.repo < b.repo ? -1 : a.repo > b.repo ? 1 : 0))) {
    const lines: string[] = [];
    let after: { package: string; vulnerability_id: string } | undefined;
    for (;;) {
      let query = db
        .selectFrom('state')
        .select(['package', 'vulnerability_id', 'state', 'version', 'fixed_version', 'evidence'])
        .where('repository_id', '=', repository.id);
      if (after !== undefined) {
        const last = after;
        query = query.where((eb) => eb.or([eb('package', '>', last.package), eb.and([eb('package', '=', last.package), eb('vulnerability_id', '>', last.vulnerability_id)])]));
      }
      const page = await query.orderBy('package').orderBy('vulnerability_id').limit(PAGE).execute();
      for (const row of page) {
        const evidence: unknown = typeof row.evidence === 'string' ? JSON.parse(row.evidence) : row.evidence;
        lines.push(canonicalJson([repository.branch, repository.repo, row.package, row.vulnerability_id, row.state, row.version, row.fixed_version, evidence]));
      }
      rows += page.length;
      hash.update(lines.join('\n'));
      lines.length = 0;
      if (page.length < PAGE) break;
      after = page[page.length - 1]!;
    }
  }
  return { rows, sha256: hash.digest('hex') };
}
