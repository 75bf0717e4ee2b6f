import type { ExportedPair, ExportedVulnerability } from '../base/export.js';
import { apkPurl } from './purl.js';
import { groupBy } from '../base/group-by.js';

/**
 * CSAF 2.0 documents in the VEX profile (OASIS csaf-v2.0, section 4.5), one per vulnerability.
 * The product tree is vendor (the distribution) > product_family (a branch) > product_name (an
 * origin) > product_version (the version the branch's repository publishes); a pair whose
 * repository publishes no version is the range `vers:apk/*`. A product id names branch,
 * repository, origin and version, so the same data always gives the same ids. Statuses are the
 * ones every export shares (`ExportStatus`): known_not_affected with a flag (the VEX
 * justification, CSAF's labels are OpenVEX's) and an impact threat (the note); known_affected
 * with a remediation (vendor_fix with the version, or none_available / no_fix_planned); fixed
 * with a vendor_fix; under_investigation. Times come from the data, never the clock.
 */

export const CSAF_VERSION = '2.0';

/** The flag labels CSAF 2.0 allows; the same five words as OpenVEX's justifications. */
const CSAF_FLAG_LABELS = [
  'component_not_present',
  'inline_mitigations_already_exist',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_not_present',
] as const;
type CsafFlagLabel = (typeof CSAF_FLAG_LABELS)[number];

export interface CsafOptions {
  /** The distribution: the vendor in the product tree and the publisher's name. */
  readonly distribution: string;
  /** The publisher's namespace: the URL of the tracker that publishes the documents. */
  readonly namespace: string;
  /** The purl namespace of the packages (`alpine`, `wolfi`). */
  readonly purlNamespace: string;
  /** Only this branch's pairs are in the documents: its name ends each tracking id. */
  readonly branch?: string | undefined;
  /** The tracker page of a vulnerability, referenced by its document; none when absent. */
  readonly advisoryUrl?: ((id: string) => string) | undefined;
}

interface CsafProduct {
  readonly name: string;
  readonly product_id: string;
  readonly product_identification_helper: { readonly purl: string };
}

interface CsafBranch {
  readonly category: 'vendor' | 'product_family' | 'product_name' | 'product_version' | 'product_version_range';
  readonly name: string;
  readonly branches?: readonly CsafBranch[];
  readonly product?: CsafProduct;
}

interface CsafNote {
  readonly category: 'summary' | 'details' | 'general';
  readonly title: string;
  readonly text: string;
}

interface CsafRemediation {
  readonly category: 'vendor_fix' | 'none_available' | 'no_fix_planned';
  readonly details: string;
  readonly product_ids: readonly string[];
}

interface CsafProductStatus {
  readonly fixed?: readonly string[];
  readonly known_affected?: readonly string[];
  readonly known_not_affected?: readonly string[];
  readonly under_investigation?: readonly string[];
}

interface CsafVulnerability {
  readonly cve?: string;
  readonly ids?: readonly { readonly system_name: string; readonly text: string }[];
  readonly notes: readonly CsafNote[];
  readonly product_status: CsafProductStatus;
  readonly flags?: readonly { readonly label: CsafFlagLabel; readonly product_ids: readonly string[] }[];
  readonly remediations?: readonly CsafRemediation[];
  readonly threats?: readonly { readonly category: 'impact'; readonly details: string; readonly product_ids: readonly string[] }[];
}

/** A CSAF document as secfix writes it (the fields it uses, in the order it writes them). */
export interface CsafDocument {
  readonly document: {
    readonly category: 'csaf_vex';
    readonly csaf_version: string;
    readonly distribution: { readonly tlp: { readonly label: 'WHITE' } };
    readonly lang: 'en';
    readonly notes: readonly CsafNote[];
    readonly publisher: { readonly category: 'vendor'; readonly name: string; readonly namespace: string };
    readonly references?: readonly { readonly category: 'external'; readonly summary: string; readonly url: string }[];
    readonly title: string;
    readonly tracking: {
      readonly current_release_date: string;
      readonly generator: { readonly engine: { readonly name: 'secfix' } };
      readonly id: string;
      readonly initial_release_date: string;
      readonly revision_history: readonly { readonly date: string; readonly number: string; readonly summary: string }[];
      readonly status: 'final';
      readonly version: string;
    };
  };
  readonly product_tree: { readonly branches: readonly CsafBranch[] };
  readonly vulnerabilities: readonly CsafVulnerability[];
}

