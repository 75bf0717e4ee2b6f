import { InputError } from '../base/input-error.js';
import { jsonPath } from './json-path.js';
import { splitJsonArray } from './json-stream.js';
import { type JsonObjectReader, type JsonPathStep, JsonReader, describeJsonValue, quoteInput } from './json-value.js';
import { CVE_ID } from './names.js';

export type NvdOperator = 'AND' | 'OR';
type NvdCvssVersion = '2.0' | '3.0' | '3.1' | '4.0';
type NvdSeverity = 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

interface NvdDescription {
  readonly lang: string;
  readonly value: string;
}

/** One CVSS score from one scorer. 1.1 feeds only carry NVD's own (`nvd@nist.gov`, Primary). */
export interface NvdCvss {
  readonly version: NvdCvssVersion;
  readonly source: string;
  readonly type: 'Primary' | 'Secondary';
  readonly vector: string;
  readonly baseScore: number;
  readonly baseSeverity: NvdSeverity;
}

interface NvdReference {
  readonly url: string;
  /** Who added the reference (2.0 only). */
  readonly source?: string;
  readonly tags: readonly string[];
}

export interface NvdCpeMatch {
  /** False for a platform the product must run on, which is not itself vulnerable. */
  readonly vulnerable: boolean;
  /** CPE 2.3 formatted string. */
  readonly criteria: string;
  /** Key into NVD's Match Criteria API (2.0 only). */
  readonly matchCriteriaId?: string;
  readonly versionStartIncluding?: string;
  readonly versionStartExcluding?: string;
  readonly versionEndIncluding?: string;
  readonly versionEndExcluding?: string;
}

/** CPE matches combined with `operator`, the result inverted when `negate`. */
interface NvdNode {
  readonly operator: NvdOperator;
  readonly negate: boolean;
  readonly matches: readonly NvdCpeMatch[];
}

/**
 * Nodes combined with `operator` (AND for "running on/with" setups). A CVE applies when any of
 * its configurations holds. NVD omits the operator on single-node configurations; it reads as OR.
 */
export interface NvdConfiguration {
  readonly operator: NvdOperator;
  readonly negate: boolean;
  readonly nodes: readonly NvdNode[];
}

/** CISA Known Exploited Vulnerabilities entry, as NVD 2.0 carries it. */
interface NvdKev {
  /** `YYYY-MM-DD` */
  readonly dateAdded: string;
  readonly dueDate?: string;
  readonly requiredAction?: string;
  readonly name?: string;
}

/** One CVE record from NVD, the same shape whichever NVD format it came from. */
export interface NvdCve {
  readonly id: string;
  /** `vulnStatus`, e.g. `Analyzed` or `Rejected` (2.0 only). */
  readonly status?: string;
  /** UTC, `YYYY-MM-DDTHH:MM:SS.sssZ`. */
  readonly published: string;
  readonly lastModified: string;
  readonly descriptions: readonly NvdDescription[];
  readonly cvss: readonly NvdCvss[];
  /** Weakness ids from every source, first seen first, e.g. `CWE-79` or NVD's `NVD-CWE-noinfo`. */
  readonly cwes: readonly string[];
  readonly references: readonly NvdReference[];
  readonly configurations: readonly NvdConfiguration[];
  readonly kev?: NvdKev;
}

/**
 * `api-2.0`: a 2.0 feed or API page (`vulnerabilities[].cve`); `feed-1.1`: a legacy 1.1 feed
 * (`CVE_Items[]`); `cve-2.0`: one bare 2.0 `cve` object.
 */
export type NvdFormat = 'api-2.0' | 'feed-1.1' | 'cve-2.0';

/** What an NVD document says about itself, besides its records. */
export interface NvdHeader {
  readonly format: NvdFormat;
  /** `version` (2.0: "2.0") or `CVE_data_version` (1.1: "4.0"). */
  readonly version?: string;
  /** When NVD generated the document, UTC like the record timestamps. */
  readonly timestamp?: string;
  /** `totalResults` or `CVE_data_numberOfCVEs`: on an API page, more than the page holds. */
  readonly totalResults?: number;
}

