import { createHash } from 'node:crypto';
import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import { writeRows } from '../bulk-write.js';
import type { NvdConfiguration } from '../../formats/nvd.js';
import { anyJson, configurationsShape, jsonText, readJsonColumn, referencesShape, stringsShape } from '../json-column.js';
import type { CpeCriterionTable, Schema, VulnerabilityTable } from '../schema.js';
import { IN_LIST_SIZE, chunks } from './batches.js';

/** One CPE match from a vulnerability's configurations, at its place in the tree. */
export interface CpeCriterion {
  readonly configurationIndex: number;
  readonly nodeIndex: number;
  readonly matchIndex: number;
  readonly vulnerable: boolean;
  /** The whole CPE 2.3 string. */
  readonly criteria: string;
  readonly vendor: string;
  readonly product: string;
  /** The CPE's target_sw when it is a literal (`python`, `node.js`, ...), else null. */
  readonly targetSw: string | null;
  /** The CPE's version field (`*`, `-` or a version). */
  readonly version: string;
  readonly startIncluding: string | null;
  readonly startExcluding: string | null;
  readonly endIncluding: string | null;
  readonly endExcluding: string | null;
}

export interface VulnerabilityReference {
  readonly url: string;
  readonly tags: readonly string[];
}

/** A vulnerability as an importer read it, with everything stored about it. */
export interface VulnerabilityRecord {
  readonly id: string;
  /** Which feed it came from: `nvd`, `cve5`, ... */
  readonly source: string;
  readonly status: string | null;
  readonly description: string | null;
  readonly published: string | null;
  readonly lastModified: string | null;
  readonly cvssScore: number | null;
  readonly cvssVector: string | null;
  readonly cvssVersion: string | null;
  readonly severity: string | null;
  readonly cwes: readonly string[];
  readonly aliases: readonly string[];
  /** CISA KEV entry, or null when not known exploited. */
  readonly kev: unknown;
  readonly ssvc: unknown;
  /** The source's whole configuration tree. */
  readonly configurations: readonly NvdConfiguration[];
  readonly references: readonly VulnerabilityReference[];
  readonly criteria: readonly CpeCriterion[];
}

interface VulnerabilityUpsertResult {
  /** Ids whose stored content changed (new or different), in input order. */
  readonly changed: string[];
  readonly unchanged: number;
}

/** Records per round of reading hashes and writing; bounds memory, not correctness. */
const RECORDS_PER_ROUND = 2_000;

/**
 * Stores vulnerabilities with their references and criteria, replacing earlier copies. A record
 * identical to the stored one (same content hash) is skipped, so re-importing a feed writes
 * nothing; ids not in `records` are never touched.
 */
export async function upsertVulnerabilities(
  db: Kysely<Schema>,
  records: Iterable<VulnerabilityRecord>,
): Promise<VulnerabilityUpsertResult> {
  // Later duplicates of an id win, as they would if imported one after another.
  const unique = new Map<string, VulnerabilityRecord>();
  for (const record of records) {
    unique.delete(record.id);
    unique.set(record.id, record);
  }
  const changed: string[] = [];
  let unchanged = 0;
  for (const round of chunks([...unique.values()], RECORDS_PER_ROUND)) {
    const stored = await db
      .selectFrom('vulnerability')
      .select(['id', 'content_hash'])
      .where('id', 'in', round.map((record) => record.id))
      .execute();
    const storedHashes = new Map(stored.map((row) => [row.id, row.content_hash]));
    const rows: Insertable<VulnerabilityTable>[] = [];
    const writes: VulnerabilityRecord[] = [];
    for (const record of round) {
      const row = vulnerabilityRow(record);
      if (storedHashes.get(record.id) === row.content_hash) {
        unchanged += 1;
        continue;
      }
      rows.push(row);
      writes.push(record);
    }
    if (writes.length === 0) continue;
    await writeVulnerabilityRows(db, rows, writes, stored.length > 0);
    changed.push(...writes.map((record) => record.id));
  }
  return { changed, unchanged };
}