/** The tracking id of a vulnerability's document: its id, and the branch when the export has one. */
export function csafTrackingId(vulnerabilityId: string, branch?: string): string {
  return branch === undefined ? vulnerabilityId : `${vulnerabilityId}-${branch}`;
}

/** CSAF's file name rule (section 5.1): the tracking id in lower case, each run of other than `a-z0-9+-` as `_`, and `.json`. */
export function csafFileName(trackingId: string): string {
  return `${trackingId.toLowerCase().replace(/[^+\-a-z0-9]+/g, '_')}.json`;
}

const csafTime = (time: string) => new Date(time).toISOString();

/** The id of a pair's product: branch, repository, origin and version (`*` for none). */
function productId(pair: ExportedPair): string {
  return `${pair.branch}/${pair.repo}/${pair.package}@${pair.version ?? '*'}`;
}

function productLeaf(pair: ExportedPair, options: CsafOptions): CsafBranch {
  const { distribution } = options;
  const product: CsafProduct = {
    name: `${distribution} ${pair.branch} ${pair.repo}/${pair.package} ${pair.version ?? '(no published version)'}`,
    product_id: productId(pair),
    product_identification_helper: { purl: apkPurl(options.purlNamespace, pair.package, pair.version, 'source') },
  };
  return pair.version === null ? { category: 'product_version_range', name: 'vers:apk/*', product } : { category: 'product_version', name: pair.version, product };
}

function productTree(pairs: readonly ExportedPair[], options: CsafOptions): CsafDocument['product_tree'] {
  const { distribution } = options;
  const families = [...groupBy(pairs, (pair) => pair.branch)].map(([branch, ofBranch]): CsafBranch => ({
    category: 'product_family',
    name: `${distribution} ${branch}`,
    branches: [...groupBy(ofBranch, (pair) => pair.package)].map(([origin, ofOrigin]): CsafBranch => ({
      category: 'product_name',
      name: origin,
      branches: ofOrigin.map((pair) => productLeaf(pair, options)),
    })),
  }));
  return { branches: [{ category: 'vendor', name: distribution, branches: families }] };
}

function remediation(pair: ExportedPair): CsafRemediation | null {
  const { status } = pair;
  const productIds = [productId(pair)];
  switch (status.kind) {
    case 'fixed':
      return { category: 'vendor_fix', details: `Fixed in ${pair.package} ${status.version}: update to it or later.`, product_ids: productIds };
    case 'affected':
      if (status.fixVersion !== null) return { category: 'vendor_fix', details: `${status.action} (fixed in ${pair.package} ${status.fixVersion})`, product_ids: productIds };
      return { category: status.fixPlanned ? 'none_available' : 'no_fix_planned', details: status.action, product_ids: productIds };
    case 'under-investigation':
    case 'not-affected':
      return null;
  }
}

const isFlagLabel = (label: string | null): label is CsafFlagLabel => CSAF_FLAG_LABELS.includes(label as CsafFlagLabel);

function vulnerabilityEntry(vulnerability: ExportedVulnerability, distribution: string): CsafVulnerability {
  const { pairs } = vulnerability;
  const idsWith = (kind: ExportedPair['status']['kind']) => pairs.filter((pair) => pair.status.kind === kind).map(productId);
  const statusLists: [keyof CsafProductStatus, string[]][] = [
    ['fixed', idsWith('fixed')],
    ['known_affected', idsWith('affected')],
    ['known_not_affected', idsWith('not-affected')],
    ['under_investigation', idsWith('under-investigation')],
  ];
  const notAffected = pairs.flatMap((pair) => (pair.status.kind === 'not-affected' ? [{ pair, status: pair.status }] : []));
  const flags = [
    ...groupBy(
      notAffected.filter(({ status }) => isFlagLabel(status.vexJustification)),
      ({ status }) => status.vexJustification!,
    ),
  ].map(([label, entries]) => ({ label: label as CsafFlagLabel, product_ids: entries.map(({ pair }) => productId(pair)) }));
  const threats = [...groupBy(notAffected, ({ status }) => status.impact)].map(([details, entries]) => ({
    category: 'impact' as const,
    details,
    product_ids: entries.map(({ pair }) => productId(pair)),
  }));
  const remediations = pairs.flatMap((pair) => remediation(pair) ?? []);
  const counts = statusLists.filter(([, ids]) => ids.length > 0).map(([name, ids]) => `${ids.length} ${name}`);
  const isCve = /^CVE-\d{4}-\d{4,}$/.test(vulnerability.id);
  return {
    ...(isCve ? { cve: vulnerability.id } : { ids: [{ system_name: vulnerability.id.split('-', 1)[0]!, text: vulnerability.id }] }),
    notes: [
      { category: 'summary', title: 'Status in this distribution', text: `${vulnerability.id} in ${distribution} packages: ${counts.join(', ')}.` },
      { category: 'details', title: 'secfix rulings', text: pairs.map((pair) => `${productId(pair)}: ${pair.ruling}${pair.justification === null ? '' : ` (${pair.justification})`}`).join('\n') },
    ],
    product_status: Object.fromEntries(statusLists.filter(([, ids]) => ids.length > 0)),
    ...(flags.length === 0 ? {} : { flags }),
    ...(remediations.length === 0 ? {} : { remediations }),
    ...(threats.length === 0 ? {} : { threats }),
  };
}

