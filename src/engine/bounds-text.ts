import type { CriterionBounds } from '../base/states.js';

/** A criterion's bounds in a short form for messages and evidence: `>=15.0 <15.4`, `=8.41`. */
export function describeBounds(bounds: CriterionBounds): string {
  if (bounds.exact !== undefined) return `=${bounds.exact}${bounds.update === undefined ? '' : ` ${bounds.update}`}`;
  const parts = [
    bounds.startIncluding === undefined ? '' : `>=${bounds.startIncluding}`,
    bounds.startExcluding === undefined ? '' : `>${bounds.startExcluding}`,
    bounds.endIncluding === undefined ? '' : `<=${bounds.endIncluding}`,
    bounds.endExcluding === undefined ? '' : `<${bounds.endExcluding}`,
  ];
  return parts.filter((part) => part !== '').join(' ');
}