async function writeVulnerabilityRows(
  db: Kysely<Schema>,
  rows: readonly Insertable<VulnerabilityTable>[],
  records: readonly VulnerabilityRecord[],
  someExisted: boolean,
): Promise<void> {
  await writeRows(db, 'vulnerability', rows, ['id']);
  if (someExisted) {
    for (const batch of chunks(records.map((record) => record.id), IN_LIST_SIZE)) {
      await db.deleteFrom('cpe_criterion').where('vulnerability_id', 'in', batch).execute();
    }
  }
  await writeRows(db, 'cpe_criterion', records.flatMap((record) => record.criteria.map((criterion) => criterionRow(record.id, criterion))));
}

function vulnerabilityRow(record: VulnerabilityRecord): Insertable<VulnerabilityTable> {
  const row = {
    id: record.id,
    source: record.source,
    status: record.status,
    description: record.description,
    published: record.published,
    last_modified: record.lastModified,
    cvss_score: record.cvssScore,
    cvss_vector: record.cvssVector,
    cvss_version: record.cvssVersion,
    severity: record.severity,
    cwes: jsonText(record.cwes),
    aliases: jsonText(record.aliases),
    kev: jsonOrNull(record.kev),
    ssvc: jsonOrNull(record.ssvc),
    configurations: jsonText(record.configurations),
  };
  // The hash covers exactly what is stored, in a fixed order: the fields joined by NUL (SOH marks
  // null) rather than serialized again as JSON, which would escape the long ones a second time.
  const fields = Object.values(row).map((value) => (value === null ? '\u0001' : String(value)));
  fields.push(JSON.stringify(record.references), JSON.stringify(record.criteria));
  const hash = createHash('sha256').update(fields.join('\u0000'));
  return { ...row, reference_list: jsonText(referenceList(record)), content_hash: hash.digest('base64url') };
}

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : jsonText(value);
}

/** One entry per URL, by URL: sources sometimes repeat a URL, and the tags of the repeats are merged. */
function referenceList(record: VulnerabilityRecord): VulnerabilityReference[] {
  const tagsByUrl = new Map<string, Set<string>>();
  for (const reference of record.references) {
    const tags = tagsByUrl.get(reference.url) ?? new Set<string>();
    for (const tag of reference.tags) tags.add(tag);
    tagsByUrl.set(reference.url, tags);
  }
  return [...tagsByUrl]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([url, tags]) => ({ url, tags: [...tags] }));
}

function criterionRow(vulnerabilityId: string, criterion: CpeCriterion): Insertable<CpeCriterionTable> {
  return {
    vulnerability_id: vulnerabilityId,
    configuration_index: criterion.configurationIndex,
    node_index: criterion.nodeIndex,
    match_index: criterion.matchIndex,
    vulnerable: criterion.vulnerable ? 1 : 0,
    criteria: criterion.criteria,
    vendor: criterion.vendor,
    product: criterion.product,
    target_sw: criterion.targetSw,
    version: criterion.version,
    start_including: criterion.startIncluding,
    start_excluding: criterion.startExcluding,
    end_including: criterion.endIncluding,
    end_excluding: criterion.endExcluding,
  };
}

/** A stored criterion with the vulnerability it belongs to. */
export interface StoredCpeCriterion extends CpeCriterion {
  readonly id: number;
  readonly vulnerabilityId: string;
}

function storedCriterion(row: Selectable<CpeCriterionTable>): StoredCpeCriterion {
  return {
    id: row.id,
    vulnerabilityId: row.vulnerability_id,
    configurationIndex: row.configuration_index,
    nodeIndex: row.node_index,
    matchIndex: row.match_index,
    vulnerable: row.vulnerable === 1,
    criteria: row.criteria,
    vendor: row.vendor,
    product: row.product,
    targetSw: row.target_sw,
    version: row.version,
    startIncluding: row.start_including,
    startExcluding: row.start_excluding,
    endIncluding: row.end_including,
    endExcluding: row.end_excluding,
  };
}