/**
 * The revision history: one revision per distinct time in `changes` (the times the
 * vulnerability's states and triage changed) and its `modified` time, numbered from 1, so a new
 * change adds a revision and the version only grows.
 */
function revisionHistory(changes: readonly string[], modified: string): CsafDocument['document']['tracking']['revision_history'] {
  const times = [...new Set([...changes, modified].map(csafTime))].sort();
  return times.map((date, index) => ({ date, number: String(index + 1), summary: index === 0 ? 'First statuses published.' : 'Statuses or triage changed.' }));
}

/**
 * The CSAF VEX document of one vulnerability. `changes` are the times its states and triage
 * changed (in any order), which become the revision history.
 */
export function csafDocument(vulnerability: ExportedVulnerability, changes: readonly string[], options: CsafOptions): CsafDocument {
  const { distribution } = options;
  const revisions = revisionHistory(changes, vulnerability.modified);
  const advisory = options.advisoryUrl?.(vulnerability.id);
  const scope = options.branch === undefined ? '' : ` ${options.branch}`;
  return {
    document: {
      category: 'csaf_vex',
      csaf_version: CSAF_VERSION,
      distribution: { tlp: { label: 'WHITE' } },
      lang: 'en',
      notes: [{ category: 'general', title: 'About this document', text: `Whether ${distribution}${scope} packages are affected by ${vulnerability.id}, as the distribution's security tracker (secfix) records it.` }],
      publisher: { category: 'vendor', name: distribution, namespace: options.namespace },
      ...(advisory === undefined ? {} : { references: [{ category: 'external' as const, summary: `${vulnerability.id} in the ${distribution} security tracker`, url: advisory }] }),
      title: `${distribution}${scope} VEX: ${vulnerability.id}`,
      tracking: {
        current_release_date: revisions.at(-1)!.date,
        generator: { engine: { name: 'secfix' } },
        id: csafTrackingId(vulnerability.id, options.branch),
        initial_release_date: revisions[0]!.date,
        revision_history: revisions,
        status: 'final',
        version: revisions.at(-1)!.number,
      },
    },
    product_tree: productTree(vulnerability.pairs, options),
    vulnerabilities: [vulnerabilityEntry(vulnerability, distribution)],
  };
}

/** A document's file text: two-space JSON and a final newline, the same bytes for the same document. */
export function formatCsaf(document: CsafDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** One published document: its file name and current release date. */
export interface CsafIndexEntry {
  readonly file: string;
  readonly currentReleaseDate: string;
}

/** A document's line in `index.txt` and `changes.csv`: its file name and latest release. */
export function csafIndexEntry(document: CsafDocument): CsafIndexEntry {
  return { file: csafFileName(document.document.tracking.id), currentReleaseDate: document.document.tracking.current_release_date };
}

/** `index.txt` (CSAF requirement 12): every file name, one a line, in the order given. */
export function formatCsafIndex(entries: readonly CsafIndexEntry[]): string {
  return entries.map((entry) => `${entry.file}\n`).join('');
}

/** `changes.csv` (CSAF requirement 13): file name and current release date, latest first, no heading. */
export function formatCsafChanges(entries: readonly CsafIndexEntry[]): string {
  const key = (entry: CsafIndexEntry) => `${entry.currentReleaseDate}\u0000${entry.file}`;
  const sorted = [...entries].sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
  return sorted.map((entry) => `"${entry.file}","${entry.currentReleaseDate}"\n`).join('');
}
