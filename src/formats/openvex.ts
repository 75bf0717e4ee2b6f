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

interface OpenVexStatement {
  readonly vulnerability: { readonly name: string };
  readonly timestamp: string;
  readonly products: readonly { readonly '@id': string }[];
  readonly status: 'not_affected' | 'affected' | 'fixed' | 'under_investigation';
  readonly status_notes: string;
  readonly justification?: string;
  readonly impact_statement?: string;
  readonly action_statement?: string;
}

function products(pair: ExportedPair, purlNamespace: string): { '@id': string }[] {
  if (pair.binaries.length === 0) return [{ '@id': apkPurl(purlNamespace, pair.package, pair.version, 'source') }];
  return pair.binaries.map((binary) => ({ '@id': apkPurl(purlNamespace, binary.name, pair.version, binary.arch) }));
}

/** The statement about one pair. */
function openVexStatement(id: string, pair: ExportedPair, purlNamespace: string): OpenVexStatement {
  const base = {
    vulnerability: { name: id },
    timestamp: new Date(pair.modified).toISOString(),
    products: products(pair, purlNamespace),
    status_notes: `secfix ${pair.branch}/${pair.repo} ${pair.package}: ${pair.ruling}`,
  };
  const { status } = pair;
  switch (status.kind) {
    case 'fixed':
      return { ...base, status: 'fixed' };
    case 'affected':
      return { ...base, status: 'affected', action_statement: status.action };
    case 'under-investigation':
      return { ...base, status: 'under_investigation' };
    case 'not-affected':
      return { ...base, status: 'not_affected', ...(status.vexJustification === null ? {} : { justification: status.vexJustification }), impact_statement: status.impact };
  }
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
      const statement = openVexStatement(vulnerability.id, pair, this.options.purlNamespace);
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