async function criteriaWhere(
  db: Kysely<Schema>,
  column: 'product' | 'vulnerability_id',
  values: readonly string[],
): Promise<StoredCpeCriterion[]> {
  const batches = await Promise.all(
    chunks([...new Set(values)], IN_LIST_SIZE).map((batch) =>
      db
        .selectFrom('cpe_criterion')
        .selectAll()
        .where(column, 'in', batch)
        .orderBy('vulnerability_id')
        .orderBy('configuration_index')
        .orderBy('node_index')
        .orderBy('match_index')
        .execute(),
    ),
  );
  return batches.flat().map(storedCriterion);
}

/** Criteria whose CPE product is one of `products`: the candidate vulnerabilities of those packages. */
export function findCriteriaByProducts(db: Kysely<Schema>, products: readonly string[]): Promise<StoredCpeCriterion[]> {
  return criteriaWhere(db, 'product', products);
}

/** A vulnerable criterion's name as the package mapping reads it. */
export interface CriterionName {
  readonly vendor: string;
  readonly product: string;
  readonly targetSw: string | null;
}

/**
 * Every distinct vendor/product/target_sw among vulnerable criteria, or only among those whose
 * product is one of `products`: what the mapping must place.
 */
export async function listVulnerableCriterionNames(db: Kysely<Schema>, products?: readonly string[]): Promise<CriterionName[]> {
  const query = db.selectFrom('cpe_criterion').select(['vendor', 'product', 'target_sw']).distinct().where('vulnerable', '=', 1);
  const rows =
    products === undefined
      ? await query.execute()
      : (await Promise.all(chunks([...new Set(products)], IN_LIST_SIZE).map((batch) => query.where('product', 'in', batch).execute()))).flat();
  return rows.map((row) => ({ vendor: row.vendor, product: row.product, targetSw: row.target_sw }));
}

