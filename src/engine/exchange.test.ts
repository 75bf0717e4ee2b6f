import { describe, expect, it } from 'vitest';
import type { TriageEvent } from '../base/triage.js';
import { isSentToPeers, retractedBy } from './exchange.js';

let nextId = 1;
function event(fields: Partial<TriageEvent>): TriageEvent {
  const id = nextId++;
  return {
    id,
    package: 'busybox',
    vulnerabilityId: 'CVE-2024-1',
    branches: null,
    status: 'not-affected',
    justification: 'component-not-present',
    version: null,
    note: null,
    author: 'sec@example.org',
    createdAt: `2026-01-01T00:00:${String(id).padStart(2, '0')}.000Z`,
    computedDigests: {},
    ...fields,
  };
}

describe('what peers hear of', () => {
  it('every-branch fixed and not-affected decisions made here', () => {
    const sent = (decision: TriageEvent) => isSentToPeers([decision], decision);
    expect(sent(event({}))).toBe(true);
    expect(sent(event({ status: 'fixed', justification: null, version: '1.0-r1' }))).toBe(true);
    expect(sent(event({ status: 'affected', justification: null }))).toBe(false);
    expect(sent(event({ branches: ['3.20'] }))).toBe(false);
    expect(sent(event({ author: 'peer:https://b.example' }))).toBe(false);
  });

  it('a withdrawal of an announced decision, naming the decision it retracts', () => {
    const first = event({});
    const second = event({ status: 'affected', justification: null });
    const scoped = event({ branches: ['3.20'] });
    const withdrawal = event({ status: 'withdrawn', justification: null });
    const events = [first, second, scoped, withdrawal];
    // The withdrawal retracts the latest standing every-branch event: `affected`, never announced.
    expect(retractedBy(events, withdrawal)).toBe(second);
    expect(isSentToPeers(events, withdrawal)).toBe(false);
    const again = event({ status: 'withdrawn', justification: null });
    expect(retractedBy([...events, again], again)).toBe(first);
    expect(isSentToPeers([...events, again], again)).toBe(true);
    const nothing = event({ status: 'withdrawn', justification: null });
    expect(retractedBy([...events, again, nothing], nothing)).toBeUndefined();
  });
});
