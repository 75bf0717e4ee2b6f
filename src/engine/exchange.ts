import type { TriageEvent } from '../base/triage.js';
import { scopeKey, standingEvents } from './triage.js';

/** The author prefix of events a peer's suggestion recorded (`peer:https://b.example`). */
export const PEER_AUTHOR_PREFIX = 'peer:';

/**
 * Whether an event is announced to peers: an every-branch `fixed` or `not-affected` decision
 * made here. Decisions taken from a peer are not sent back (peers would echo each other), and
 * branch-scoped ones are not exchanged: branch names differ between distributions.
 */
function isAnnounced(event: TriageEvent): boolean {
  return (event.status === 'fixed' || event.status === 'not-affected') && event.branches === null && !event.author.startsWith(PEER_AUTHOR_PREFIX);
}

/** The event a `withdrawn` event retracts: the latest standing one of its scope before it, if any. */
export function retractedBy(pairEvents: readonly TriageEvent[], withdrawal: TriageEvent): TriageEvent | undefined {
  const before = pairEvents.filter((event) => event.createdAt < withdrawal.createdAt || (event.createdAt === withdrawal.createdAt && event.id < withdrawal.id));
  return standingEvents(before)
    .filter((event) => scopeKey(event.branches) === scopeKey(withdrawal.branches))
    .at(-1);
}

/** Whether peers are told of an event: an announced decision, or the withdrawal of one (an `Undo`). */
export function isSentToPeers(pairEvents: readonly TriageEvent[], event: TriageEvent): boolean {
  if (event.status !== 'withdrawn') return isAnnounced(event);
  const retracted = retractedBy(pairEvents, event);
  return retracted !== undefined && isAnnounced(retracted);
}
