import { CompiledQuery, type Kysely, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SEVERITY_RANK } from '../../base/severity.js';
import { backends, useTestStore } from '../../test-support/databases.js';
import type { Schema } from '../schema.js';
import { findListedStates, findStates } from './states.js';
import { type NewTriageEvent, appendTriageEvents, countOpenStates, countOpenStatesByUrgency, listTriageEvents, listUntriagedQueuePage } from './triage.js';

const event = (pkg: string, status: NewTriageEvent['status'], createdAt: string, fields: Partial<NewTriageEvent> = {}): NewTriageEvent => ({
  package: pkg,
  vulnerabilityId: 'CVE-2019-0190',
  branches: null,
  status,
  justification: status === 'not-affected' ? 'component-not-present' : null,
  version: null,
  note: null,
  author: 'alice@example.org',
  createdAt,
  computedDigests: { '3.16/main': 'abc' },
  ...fields,
});

describe.each(backends)('%s triage events', (backend) => {
  const store = useTestStore(backend);

  it('appends events and reads them back as stored, oldest first', async () => {
    const { db } = store();
    const [first, second] = await appendTriageEvents(db, [
      event('openssl', 'not-affected', '2026-01-02T00:00:00.000Z', { branches: ['3.17', '3.16'], note: 'mod_ssl is httpd' }),
      event('openssl', 'withdrawn', '2026-01-01T00:00:00.000Z', { author: 'bob@example.org' }),
    ]);
    expect(first).toMatchObject({ package: 'openssl', branches: ['3.16', '3.17'], status: 'not-affected', note: 'mod_ssl is httpd', computedDigests: { '3.16/main': 'abc' } });
    expect(second!.id).toBeGreaterThan(first!.id);
    expect(await listTriageEvents(db)).toEqual([second, first]);
    expect(await listTriageEvents(db, { author: 'bob@example.org' })).toEqual([second]);
    expect(await listTriageEvents(db, { since: '2026-01-02T00:00:00.000Z' })).toEqual([first]);
    expect(await listTriageEvents(db, { packages: ['zlib'] })).toEqual([]);
    expect(await listTriageEvents(db, { packages: ['openssl'], vulnerabilityId: 'CVE-2019-0190' })).toHaveLength(2);
  });

  it('refuses a status or justification outside the vocabulary', async () => {
    const { db } = store();
    await expect(appendTriageEvents(db, [event('openssl', 'ignored' as never, '2026-01-01T00:00:00.000Z')])).rejects.toThrow();
    await expect(appendTriageEvents(db, [event('openssl', 'not-affected', '2026-01-01T00:00:00.000Z', { justification: 'because' as never })])).rejects.toThrow();
    expect(await listTriageEvents(db)).toEqual([]);
  });
});