/** How many vulnerabilities the store holds. */
export async function countVulnerabilities(db: Kysely<Schema>): Promise<number> {
  const row = await db.selectFrom('vulnerability').select((eb) => eb.fn.countAll<number | string | bigint>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** A vulnerable criterion's vendor and product with the number of vulnerabilities naming it. */
interface CriterionProductCount {
  readonly vendor: string;
  readonly product: string;
  readonly vulnerabilities: number;
}

/** Every vendor:product of the vulnerable criteria, with how many vulnerabilities name each. */
export async function countVulnerabilitiesByProduct(db: Kysely<Schema>): Promise<CriterionProductCount[]> {
  const rows = await db
    .selectFrom('cpe_criterion')
    .select(['vendor', 'product', (eb) => eb.fn.count<number | string | bigint>('vulnerability_id').distinct().as('count')])
    .where('vulnerable', '=', 1)
    .groupBy(['vendor', 'product'])
    .orderBy('vendor')
    .orderBy('product')
    .execute();
  return rows.map((row) => ({ vendor: row.vendor, product: row.product, vulnerabilities: Number(row.count) }));
}

/** All criteria of the given vulnerabilities. */
export function findCriteriaByVulnerabilities(
  db: Kysely<Schema>,
  vulnerabilityIds: readonly string[],
): Promise<StoredCpeCriterion[]> {
  return criteriaWhere(db, 'vulnerability_id', vulnerabilityIds);
}

/** A stored vulnerability without its references and criteria. */
export type StoredVulnerability = Omit<VulnerabilityRecord, 'references' | 'criteria'>;

/** The stored vulnerabilities among `ids`; unknown ids are left out. */
export async function getVulnerabilities(db: Kysely<Schema>, ids: readonly string[]): Promise<StoredVulnerability[]> {
  const batches = await Promise.all(
    chunks([...new Set(ids)], IN_LIST_SIZE).map((batch) =>
      db.selectFrom('vulnerability').selectAll().where('id', 'in', batch).orderBy('id').execute(),
    ),
  );
  return batches.flat().map((row) => ({
    id: row.id,
    source: row.source,
    status: row.status,
    description: row.description,
    published: row.published,
    lastModified: row.last_modified,
    cvssScore: row.cvss_score,
    cvssVector: row.cvss_vector,
    cvssVersion: row.cvss_version,
    severity: row.severity,
    cwes: readJsonColumn(row.cwes, stringsShape, 'vulnerability.cwes'),
    aliases: readJsonColumn(row.aliases, stringsShape, 'vulnerability.aliases'),
    kev: row.kev === null ? null : readJsonColumn(row.kev, anyJson, 'vulnerability.kev'),
    ssvc: row.ssvc === null ? null : readJsonColumn(row.ssvc, anyJson, 'vulnerability.ssvc'),
    configurations: readJsonColumn(row.configurations, configurationsShape, 'vulnerability.configurations'),
  }));
}

/** A stored vulnerability's origin and configuration tree: what computing states reads of it. */
export interface VulnerabilityConfigurations {
  readonly id: string;
  readonly source: string;
  readonly configurations: readonly NvdConfiguration[];
}

/**
 * The configuration trees of the stored vulnerabilities among `ids`, with their source; unknown
 * ids are left out. Reads no other column: descriptions and references are most of a row.
 */
export async function getVulnerabilityConfigurations(db: Kysely<Schema>, ids: readonly string[]): Promise<VulnerabilityConfigurations[]> {
  const batches = await Promise.all(
    chunks([...new Set(ids)], IN_LIST_SIZE).map((batch) => db.selectFrom('vulnerability').select(['id', 'source', 'configurations']).where('id', 'in', batch).execute()),
  );
  return batches.flat().map((row) => ({ id: row.id, source: row.source, configurations: readJsonColumn(row.configurations, configurationsShape, 'vulnerability.configurations') }));
}

/** The references of one vulnerability, in URL order; none for an unknown id. */
export async function listVulnerabilityReferences(
  db: Kysely<Schema>,
  vulnerabilityId: string,
): Promise<readonly VulnerabilityReference[]> {
  const row = await db.selectFrom('vulnerability').select('reference_list').where('id', '=', vulnerabilityId).executeTakeFirst();
  return row === undefined ? [] : readJsonColumn(row.reference_list, referencesShape, 'vulnerability.reference_list');
}

/** What importers of different feeds merge on: a stored record's origin, analysis and enrichments. */
export interface VulnerabilityAnnotations {
  readonly source: string;
  /** Whether the stored configuration tree has any configuration. */
  readonly hasConfigurations: boolean;
  readonly kev: unknown;
  readonly ssvc: unknown;
}

/** The annotations of the stored vulnerabilities among `ids`, by id; unknown ids are left out. */
export async function getVulnerabilityAnnotations(
  db: Kysely<Schema>,
  ids: readonly string[],
): Promise<Map<string, VulnerabilityAnnotations>> {
  const batches = await Promise.all(
    chunks([...new Set(ids)], IN_LIST_SIZE).map((batch) =>
      db
        .selectFrom('vulnerability')
        .select(['id', 'source', 'kev', 'ssvc'])
        // Compared in SQL so the (possibly large) tree is not sent back; `[]` is how an empty one is stored.
        .select(sql<number>`case when configurations = '[]' then 0 else 1 end`.as('has_configurations'))
        .where('id', 'in', batch)
        .execute(),
    ),
  );
  return new Map(
    batches.flat().map((row) => [
      row.id,
      {
        source: row.source,
        hasConfigurations: Number(row.has_configurations) === 1,
        kev: row.kev === null ? null : readJsonColumn(row.kev, anyJson, 'vulnerability.kev'),
        ssvc: row.ssvc === null ? null : readJsonColumn(row.ssvc, anyJson, 'vulnerability.ssvc'),
      },
    ]),
  );
}
