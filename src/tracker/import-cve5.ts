import { createHash } from 'node:crypto';
import { relative } from 'node:path';
import type { Kysely } from 'kysely';
import { type Cve5Affected, type Cve5Record, cve5Configurations, parseCve5 } from '../formats/cve5.js';
import { jsonPath } from '../formats/json-path.js';
import { vulnerabilityIdProblem } from '../formats/names.js';
import { type DownloadOptions, isUrl } from '../sources/acquire.js';
import { isDirectory } from '../sources/aports.js';
import { listFolderFiles, readInputBytes } from '../sources/file.js';
import {
  type Schema,
  type Store,
  type VulnerabilityRecord,
  getVulnerabilityAnnotations,
  markDirty,
  putCve5Affected,
  upsertVulnerabilities,
} from '../store/index.js';
import { type ImportSummary, type ProgressCallback, prepareFile, qualifiedSource, refuseBadName, runImport } from './import-run.js';
import { mergeCve5Record } from './vulnerability-merge.js';
import { CVSS_VERSION_PREFERENCE, englishDescription, flattenCriteria, loadStoredRecords, normalizeReferences } from './vulnerability-record.js';

export interface Cve5ImportOptions {
  /** One CVE JSON 5 record (path or URL), or a folder searched for `CVE-*.json` at any depth (symlinks in it are skipped). */
  readonly location: string;
  /** Retries, size cap and interruption of a URL's download. */
  readonly download?: DownloadOptions | undefined;
  readonly progress?: ProgressCallback;
}

/** A record file: where to read it, and its name in messages. */
interface RecordFile {
  readonly path: string;
  readonly label: string;
}

const RECORDS_PER_BATCH = 2_000;
const RECORD_FILE = /^CVE-\d{4}-\d+\.json$/;

/**
 * Imports CVE JSON 5 records, a folder of them in one transaction, merged with what the store
 * holds by the policy in vulnerability-merge.ts (CVE 5 never erases NVD's configurations).
 * Vulnerabilities whose stored content changed are marked dirty as `vulnerability` `<CVE id>`.
 */
export function importCve5(store: Store, options: Cve5ImportOptions): Promise<ImportSummary> {
  const { location, progress } = options;
  // Records are upserted per CVE id, so the import replaces no target: its writer names none.
  return runImport(store, { kind: 'cve5', location, runSource: qualifiedSource(location, []) }, async (previous) => {
    if (isUrl(location) || !(await isDirectory(location))) {
      return prepareFile({ kind: 'cve5', location, download: options.download }, previous, (path) =>
        Promise.resolve(async (db) => ({ counts: await writeRecords(db, [{ path, label: location }], progress) })),
      );
    }
    const found = await listFolderFiles(location, (name) => RECORD_FILE.test(name));
    const files = found.files.map((path): RecordFile => ({ path, label: path }));
    const { skippedLinks } = found;
    const checksum = await digestFiles(location, files);
    if (checksum === previous?.checksum) return { status: 'unchanged' };
    return {
      status: 'changed',
      checksum,
      etag: null,
      lastModified: null,
      write: async (db) => ({ counts: { ...(await writeRecords(db, files, progress)), skippedLinks } }),
      dispose: () => Promise.resolve(),
    };
  });
}

/** The folder's fingerprint: SHA-256 over each record file's relative place and bytes, in order. */
async function digestFiles(dir: string, files: readonly RecordFile[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    const bytes = await readInputBytes(file.path);
    hash.update(`${relative(dir, file.path)}\u0000${bytes.length}\u0000`).update(bytes);
  }
  return hash.digest('hex');
}

async function writeRecords(db: Kysely<Schema>, files: readonly RecordFile[], progress: ProgressCallback | undefined): Promise<Record<string, number>> {
  const counts = { records: 0, changed: 0, unchanged: 0, enrichedNvd: 0 };
  let batch: VulnerabilityRecord[] = [];
  // Kept apart from the merged record, whatever the merge keeps: the engine's second opinion on NVD's ranges.
  let affected = new Map<string, readonly Cve5Affected[]>();
  const flush = async () => {
    const stored = await getVulnerabilityAnnotations(db, batch.map((record) => record.id));
    const writes: VulnerabilityRecord[] = [];
    const enrichments = new Map<string, { kev: unknown; ssvc: unknown }>();
    for (const record of batch) {
      const merge = mergeCve5Record(record, stored.get(record.id));
      if (merge.action === 'store') writes.push(merge.record);
      else if (merge.action === 'enrich') enrichments.set(record.id, { kev: merge.kev, ssvc: merge.ssvc });
      else counts.unchanged += 1;
    }
    for (const [id, record] of await loadStoredRecords(db, [...enrichments.keys()])) {
      writes.push({ ...record, ...enrichments.get(id) });
    }
    counts.enrichedNvd += enrichments.size;
    const result = await upsertVulnerabilities(db, writes);
    await markDirty(db, 'vulnerability', result.changed);
    counts.changed += result.changed.length;
    counts.unchanged += result.unchanged;
    await markDirty(db, 'vulnerability', await putCve5Affected(db, affected));
    batch = [];
    affected = new Map();
    progress?.(counts.records, files.length);
  };
  for (const file of files) {
    const cve = parseCve5(await readInputBytes(file.path), file.label);
    refuseBadName(vulnerabilityIdProblem(cve.id), file.label, '$.cveMetadata.cveId');
    batch.push(cve5Record(cve, file.label));
    affected.set(cve.id, cve.affected);
    counts.records += 1;
    if (batch.length >= RECORDS_PER_BATCH) await flush();
  }
  await flush();
  return counts;
}

/** A CVE 5 record as the store keeps it (source `cve5`), before merging with the stored one. */
function cve5Record(cve: Cve5Record, source: string): VulnerabilityRecord {
  const cvss = CVSS_VERSION_PREFERENCE.map((version) => cve.cvss.find((score) => score.version === version)).find(
    (score) => score !== undefined,
  );
  const configurations = cve5Configurations(cve.affected);
  const rejected = cve.state === 'REJECTED';
  return {
    id: cve.id,
    source: 'cve5',
    status: rejected ? 'Rejected' : 'Published',
    description: rejected ? (cve.rejectedReason ?? null) : englishDescription(cve.descriptions),
    published: cve.datePublished ?? null,
    lastModified: cve.dateUpdated ?? null,
    cvssScore: cvss?.baseScore ?? null,
    cvssVector: cvss?.vector ?? null,
    cvssVersion: cvss?.version ?? null,
    severity: cvss?.baseSeverity ?? null,
    cwes: cve.cwes,
    aliases: [],
    kev: cve.kev ?? null,
    ssvc: cve.ssvc ?? null,
    configurations,
    references: normalizeReferences(cve.references),
    // The parser already checked every CPE, so this cannot fail on the record's data.
    criteria: flattenCriteria(configurations, source, () => jsonPath(['containers'])),
  };
}
