/**
 * NVD's severity words (CVSS v3 qualitative ratings; `MODERATE` is GitHub's word for `MEDIUM`),
 * ranked: higher is more severe. A vulnerability with no severity ranks 0.
 */
export const SEVERITY_RANK: Readonly<Record<string, number>> = { CRITICAL: 4, HIGH: 3, MEDIUM: 2, MODERATE: 2, LOW: 1 };

/** The rank of a severity word (any case); 0 when absent or unknown. */
export function severityRank(severity: string | null | undefined): number {
  return SEVERITY_RANK[(severity ?? '').toUpperCase()] ?? 0;
}
