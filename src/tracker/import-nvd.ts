import type { Kysely } from 'kysely';
import { jsonPath } from '../formats/json-path.js';
import { type NvdFormat, readNvd } from '../formats/nvd.js';
import { vulnerabilityIdProblem } from '../formats/names.js';
import type { DownloadOptions } from '../sources/acquire.js';
import { streamInput } from '../sources/file.js';
import {
  type Schema,
  type Store,
  type VulnerabilityRecord,
  getVulnerabilityAnnotations,
  markDirty,
  upsertVulnerabilities,
} from '../store/index.js';
import { type ImportSummary, type ProgressCallback, prepareFile, qualifiedSource, refuseBadName, runImport } from './import-run.js';
import { type CriterionPlace, nvdRecord } from './vulnerability-record.js';
import { mergeNvdRecord } from './vulnerability-merge.js';

export interface NvdImportOptions {
  /** An NVD 2.0 or 1.1 feed, API page or single 2.0 record (`.json` or `.json.gz`), path or URL. */
  readonly location: string;
  /** Retries, size cap and interruption of a URL's download. */
  readonly download?: DownloadOptions | undefined;
  readonly progress?: ProgressCallback;
}

/** Records written per round: bounds memory while the whole feed is one transaction. */
const RECORDS_PER_BATCH = 2_000;

/**
 * Imports an NVD document, streamed, in one transaction: a bad record anywhere rolls the whole
 * feed back. Only the CVEs it holds are touched (a `modified` feed updates just those), and
 * those whose stored content changed are marked dirty as `vulnerability` `<CVE id>`.
 */
export function importNvd(store: Store, options: NvdImportOptions): Promise<ImportSummary> {
  const { location } = options;
  return runImport(store, { kind: 'nvd', location, runSource: qualifiedSource(location, []) }, (previous) =>
    // Records are upserted per CVE id, so the import replaces no target: it names none.
    prepareFile({ kind: 'nvd', location, download: options.download }, previous, (path) => Promise.resolve(async (db) => ({ counts: await writeFeed(db, path, location, options.progress) }))),
  );
}

async function writeFeed(db: Kysely<Schema>, path: string, source: string, progress: ProgressCallback | undefined): Promise<Record<string, number>> {
  const counts = { records: 0, changed: 0, unchanged: 0, keptCve5: 0 };
  let batch: VulnerabilityRecord[] = [];
  const flush = async (total: number | undefined) => {
    const stored = await getVulnerabilityAnnotations(db, batch.map((record) => record.id));
    const writes: VulnerabilityRecord[] = [];
    for (const record of batch) {
      const merged = mergeNvdRecord(record, stored.get(record.id));
      if (merged === undefined) counts.keptCve5 += 1;
      else writes.push(merged);
    }
    const result = await upsertVulnerabilities(db, writes);
    await markDirty(db, 'vulnerability', result.changed);
    counts.changed += result.changed.length;
    counts.unchanged += result.unchanged;
    batch = [];
    progress?.(counts.records, total);
  };
  const reader = readNvd(streamInput(path), source);
  for await (const cve of reader) {
    refuseBadName(vulnerabilityIdProblem(cve.id), source, `record ${counts.records + 1}`);
    batch.push(nvdRecord(cve, source, criterionPlace(reader.header?.format, counts.records)));
    counts.records += 1;
    if (batch.length >= RECORDS_PER_BATCH) await flush(reader.header?.totalResults);
  }
  await flush(reader.header?.totalResults);
  return counts;
}

/** The JSON path of a criterion in the document, as far as the normalized record still tells it. */
function criterionPlace(format: NvdFormat | undefined, recordIndex: number): CriterionPlace {
  if (format === 'feed-1.1') {
    // 1.1 nests nodes differently from the normalized tree, so only the record's configurations can be named.
    return () => jsonPath(['CVE_Items', recordIndex, 'configurations']);
  }
  const prefix = format === 'cve-2.0' ? [] : ['vulnerabilities', recordIndex, 'cve'];
  return (configuration, node, match) =>
    jsonPath([...prefix, 'configurations', configuration, 'nodes', node, 'cpeMatch', match, 'criteria']);
}
