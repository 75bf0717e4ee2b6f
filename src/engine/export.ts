import type { ExportStatus } from '../base/export.js';
import type { Evidence, StateName } from '../base/states.js';
import { OPENVEX_JUSTIFICATIONS } from '../base/triage.js';
import type { PairTriage } from './triage.js';

/** One pair as stored, with its triage resolved. */
export interface ExportPairInput {
  readonly state: StateName;
  readonly fixedVersion: string | null;
  readonly evidence: readonly Evidence[];
  readonly triage: PairTriage;
}

const NOT_AFFECTED_SECFIX = 'The package is listed under version 0 in its secfixes: never affected in this distribution.';

function rejectionStatus(evidence: readonly Evidence[]): ExportStatus {
  const rejection = evidence.find((item) => item.kind === 'rejection');
  const justification = rejection?.justification ?? null;
  return { kind: 'not-affected', vexJustification: justification, impact: rejection?.rationale ?? 'Rejected by the security team.' };
}

/** What the exports say about a pair (see `ExportStatus`); null for an `unknown` pair, which they leave out. */
export function exportStatus(pair: ExportPairInput): ExportStatus | null {
  const { triage } = pair;
  const event = triage.triage;
  switch (triage.status) {
    case 'fixed':
      if (event !== null && event.version !== null) return { kind: 'fixed', version: event.version };
      return pair.fixedVersion === null ? null : { kind: 'fixed', version: pair.fixedVersion };
    case 'not-affected':
      if (event === null) return { kind: 'not-affected', vexJustification: null, impact: NOT_AFFECTED_SECFIX };
      return {
        kind: 'not-affected',
        vexJustification: event.justification === null ? null : OPENVEX_JUSTIFICATIONS[event.justification],
        impact: event.note ?? `Triaged not affected: ${event.justification ?? 'no justification given'}.`,
      };
    case 'rejected':
      return rejectionStatus(pair.evidence);
    case 'affected':
      return { kind: 'affected', action: event?.note ?? 'Affected; no fix is published yet.', fixVersion: null, fixPlanned: true };
    case 'pending-upstream-fix':
      return { kind: 'affected', action: `Waiting for an upstream fix: ${event?.note ?? ''}`.trim(), fixVersion: null, fixPlanned: true };
    case 'fix-not-planned':
      return { kind: 'affected', action: `No fix planned: ${event?.note ?? ''}`.trim(), fixVersion: null, fixPlanned: false };
    case 'fix-pending-publication':
      return { kind: 'affected', action: `Update to ${event?.version ?? 'the fixed version'} once the branch publishes it.`, fixVersion: event?.version ?? null, fixPlanned: true };
    case 'vulnerable':
    case 'under-investigation':
    case 'analysis-not-planned':
      return { kind: 'under-investigation' };
    case 'end-of-life':
      return { kind: 'affected', action: 'The branch is past its end of support: no fix will come to it; upgrade to a supported release.', fixVersion: null, fixPlanned: false };
    case 'unknown':
      return null;
  }
}