describe('sqlite triage queue page plan', () => {
  const store = useTestStore('sqlite');

  // Migration 0014 indexes the queue's order with the severity ranks spelled out; a page walks
  // that index only while the query's ORDER BY repeats it word for word (else it sorts every open pair).
  /** SQLite's plan of the first query `run` makes, a line per step. */
  const planOf = async (run: (db: Kysely<Schema>) => Promise<unknown>): Promise<string[]> => {
    const nodes: RootOperationNode[] = [];
    const recording: KyselyPlugin = {
      transformQuery: ({ node }) => {
        nodes.push(node);
        return node;
      },
      transformResult: ({ result }) => Promise.resolve(result),
    };
    const { db } = store();
    await run(db.withPlugin(recording));
    const compiled = db.getExecutor().compileQuery(nodes[0]!, { queryId: 'plan' });
    const plan = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
    return plan.rows.map((row) => row.detail);
  };

  it("walks migration 0014's queue-order index with the ground-level severity ranks", async () => {
    const details = await planOf((db) => listUntriagedQueuePage(db, { openStates: ['vulnerable'], endedBranches: [] }, { severityRanks: SEVERITY_RANK }, { offset: 0, limit: 10 }));
    expect(details.some((detail) => detail.includes('vulnerability_queue_order')), details.join('\n')).toBe(true);
    // The index gives the urgency terms; only each vulnerability's few pairs are sorted, by the
    // last four (branch, repository, package, id).
    expect(details.filter((detail) => detail.includes('TEMP B-TREE')), details.join('\n')).toEqual(['USE TEMP B-TREE FOR LAST 4 TERMS OF ORDER BY']);
  });

  it('finds the known exploited vulnerabilities of a KEV-only count by seeking the queue-order index, not reading every record', async () => {
    const details = await planOf((db) => countOpenStates(db, { openStates: ['vulnerable'], endedBranches: [], kevOnly: true }, { severityRanks: SEVERITY_RANK }));
    expect(details.some((detail) => /SEARCH v USING COVERING INDEX vulnerability_queue_order \(<expr>=\?\)/.test(detail)), details.join('\n')).toBe(true);
  });

  it("with an urgency filter, seeks each vulnerability's open states once, testing the place on them rather than seeking every repository", async () => {
    const details = await planOf((db) => countOpenStates(db, { openStates: ['vulnerable'], endedBranches: [], publishedBy: '2024-01-01' }, { severityRanks: SEVERITY_RANK }));
    expect(details, details.join('\n')).toContain('SEARCH s USING COVERING INDEX state_open_pairs (state=? AND vulnerability_id=?)');
  });

  it('counts the open states per urgency class in vulnerability order, testing the place on each state rather than seeking every repository', async () => {
    const details = await planOf((db) => countOpenStatesByUrgency(db, { openStates: ['vulnerable', 'unknown'], endedBranches: [] }, { severityRanks: SEVERITY_RANK }));
    expect(details, details.join('\n')).toContain('SEARCH s USING COVERING INDEX state_open_pairs (state=?)');
  });

  it("finds one package's states (what recording a triage event reads) by the primary key per repository, not by scanning every state", async () => {
    const details = await planOf((db) => findStates(db, { package: 'openssl' }));
    expect(details.some((detail) => detail.startsWith('SEARCH s USING INDEX sqlite_autoindex_state_1 (repository_id=? AND package=?)')), details.join('\n')).toBe(true);
  });

  it("reads a maintainer's vulnerable states through the (repository, state, package) index and their triaged pairs by the primary key, not every state of their packages", async () => {
    const scope = { maintainers: ['Natanael Copa <ncopa@alpinelinux.org>'] };
    const vulnerable = await planOf((db) => findListedStates(db, { scope, state: 'vulnerable' }));
    expect(vulnerable, vulnerable.join('\n')).toContain('SEARCH s USING INDEX state_repository_state (repository_id=? AND state=? AND package=?)');
    const triaged = await planOf((db) => findListedStates(db, { scope, triaged: true }));
    expect(triaged, triaged.join('\n')).toContain('SEARCH s USING INDEX sqlite_autoindex_state_1 (repository_id=? AND package=? AND vulnerability_id=?)');
  });

  it("counts the open states of the vulnerabilities published within a span by seeking migration 0015's index, which covers a severity filter too", async () => {
    const spans = [
      { publishedFrom: '2025', publishedBy: '2025-06-01T00:00:00.000Z' },
      { publishedAfter: '2025-09-01T00:00:00.000Z', publishedBefore: '2026', minSeverityRank: 3 },
    ];
    for (const span of spans) {
      const filter = { openStates: ['vulnerable' as const], endedBranches: [], ...span };
      const details = await planOf((db) => countOpenStates(db, filter, { severityRanks: SEVERITY_RANK }));
      expect(details.some((detail) => detail.includes('SEARCH v USING COVERING INDEX vulnerability_by_published (published>? AND published<?)')), details.join('\n')).toBe(true);
    }
  });
});
