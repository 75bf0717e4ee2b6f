import type { NvdConfiguration, NvdCve, NvdCvss } from '../nvd.js';

/** The source name NVD gives its own scores. */
const NVD_SOURCE = 'nvd@nist.gov';

/** {@link nvdCoreProjection}'s result. */
interface NvdCoreProjection {
  readonly id: string;
  /** Cut to the minute, `YYYY-MM-DDTHH:MMZ`. */
  readonly published: string;
  readonly lastModified: string;
  readonly descriptions: NvdCve['descriptions'];
  readonly cvss: readonly NvdCvss[];
  readonly cwes: readonly string[];
  readonly references: readonly { readonly url: string; readonly tags: readonly string[] }[];
  readonly configurations: readonly NvdConfiguration[];
}

function byKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  return items.map((item) => [key(item), item] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
}

function minute(timestamp: string): string {
  return `${timestamp.slice(0, 16)}Z`;
}

/**
 * What the 1.1 feed and the 2.0 API can both say about a CVE, in a form that compares equal when
 * they agree. Left out or reduced, because only one format has it: `status` and `kev` (2.0 only),
 * sub-minute time (1.1 stops at minutes), CVSS from scorers other than NVD (1.1 has NVD's only),
 * reference `source` (2.0 only; 1.1's `refsource` is another thing), `matchCriteriaId` (2.0 only).
 * Order carries no meaning in references, CWEs, configurations (alternatives), their nodes and
 * node matches (operands of AND/OR), and the formats list them differently, so all are sorted.
 */
export function nvdCoreProjection(cve: NvdCve): NvdCoreProjection {
  const configurations = cve.configurations.map((config) => ({
    operator: config.operator,
    negate: config.negate,
    nodes: byKey(
      config.nodes.map((node) => ({
        operator: node.operator,
        negate: node.negate,
        matches: byKey(
          node.matches.map(({ matchCriteriaId: _id, ...match }) => match),
          (match) => JSON.stringify(match),
        ),
      })),
      (node) => JSON.stringify(node),
    ),
  }));
  return {
    id: cve.id,
    published: minute(cve.published),
    lastModified: minute(cve.lastModified),
    descriptions: cve.descriptions,
    cvss: cve.cvss.filter((score) => score.source === NVD_SOURCE),
    cwes: [...cve.cwes].sort(),
    references: byKey(
      cve.references.map((reference) => ({ url: reference.url, tags: [...reference.tags].sort() })),
      (reference) => reference.url,
    ),
    configurations: byKey(configurations, (config) => JSON.stringify(config)),
  };
}