/** Records of an NVD document as they are read; `header` is known once the first record is out. */
interface NvdReader extends AsyncIterable<NvdCve> {
  /** The header as read so far (complete once iteration has ended); undefined before. */
  readonly header: NvdHeader | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const SEVERITIES: readonly NvdSeverity[] = ['NONE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const OPERATORS: readonly NvdOperator[] = ['AND', 'OR'];
const METRIC_TYPES: readonly NvdCvss['type'][] = ['Primary', 'Secondary'];
const NVD_SOURCE = 'nvd@nist.gov';
const VERSION_BOUNDS = ['versionStartIncluding', 'versionStartExcluding', 'versionEndIncluding', 'versionEndExcluding'] as const;
const METRICS_2_0: readonly (readonly [string, NvdCvssVersion])[] = [
  ['cvssMetricV40', '4.0'],
  ['cvssMetricV31', '3.1'],
  ['cvssMetricV30', '3.0'],
  ['cvssMetricV2', '2.0'],
];

/** CVSS v2 carries no severity of its own; NVD derives it from the score with these bounds (https://nvd.nist.gov/vuln-metrics/cvss). */
function cvss2Severity(score: number): NvdSeverity {
  return score < 4 ? 'LOW' : score < 7 ? 'MEDIUM' : 'HIGH';
}

/** A reader of one streamed record: errors name its byte offset, then the field's path. */
function recordReader(value: unknown, source: string, byteOffset: number, at: readonly JsonPathStep[]): JsonReader {
  return JsonReader.of(value, source, { at, placeOf: (steps) => `byte ${byteOffset} (${jsonPath(steps)})` });
}

function score(field: JsonReader): number {
  const value = field.asNumber();
  return value >= 0 && value <= 10 ? value : field.fail(`CVSS score ${value} outside 0–10`);
}

function cveId(field: JsonReader): string {
  const id = field.asString();
  return CVE_ID.test(id) ? id : field.fail(`not a CVE id: ${quoteInput(id)}`);
}

function cpe(field: JsonReader): string {
  const text = field.asString();
  return text.startsWith('cpe:2.3:') ? text : field.fail(`not a CPE 2.3 name: ${quoteInput(text)}`);
}

function descriptionsOf(list: JsonReader): NvdDescription[] {
  const items = list.asArray();
  if (items.length === 0) list.fail('no descriptions: at least one is required');
  return items.map((entry) => {
    const item = entry.asObject();
    return { lang: item.string('lang'), value: item.string('value') };
  });
}

function tagsOf(item: JsonObjectReader): string[] {
  return item.optionalArray('tags').map((tag) => tag.asString());
}

function addWeaknesses(list: readonly JsonReader[], cwes: Set<string>): void {
  for (const weakness of list) {
    for (const entry of weakness.asObject().array('description')) cwes.add(entry.asObject().string('value'));
  }
}

function cpeMatchOf(value: JsonReader, criteriaKey: 'criteria' | 'cpe23Uri'): NvdCpeMatch {
  const item = value.asObject();
  const match: Mutable<NvdCpeMatch> = { vulnerable: item.field('vulnerable').asBoolean(), criteria: cpe(item.field(criteriaKey)) };
  const matchCriteriaId = item.optionalString('matchCriteriaId');
  if (matchCriteriaId !== undefined) match.matchCriteriaId = matchCriteriaId;
  for (const bound of VERSION_BOUNDS) {
    const version = item.optionalString(bound);
    if (version !== undefined) match[bound] = version;
  }
  return match;
}

function nodeOf(item: JsonObjectReader, matchesKey: 'cpeMatch' | 'cpe_match'): NvdNode {
  const criteriaKey = matchesKey === 'cpeMatch' ? 'criteria' : 'cpe23Uri';
  return {
    operator: item.field('operator').asOneOf(OPERATORS),
    negate: item.optional('negate')?.asBoolean() ?? false,
    matches: item.optionalArray(matchesKey).map((match) => cpeMatchOf(match, criteriaKey)),
  };
}

function configurations20(list: readonly JsonReader[]): NvdConfiguration[] {
  return list.map((value) => {
    const config = value.asObject();
    return {
      operator: config.optional('operator')?.asOneOf(OPERATORS) ?? 'OR',
      negate: config.optional('negate')?.asBoolean() ?? false,
      nodes: config.array('nodes').map((node) => nodeOf(node.asObject(), 'cpeMatch')),
    };
  });
}

function kevOf(cve: JsonObjectReader): NvdKev | undefined {
  if (!cve.has('cisaExploitAdd')) return undefined;
  const kev: Mutable<NvdKev> = { dateAdded: cve.field('cisaExploitAdd').asDate() };
  const dueDate = cve.optional('cisaActionDue');
  if (dueDate !== undefined) kev.dueDate = dueDate.asDate();
  const requiredAction = cve.optionalString('cisaRequiredAction');
  if (requiredAction !== undefined) kev.requiredAction = requiredAction;
  const name = cve.optionalString('cisaVulnerabilityName');
  if (name !== undefined) kev.name = name;
  return kev;
}

function cvss20(cve: JsonObjectReader): NvdCvss[] {
  const metrics = cve.optionalObject('metrics');
  if (metrics === undefined) return [];
  const scores: NvdCvss[] = [];
  for (const [key, version] of METRICS_2_0) {
    for (const entry of metrics.optionalArray(key)) {
      const metric = entry.asObject();
      const data = metric.object('cvssData');
      const baseScore = score(data.field('baseScore'));
      const baseSeverity =
        version !== '2.0' ? data.field('baseSeverity').asOneOf(SEVERITIES)
        : metric.optional('baseSeverity')?.asOneOf(SEVERITIES) ?? cvss2Severity(baseScore);
      scores.push({
        version,
        source: metric.string('source'),
        type: metric.field('type').asOneOf(METRIC_TYPES),
        vector: data.string('vectorString'),
        baseScore,
        baseSeverity,
      });
    }
  }
  return scores;
}

function record(base: Omit<NvdCve, 'status' | 'kev'>, status: string | undefined, kev: NvdKev | undefined): NvdCve {
  const { id, ...rest } = base;
  return { id, ...(status === undefined ? {} : { status }), ...rest, ...(kev === undefined ? {} : { kev }) };
}

/** One 2.0 `cve` object (an element's `cve`, or a whole raw file). */
function normalizeCve20(value: JsonReader): NvdCve {
  const cve = value.asObject();
  const id = cveId(cve.field('id'));
  const cwes = new Set<string>();
  addWeaknesses(cve.optionalArray('weaknesses'), cwes);
  const base = {
    id,
    published: cve.field('published').asTimestamp(),
    lastModified: cve.field('lastModified').asTimestamp(),
    descriptions: descriptionsOf(cve.field('descriptions')),
    cvss: cvss20(cve),
    cwes: [...cwes],
    references: cve.optionalArray('references').map((item) => {
      const reference = item.asObject();
      const url = reference.string('url');
      const source = reference.optionalString('source');
      const tags = tagsOf(reference);
      return source === undefined ? { url, tags } : { url, source, tags };
    }),
    configurations: configurations20(cve.optionalArray('configurations')),
  };
  return record(base, cve.optionalString('vulnStatus'), kevOf(cve));
}

/**
 * A 1.1 top-level node becomes one configuration: a plain node becomes a one-node configuration;
 * a node with `children` (NVD's "running on/with" AND nodes) becomes a configuration with the
 * node's operator whose nodes are the children, plus the node's own matches, if any, as one more
 * node under the same operator (which leaves the boolean meaning unchanged). The 2.0 shape has
 * only these two levels, so a child with children of its own cannot be expressed and is refused.
 */
function configuration11(value: JsonReader): NvdConfiguration {
  const node = value.asObject();
  const children = node.optionalArray('children');
  if (children.length === 0) return { operator: 'OR', negate: false, nodes: [nodeOf(node, 'cpe_match')] };
  const nodes = children.map((item) => {
    const childNode = item.asObject();
    if (childNode.optionalArray('children').length > 0) {
      childNode.field('children').fail('configuration nested three levels deep: the 2.0 shape has two');
    }
    return nodeOf(childNode, 'cpe_match');
  });
  const own = nodeOf(node, 'cpe_match');
  if (own.matches.length > 0) nodes.push({ operator: own.operator, negate: false, matches: own.matches });
  return { operator: own.operator, negate: own.negate, nodes };
}

function cvss11(item: JsonObjectReader): NvdCvss[] {
  const impact = item.optionalObject('impact');
  if (impact === undefined) return [];
  const scores: NvdCvss[] = [];
  const v3 = impact.optionalObject('baseMetricV3');
  if (v3 !== undefined) {
    const data = v3.object('cvssV3');
    const vector = data.string('vectorString');
    const version =
      vector.startsWith('CVSS:3.1/') ? '3.1'
      : vector.startsWith('CVSS:3.0/') ? '3.0'
      : data.field('vectorString').fail(`expected a CVSS:3.0/ or CVSS:3.1/ vector, found ${quoteInput(vector)}`);
    const baseScore = score(data.field('baseScore'));
    scores.push({ version, source: NVD_SOURCE, type: 'Primary', vector, baseScore, baseSeverity: data.field('baseSeverity').asOneOf(SEVERITIES) });
  }
  const v2 = impact.optionalObject('baseMetricV2');
  if (v2 !== undefined) {
    const data = v2.object('cvssV2');
    const baseScore = score(data.field('baseScore'));
    const baseSeverity = v2.optional('severity')?.asOneOf(SEVERITIES) ?? cvss2Severity(baseScore);
    scores.push({ version: '2.0', source: NVD_SOURCE, type: 'Primary', vector: data.string('vectorString'), baseScore, baseSeverity });
  }
  return scores;
}

/** One `CVE_Items[]` element of a 1.1 feed, converted to the 2.0 vocabulary. */
function normalizeItem11(value: JsonReader): NvdCve {
  const item = value.asObject();
  const cve = item.object('cve');
  const meta = cve.object('CVE_data_meta');
  const description = cve.object('description');
  const cwes = new Set<string>();
  const problemtype = cve.optionalObject('problemtype');
  if (problemtype !== undefined) addWeaknesses(problemtype.optionalArray('problemtype_data'), cwes);
  const references = cve.optionalObject('references');
  const configurations = item.optionalObject('configurations');
  return record(
    {
      id: cveId(meta.field('ID')),
      published: item.field('publishedDate').asTimestamp(),
      lastModified: item.field('lastModifiedDate').asTimestamp(),
      descriptions: descriptionsOf(description.field('description_data')),
      cvss: cvss11(item),
      cwes: [...cwes],
      references: (references?.optionalArray('reference_data') ?? []).map((entry) => {
        const reference = entry.asObject();
        return { url: reference.string('url'), tags: tagsOf(reference) };
      }),
      configurations: (configurations?.optionalArray('nodes') ?? []).map(configuration11),
    },
    undefined,
    undefined,
  );
}

function formatOf(has: (key: string) => boolean): NvdFormat | undefined {
  if (has('vulnerabilities')) return 'api-2.0';
  if (has('CVE_Items')) return 'feed-1.1';
  return has('id') ? 'cve-2.0' : undefined;
}

/** Names of the header members in each feed format. */
const HEADER_NAMES = {
  'api-2.0': { version: 'version', timestamp: 'timestamp', totalResults: 'totalResults' },
  'feed-1.1': { version: 'CVE_data_version', timestamp: 'CVE_data_timestamp', totalResults: 'CVE_data_numberOfCVEs' },
} as const;

/** The header members of a document `source`, checked; `get` reads a top-level member. */
function headerOf(source: string, format: NvdFormat, get: (key: string) => unknown): NvdHeader {
  const header: Mutable<NvdHeader> = { format };
  if (format === 'cve-2.0') return header;
  const names = HEADER_NAMES[format];
  const root = JsonReader.of(Object.fromEntries(['format', ...Object.values(names)].map((key) => [key, get(key)])), source).asObject();
  const documentFormat = root.field('format');
  if (format === 'api-2.0' && !documentFormat.isAbsent && documentFormat.value !== 'NVD_CVE') {
    const found = typeof documentFormat.value === 'string' ? quoteInput(documentFormat.value) : describeJsonValue(documentFormat.value);
    documentFormat.fail(`expected "NVD_CVE", found ${found}`);
  }
  const version = root.optionalString(names.version);
  if (version !== undefined) header.version = version;
  const timestamp = root.optional(names.timestamp)?.asTimestamp();
  if (timestamp !== undefined) header.timestamp = timestamp;
  const total = root.optional(names.totalResults);
  if (total !== undefined) {
    // 1.1 writes the count as a string of digits, 2.0 as a number.
    const text = total.value;
    const count = typeof text === 'string' && /^\d{1,15}$/.test(text) ? Number(text) : text;
    header.totalResults =
      typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count
      : total.fail(`expected a count, found ${typeof text === 'string' ? quoteInput(text) : describeJsonValue(text)}`);
  }
  return header;
}

/**
 * Streams the records of an NVD JSON document: a 2.0 feed or API page, a legacy 1.1 feed, or one
 * bare 2.0 `cve` object. Memory stays bounded by the largest record. Bad input throws InputError
 * naming the byte offset of the record and the JSON path of the field.
 */
export function readNvd(chunks: AsyncIterable<Buffer>, source: string): NvdReader {
  const split = splitJsonArray(chunks, { source, arrayKeys: ['vulnerabilities', 'CVE_Items'], allowMissingArray: true });
  let header: NvdHeader | undefined;
  const readHeader = (format: NvdFormat): NvdHeader => headerOf(source, format, (key) => split.members.get(key));
  return {
    get header() {
      return header;
    },
    async *[Symbol.asyncIterator]() {
      for await (const element of split) {
        const arrayKey = split.arrayKey ?? '';
        const value = recordReader(element.value, source, element.byteOffset, [arrayKey, element.index]);
        if (arrayKey === 'vulnerabilities') {
          header ??= readHeader('api-2.0');
          yield normalizeCve20(value.asObject().field('cve'));
        } else {
          header ??= readHeader('feed-1.1');
          yield normalizeItem11(value);
        }
      }
      const format = formatOf((key) => key === split.arrayKey || split.members.has(key));
      if (format === undefined) throw new InputError(source, '$', NOT_NVD);
      header = readHeader(format);
      if (format === 'cve-2.0') yield normalizeCve20(JsonReader.of(Object.fromEntries(split.members), source));
    },
  };
}

const NOT_NVD = 'not an NVD document: no "vulnerabilities" or "CVE_Items" array and no CVE "id"';
