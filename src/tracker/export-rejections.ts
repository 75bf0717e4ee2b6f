import type { TriageJustification } from '../base/triage.js';
import { standingEvents } from '../engine/triage.js';
import { formatRejections } from '../formats/rejections.js';
import { type Store, listPackageMaintainers, listTriageEvents } from '../store/index.js';
import { eventsByPair, pairKey } from './triage.js';

// Apart from triage.ts so that the commands reading triage (query summary, the queue) do not load
// the YAML writer.

/** A not-affected decision for every branch, as the export writes it. */
export interface NotAffectedPair {
  readonly package: string;
  readonly vulnerabilityId: string;
  readonly justification: TriageJustification | null;
  readonly note: string | null;
}

/**
 * The pairs whose latest standing every-branch event is `not-affected`, by package and id
 * (of the packages in repository `repo`, when given).
 */
async function listNotAffected(store: Store, repo?: string): Promise<NotAffectedPair[]> {
  const inRepo = repo === undefined ? undefined : new Set((await listPackageMaintainers(store.db)).filter((row) => row.repo === repo).map((row) => row.package));
  const pairs: NotAffectedPair[] = [];
  for (const events of eventsByPair(await listTriageEvents(store.db)).values()) {
    const latest = standingEvents(events).filter((event) => event.branches === null).at(-1);
    if (latest?.status !== 'not-affected' || (inRepo !== undefined && !inRepo.has(latest.package))) continue;
    pairs.push({ package: latest.package, vulnerabilityId: latest.vulnerabilityId, justification: latest.justification, note: latest.note });
  }
  const key = (pair: NotAffectedPair) => pairKey(pair.package, pair.vulnerabilityId);
  return pairs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * Alpine's security-rejections YAML of the current every-branch not-affected decisions; a
 * justification other than `disputed` is written as a `justification: NAME` comment line, so
 * importing the file gives the same decisions back.
 */
export async function exportRejections(store: Store, repo?: string): Promise<string> {
  const pairs = await listNotAffected(store, repo);
  return formatRejections(
    pairs.map((pair) => {
      const justification = pair.justification === null || pair.justification === 'disputed' ? [] : [`justification: ${pair.justification}`];
      const comment = [...justification, ...(pair.note === null ? [] : [pair.note])].join('\n');
      return { package: pair.package, id: pair.vulnerabilityId, comment: comment === '' ? null : comment };
    }),
  );
}
