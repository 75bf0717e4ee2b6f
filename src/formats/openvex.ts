import { createHash } from 'node:crypto';
import type { ExportedPair, ExportedVulnerability } from '../base/export.js';
import { apkPurl } from './purl.js';

/**
 * OpenVEX 0.2.0 (openvex/spec, OPENVEX-SPEC.md). One statement per (vulnerability, branch,
 * repository, origin); its products are the origin's binary packages as PURLs with the
 * published version and `?arch=`, and no `distro` qualifier, because trivy matches a product's
 * qualifiers exactly and each scanner writes `distro` differently (exchange.md §7). A pair whose
 * repository publishes no binaries is named by its origin with `?arch=source`.
 */

export const OPENVEX_CONTEXT = 'https://openvex.dev/ns/v0.2.0';

export type OpenVexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';

/** What one statement says; `openVexStatement` writes it in OpenVEX's field names and a fixed order. */
export interface OpenVexStatementFields {
  readonly vulnerability: string;
  readonly timestamp: string;
  /** The products' PURLs. */
  readonly products: readonly string[];
  readonly status: OpenVexStatus;
  readonly statusNotes?: string | null;
  /** OpenVEX's justification label (only with `not_affected`). */
  readonly justification?: string | null;
  readonly impactStatement?: string | null;
  readonly actionStatement?: string | null;
}

/** A statement as written: OpenVEX's field names; its timestamp dates the document. */
type OpenVexStatement = Readonly<Record<string, unknown>> & { readonly timestamp: string };

/** An OpenVEX 0.2.0 statement; fields absent or null are left out. */
export function openVexStatement(fields: OpenVexStatementFields): OpenVexStatement {
  const optional = (name: string, value: string | null | undefined) => (value === null || value === undefined ? {} : { [name]: value });
  return {
    vulnerability: { name: fields.vulnerability },
    timestamp: fields.timestamp,
    products: fields.products.map((purl) => ({ '@id': purl })),
    ...optional('status_notes', fields.statusNotes),
    status: fields.status,
    ...optional('action_statement', fields.actionStatement),
    ...optional('justification', fields.justification),
    ...optional('impact_statement', fields.impactStatement),
  };
}

function products(pair: ExportedPair, purlNamespace: string): string[] {
  if (pair.binaries.length === 0) return [apkPurl(purlNamespace, pair.package, pair.version, 'source')];
  return pair.binaries.map((binary) => apkPurl(purlNamespace, binary.name, pair.version, binary.arch));
}

const VEX_STATUS = { fixed: 'fixed', affected: 'affected', 'under-investigation': 'under_investigation', 'not-affected': 'not_affected' } as const;

/** The statement about one pair. */
function pairStatement(id: string, pair: ExportedPair, purlNamespace: string): OpenVexStatement {
  const { status } = pair;
  return openVexStatement({
    vulnerability: id,
    timestamp: new Date(pair.modified).toISOString(),
    products: products(pair, purlNamespace),
    statusNotes: `secfix ${pair.branch}/${pair.repo} ${pair.package}: ${pair.ruling}`,
    status: VEX_STATUS[status.kind],
    actionStatement: status.kind === 'affected' ? status.action : null,
    justification: status.kind === 'not-affected' ? status.vexJustification : null,
    impactStatement: status.kind === 'not-affected' ? status.impact : null,
  });
}

export interface OpenVexOptions {
  readonly author: string;
  /** The IRI the document's `@id` starts with; a digest of the statements ends it. */
  readonly idBase: string;
  /** The purl namespace of the packages (`alpine`, `wolfi`). */
  readonly purlNamespace: string;
}

const EPOCH = '1970-01-01T00:00:00.000Z';

/**
 * One document of every statement, in vulnerability order, written as it goes so no export holds
 * it whole: `head()`, then `statements()` per vulnerability, then `tail()`. The document's `@id`
 * ends in a digest of the statements and its timestamp is their latest, so the same data gives
 * the same bytes; both are known only at the end, so they follow the statements (JSON members
 * have no order). The text is two-space JSON with a final newline.
 */
export class OpenVexWriter {
  // The digest is over the statements' compact JSON array, `[s1,s2,...]`.
  private readonly digest = createHash('sha256').update('[');
  private timestamp = EPOCH;
  private count = 0;

  constructor(private readonly options: OpenVexOptions) {}

  head(): string {
    const fields = { '@context': OPENVEX_CONTEXT, author: this.options.author, version: 1, tooling: 'secfix' };
    return `${JSON.stringify(fields, null, 2).slice(0, -2)},\n  "statements": [`;
  }

  /** The statements about one vulnerability's pairs. */
  statements(vulnerability: ExportedVulnerability): string {
    let text = '';
    for (const pair of vulnerability.pairs) {
      const statement = pairStatement(vulnerability.id, pair, this.options.purlNamespace);
      this.digest.update(`${this.count === 0 ? '' : ','}${JSON.stringify(statement)}`);
      if (statement.timestamp > this.timestamp) this.timestamp = statement.timestamp;
      text += `${this.count === 0 ? '' : ','}\n    ${JSON.stringify(statement, null, 2).replaceAll('\n', '\n    ')}`;
      this.count += 1;
    }
    return text;
  }

  tail(): string {
    const id = `${this.options.idBase}${this.digest.update(']').digest('hex').slice(0, 32)}`;
    return `${this.count === 0 ? '' : '\n  '}],\n  "@id": ${JSON.stringify(id)},\n  "timestamp": ${JSON.stringify(this.timestamp)}\n}\n`;
  }
}
