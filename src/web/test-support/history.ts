import { type StateChangeRow, historyFields } from '../../store/index.js';
import type { TestStore } from '../../test-support/databases.js';

/** A row of the state history as tests read it straight from the store. */
export type HistoryRow = Omit<StateChangeRow, 'description' | 'descriptionTruncated'>;

/** The whole state history, newest first, with names, maintainer and severity: what pages and feeds must show. */
export async function readHistory(store: TestStore): Promise<HistoryRow[]> {
  const rows = await store.db
    .selectFrom('state_history as h')
    .innerJoin('repository as r', 'r.id', 'h.repository_id')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .leftJoin('source_package as sp', (join) => join.onRef('sp.repository_id', '=', 'h.repository_id').onRef('sp.name', '=', 'h.package'))
    .leftJoin('vulnerability as v', 'v.id', 'h.vulnerability_id')
    .select(['h.id', 'b.name as branch', 'r.name as repo', 'h.package', 'h.vulnerability_id', 'h.old_state', 'h.new_state', 'h.changed_at', 'h.cause'])
    .select(['sp.maintainer', 'v.severity', 'v.cvss_score'])
    .execute();
  return rows
    .map((row) => ({
      ...historyFields(row),
      maintainer: row.maintainer,
      severity: row.severity,
      cvssScore: row.cvss_score === null ? null : Number(row.cvss_score),
    }))
    .sort((a, b) => (a.changedAt === b.changedAt ? b.id - a.id : a.changedAt < b.changedAt ? 1 : -1));
}
