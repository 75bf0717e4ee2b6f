import { InputError } from '../base/input-error.js';
import type { ExportedPair, ExportedVulnerability } from '../base/export.js';
import { apkPurl } from './purl.js';

/**
 * OSV records (ossf/osv-schema, spec 1.7.5) in osv.dev's REST layout: `all.json` lists
 * `{id, modified}` and each record is `<id>.json`. One record per vulnerability; one `affected`
 * entry per (branch, origin), ecosystem `Alpine:v<branch>` (a branch that is not a release
 * number, such as `edge`, keeps its name), package name = origin, purl
 * `pkg:apk/<namespace>/<origin>?arch=source`, the binary
 * packages in `ecosystem_specific.binaries`. Ranges: a fixed pair `introduced 0` + `fixed V`; an
 * open pair `introduced 0` only; a not-affected pair is left out, never written as `fixed 0`
 * (osv.dev read that as "every version affected"). The record points at the CVE through
 * `upstream`, not `aliases`, as the schema asks of distribution records.
 */

export const OSV_SCHEMA_VERSION = '1.7.5';

export interface OsvOptions {
  /** Prepended to the vulnerability id: `ALPINE-` gives `ALPINE-CVE-2024-1234`. */
  readonly prefix: string;
  /** The purl namespace of the packages (`alpine`, `wolfi`). */
  readonly purlNamespace: string;
  /** The tracker page of a vulnerability, referenced as the advisory; none when absent. */
  readonly advisoryUrl?: ((id: string) => string) | undefined;
}

/** An OSV record as secfix writes it (the fields it uses, in the order it writes them). */
export interface OsvRecord {
  readonly schema_version: string;
  readonly id: string;
  readonly modified: string;
  readonly published?: string;
  /** The id the record is about, when it is not the record's own (a CVE id). */
  readonly upstream?: readonly string[];
  readonly affected: readonly OsvAffected[];
  readonly references?: readonly { readonly type: 'ADVISORY'; readonly url: string }[];
}

interface OsvAffected {
  readonly package: { readonly ecosystem: string; readonly name: string; readonly purl: string };
  readonly ranges: readonly { readonly type: 'ECOSYSTEM'; readonly events: readonly Record<string, string>[] }[];
  readonly ecosystem_specific: { readonly binaries: readonly string[] };
  readonly database_specific: { readonly secfix: { readonly repository: string; readonly status: string; readonly justification?: string } };
}

/** An id prefix osv.dev's schema accepts: a registered database name and `-`, or `x_` and a local name. */
export function checkOsvPrefix(prefix: string): string {
  if (!/^(x_[A-Za-z0-9._-]*|[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*-)$/.test(prefix)) {
    throw new InputError('--prefix', undefined, `"${prefix}" is not an OSV id prefix: a database name ending in "-" (such as ALPINE-) or x_ and a local name`);
  }
  return prefix;
}

/** `3.16` is `Alpine:v3.16`; a branch that is not a release number keeps its name (`Alpine:edge`). */
export function osvEcosystem(branch: string): string {
  return /^\d+\.\d+$/.test(branch) ? `Alpine:v${branch}` : `Alpine:${branch}`;
}

/** OSV timestamps are RFC 3339 in UTC ending in `Z`, which the store's ISO times already are. */
function osvTime(time: string): string {
  return new Date(time).toISOString();
}

function affectedEntry(pair: ExportedPair, purlNamespace: string): OsvAffected | null {
  const { status } = pair;
  if (status.kind === 'not-affected') return null;
  const events: Record<string, string>[] = status.kind === 'fixed' ? [{ introduced: '0' }, { fixed: status.version }] : [{ introduced: '0' }];
  return {
    package: { ecosystem: osvEcosystem(pair.branch), name: pair.package, purl: apkPurl(purlNamespace, pair.package, null, 'source') },
    ranges: [{ type: 'ECOSYSTEM', events }],
    ecosystem_specific: { binaries: [...new Set(pair.binaries.map((binary) => binary.name))].sort() },
    database_specific: { secfix: { repository: pair.repo, status: pair.ruling, ...(pair.justification === null ? {} : { justification: pair.justification }) } },
  };
}

/**
 * The OSV record of one vulnerability; null when no pair is affected or fixed (every pair not
 * affected), because OSV has no way to say "not affected" but leaving the package out.
 */
export function osvRecord(vulnerability: ExportedVulnerability, options: OsvOptions): OsvRecord | null {
  const seen = new Set<string>();
  const affected: OsvAffected[] = [];
  for (const pair of vulnerability.pairs) {
    // An origin in two repositories of a branch is one OSV package: the first repository speaks.
    const key = `${pair.branch}\u0000${pair.package}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const entry = affectedEntry(pair, options.purlNamespace);
    if (entry !== null) affected.push(entry);
  }
  if (affected.length === 0) return null;
  const advisory = options.advisoryUrl?.(vulnerability.id);
  const id = osvId(vulnerability.id, options.prefix);
  return {
    schema_version: OSV_SCHEMA_VERSION,
    id,
    modified: osvTime(vulnerability.modified),
    ...(vulnerability.published === null ? {} : { published: osvTime(vulnerability.published) }),
    ...(id === vulnerability.id ? {} : { upstream: [vulnerability.id] }),
    affected,
    ...(advisory === undefined ? {} : { references: [{ type: 'ADVISORY', url: advisory }] }),
  };
}

/**
 * The OSV id of a vulnerability: the prefix and its id (`ALPINE-CVE-2024-1234`), except that an
 * id already in the prefix's namespace (Alpine's own `ALPINE-13661`) is its own OSV id.
 */
export function osvId(vulnerabilityId: string, prefix: string): string {
  return vulnerabilityId.startsWith(prefix) ? vulnerabilityId : `${prefix}${vulnerabilityId}`;
}

/** A record's file text: two-space JSON and a final newline, the same bytes for the same record. */
export function formatOsvRecord(record: OsvRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** `all.json`: every record's id and modified time, in id order. */
export function formatOsvIndex(entries: readonly { readonly id: string; readonly modified: string }[]): string {
  return `${JSON.stringify(entries.map(({ id, modified }) => ({ id, modified })))}\n`;
}
