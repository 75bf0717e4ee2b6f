import { createHash } from 'node:crypto';
import type { ExportedPair, ExportedVulnerability } from '../base/export.js';

/**
 * OpenVEX 0.2.0 (openvex/spec, OPENVEX-SPEC.md). One statement per (vulnerability, branch,
 * repository, origin); its products are the origin's binary packages as PURLs with the
 * published version and `?arch=`, and no `distro` qualifier, because trivy matches a product's
 * qualifiers exactly and each scanner writes `distro` differently (exchange.md §7). A pair whose
 * repository publishes no binaries is named by its origin with `?arch=source`.
 */

export const OPENVEX_CONTEXT = 'https://openvex.dev/ns/v0.2.0';

export interface OpenVexStatement {
  readonly vulnerability: { readonly name: string };
  readonly timestamp: string;
  readonly products: readonly { readonly '@id': string }[];
  readonly status: 'not_affected' | 'affected' | 'fixed' | 'under_investigation';
  readonly status_notes: string;
  readonly justification?: string;
  readonly impact_statement?: string;
  readonly action_statement?: string;
}

interface OpenVexDocument {
  readonly '@context': string;
  readonly '@id': string;
  readonly author: string;
  readonly timestamp: string;
  readonly version: number;
  readonly tooling: string;
  readonly statements: readonly OpenVexStatement[];
}

/** A package URL for an apk package; `qualifier` is `arch=...`. */
export function apkPurl(name: string, version: string | null, arch: string): string {
  return `pkg:apk/alpine/${encodeURIComponent(name)}${version === null ? '' : `@${encodeURIComponent(version)}`}?arch=${encodeURIComponent(arch)}`;
}

function products(pair: ExportedPair): { '@id': string }[] {
  if (pair.binaries.length === 0) return [{ '@id': apkPurl(pair.package, pair.version, 'source') }];
  return pair.binaries.map((binary) => ({ '@id': apkPurl(binary.name, pair.version, binary.arch) }));
}

/** The statement about one pair. */
export function openVexStatement(id: string, pair: ExportedPair): OpenVexStatement {
  const base = {
    vulnerability: { name: id },
    timestamp: new Date(pair.modified).toISOString(),
    products: products(pair),
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
}

/**
 * One document of every statement, in vulnerability order. Its `@id` ends in a digest of the
 * statements and its timestamp is their latest, so the same data gives the same bytes.
 */
export function openVexDocument(vulnerabilities: readonly ExportedVulnerability[], options: OpenVexOptions): OpenVexDocument {
  const statements = vulnerabilities.flatMap((vulnerability) => vulnerability.pairs.map((pair) => openVexStatement(vulnerability.id, pair)));
  const digest = createHash('sha256').update(JSON.stringify(statements)).digest('hex').slice(0, 32);
  const timestamp = statements.reduce((max, statement) => (statement.timestamp > max ? statement.timestamp : max), '1970-01-01T00:00:00.000Z');
  return { '@context': OPENVEX_CONTEXT, '@id': `${options.idBase}${digest}`, author: options.author, timestamp, version: 1, tooling: 'secfix', statements };
}

/** The document's file text: two-space JSON and a final newline. */
export function formatOpenVex(document: OpenVexDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
