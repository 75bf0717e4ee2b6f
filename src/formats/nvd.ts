import { InputError, jsonPath } from './input-error.js';
import { findJsonSyntaxError, splitJsonArray } from './json-stream.js';
import { describeJsonValue, isJsonObject } from './json-value.js';

export type NvdOperator = 'AND' | 'OR';
export type NvdCvssVersion = '2.0' | '3.0' | '3.1' | '4.0';
export type NvdSeverity = 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

export interface NvdDescription {
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

export interface NvdReference {
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
export interface NvdNode {
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
export interface NvdKev {
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
export interface NvdReader extends AsyncIterable<NvdCve> {
  /** The header as read so far (complete once iteration has ended); undefined before. */
  readonly header: NvdHeader | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type JsonObject = { readonly [key: string]: unknown };

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
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

/**
 * Turns an NVD timestamp into `YYYY-MM-DDTHH:MM:SS.sssZ`: 2.0 writes `2019-11-14T19:15:13.410`
 * (UTC implied), 1.1 `2019-11-14T19:15Z`, feed `.meta` files `2026-01-19T16:00:01-05:00`.
 * Undefined when the text is no valid date-time.
 */
export function normalizeNvdTimestamp(text: string): string | undefined {
  const parts = TIMESTAMP.exec(text);
  if (parts === null) return undefined;
  const [, date = '', hour = '', minute = '', second = '00', fraction = '', zone] = parts;
  if (!isValidDate(date) || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  // Built as text rather than through Date: this runs twice per record of a 300,000-record feed.
  const utc = `${date}T${hour}:${minute}:${second}.${fraction.padEnd(3, '0').slice(0, 3)}Z`;
  if (zone === undefined || zone === 'Z') return utc;
  const zoneHours = Number(zone.slice(1, 3));
  const zoneMinutes = Number(zone.slice(4, 6));
  if (zoneHours > 23 || zoneMinutes > 59) return undefined;
  const sign = zone.startsWith('-') ? -1 : 1;
  return new Date(Date.parse(utc) - sign * (zoneHours * 60 + zoneMinutes) * 60_000).toISOString();
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function isValidDate(text: string): boolean {
  const parts = DATE.exec(text);
  if (parts === null) return false;
  const [year, month, day] = parts.slice(1).map(Number) as [number, number, number];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  return days !== undefined && day >= 1 && day <= days;
}

/** CVSS v2 carries no severity of its own; NVD derives it from the score with these bounds (https://nvd.nist.gov/vuln-metrics/cvss). */
function cvss2Severity(score: number): NvdSeverity {
  return score < 4 ? 'LOW' : score < 7 ? 'MEDIUM' : 'HIGH';
}

/** Quotes input text in an error message, cut short: a bad value may be megabytes long. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** A JSON path as a chain of steps, extended cheaply and spelled out only for an error. */
interface Path {
  readonly up: Path | undefined;
  readonly step: string | number;
}

function child(up: Path | undefined, step: string | number): Path {
  return { up, step };
}

function pathSteps(path: Path | undefined): (string | number)[] {
  const steps: (string | number)[] = [];
  for (let at = path; at !== undefined; at = at.up) steps.push(at.step);
  return steps.reverse();
}

/** Typed field access on parsed JSON; every mismatch is an InputError naming the field's path. */
class Fields {
  constructor(
    private readonly source: string,
    private readonly byteOffset: number | undefined,
  ) {}

  fail(at: Path | undefined, problem: string): never {
    const path = jsonPath(pathSteps(at));
    throw new InputError(this.source, this.byteOffset === undefined ? path : `byte ${this.byteOffset} (${path})`, problem);
  }

  private wrongType(value: unknown, expected: string, at: Path): never {
    this.fail(at, value === undefined ? `missing (expected ${expected})` : `expected ${expected}, found ${describeJsonValue(value)}`);
  }

  object(value: unknown, at: Path | undefined): JsonObject {
    if (isJsonObject(value)) return value;
    this.fail(at, `expected an object, found ${describeJsonValue(value)}`);
  }

  objectField(obj: JsonObject, key: string, at: Path | undefined): JsonObject {
    const value = obj[key];
    return isJsonObject(value) ? value : this.wrongType(value, 'an object', child(at, key));
  }

  optionalObject(obj: JsonObject, key: string, at: Path | undefined): JsonObject | undefined {
    return obj[key] === undefined ? undefined : this.objectField(obj, key, at);
  }

  array(obj: JsonObject, key: string, at: Path | undefined): readonly unknown[] {
    const value = obj[key];
    return Array.isArray(value) ? value : this.wrongType(value, 'an array', child(at, key));
  }

  optionalArray(obj: JsonObject, key: string, at: Path | undefined): readonly unknown[] {
    return obj[key] === undefined ? [] : this.array(obj, key, at);
  }

  string(obj: JsonObject, key: string, at: Path | undefined): string {
    const value = obj[key];
    return typeof value === 'string' ? value : this.wrongType(value, 'a string', child(at, key));
  }

  optionalString(obj: JsonObject, key: string, at: Path | undefined): string | undefined {
    return obj[key] === undefined ? undefined : this.string(obj, key, at);
  }

  boolean(obj: JsonObject, key: string, at: Path | undefined): boolean {
    const value = obj[key];
    return typeof value === 'boolean' ? value : this.wrongType(value, 'true or false', child(at, key));
  }

  optionalBoolean(obj: JsonObject, key: string, at: Path | undefined): boolean | undefined {
    return obj[key] === undefined ? undefined : this.boolean(obj, key, at);
  }

  score(obj: JsonObject, key: string, at: Path | undefined): number {
    const value = obj[key];
    if (typeof value !== 'number') this.wrongType(value, 'a number', child(at, key));
    if (!(value >= 0 && value <= 10)) this.fail(child(at, key), `CVSS score ${value} outside 0–10`);
    return value;
  }

  oneOf<T extends string>(obj: JsonObject, key: string, at: Path | undefined, allowed: readonly T[]): T {
    const value = this.string(obj, key, at);
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.fail(child(at, key), `expected one of ${allowed.join(', ')}, found ${quote(value)}`);
  }

  timestamp(obj: JsonObject, key: string, at: Path | undefined): string {
    const text = this.string(obj, key, at);
    return normalizeNvdTimestamp(text) ?? this.fail(child(at, key), `not a valid date-time: ${quote(text)}`);
  }

  optionalTimestamp(obj: JsonObject, key: string, at: Path | undefined): string | undefined {
    return obj[key] === undefined ? undefined : this.timestamp(obj, key, at);
  }

  date(obj: JsonObject, key: string, at: Path | undefined): string {
    const text = this.string(obj, key, at);
    return isValidDate(text) ? text : this.fail(child(at, key), `not a valid YYYY-MM-DD date: ${quote(text)}`);
  }

  cveId(obj: JsonObject, key: string, at: Path | undefined): string {
    const id = this.string(obj, key, at);
    return CVE_ID.test(id) ? id : this.fail(child(at, key), `not a CVE id: ${quote(id)}`);
  }

  cpe(obj: JsonObject, key: string, at: Path | undefined): string {
    const text = this.string(obj, key, at);
    return text.startsWith('cpe:2.3:') ? text : this.fail(child(at, key), `not a CPE 2.3 name: ${quote(text)}`);
  }
}

function descriptionsOf(fields: Fields, list: readonly unknown[], at: Path): NvdDescription[] {
  if (list.length === 0) fields.fail(at, 'no descriptions: at least one is required');
  return list.map((value, index) => {
    const itemAt = child(at, index);
    const item = fields.object(value, itemAt);
    return { lang: fields.string(item, 'lang', itemAt), value: fields.string(item, 'value', itemAt) };
  });
}

function tagsOf(fields: Fields, item: JsonObject, at: Path): string[] {
  const tags = fields.optionalArray(item, 'tags', at);
  return tags.map((tag, index) => (typeof tag === 'string' ? tag : fields.fail(child(child(at, 'tags'), index), `expected a string, found ${describeJsonValue(tag)}`)));
}

function addWeaknesses(fields: Fields, list: readonly unknown[], at: Path, cwes: Set<string>): void {
  list.forEach((value, index) => {
    const itemAt = child(at, index);
    const descriptions = fields.array(fields.object(value, itemAt), 'description', itemAt);
    descriptions.forEach((entry, entryIndex) => {
      const entryAt = child(child(itemAt, 'description'), entryIndex);
      cwes.add(fields.string(fields.object(entry, entryAt), 'value', entryAt));
    });
  });
}

function cpeMatchOf(fields: Fields, value: unknown, at: Path, criteriaKey: 'criteria' | 'cpe23Uri'): NvdCpeMatch {
  const item = fields.object(value, at);
  const match: Mutable<NvdCpeMatch> = { vulnerable: fields.boolean(item, 'vulnerable', at), criteria: fields.cpe(item, criteriaKey, at) };
  const matchCriteriaId = fields.optionalString(item, 'matchCriteriaId', at);
  if (matchCriteriaId !== undefined) match.matchCriteriaId = matchCriteriaId;
  for (const bound of VERSION_BOUNDS) {
    const version = fields.optionalString(item, bound, at);
    if (version !== undefined) match[bound] = version;
  }
  return match;
}

function nodeOf(fields: Fields, item: JsonObject, at: Path, matchesKey: 'cpeMatch' | 'cpe_match'): NvdNode {
  const criteriaKey = matchesKey === 'cpeMatch' ? 'criteria' : 'cpe23Uri';
  const matchesAt = child(at, matchesKey);
  return {
    operator: fields.oneOf(item, 'operator', at, OPERATORS),
    negate: fields.optionalBoolean(item, 'negate', at) ?? false,
    matches: fields.optionalArray(item, matchesKey, at).map((match, index) => cpeMatchOf(fields, match, child(matchesAt, index), criteriaKey)),
  };
}

function configurations20(fields: Fields, list: readonly unknown[], at: Path): NvdConfiguration[] {
  return list.map((value, index) => {
    const configAt = child(at, index);
    const config = fields.object(value, configAt);
    const nodesAt = child(configAt, 'nodes');
    return {
      operator: config.operator === undefined ? 'OR' : fields.oneOf(config, 'operator', configAt, OPERATORS),
      negate: fields.optionalBoolean(config, 'negate', configAt) ?? false,
      nodes: fields.array(config, 'nodes', configAt).map((node, nodeIndex) => {
        const nodeAt = child(nodesAt, nodeIndex);
        return nodeOf(fields, fields.object(node, nodeAt), nodeAt, 'cpeMatch');
      }),
    };
  });
}

function kevOf(fields: Fields, cve: JsonObject, at: Path | undefined): NvdKev | undefined {
  if (cve.cisaExploitAdd === undefined) return undefined;
  const kev: Mutable<NvdKev> = { dateAdded: fields.date(cve, 'cisaExploitAdd', at) };
  if (cve.cisaActionDue !== undefined) kev.dueDate = fields.date(cve, 'cisaActionDue', at);
  const requiredAction = fields.optionalString(cve, 'cisaRequiredAction', at);
  if (requiredAction !== undefined) kev.requiredAction = requiredAction;
  const name = fields.optionalString(cve, 'cisaVulnerabilityName', at);
  if (name !== undefined) kev.name = name;
  return kev;
}

function cvss20(fields: Fields, cve: JsonObject, at: Path | undefined): NvdCvss[] {
  const metrics = fields.optionalObject(cve, 'metrics', at);
  if (metrics === undefined) return [];
  const metricsAt = child(at, 'metrics');
  const scores: NvdCvss[] = [];
  for (const [key, version] of METRICS_2_0) {
    const listAt = child(metricsAt, key);
    fields.optionalArray(metrics, key, metricsAt).forEach((value, index) => {
      const metricAt = child(listAt, index);
      const metric = fields.object(value, metricAt);
      const data = fields.objectField(metric, 'cvssData', metricAt);
      const dataAt = child(metricAt, 'cvssData');
      const baseScore = fields.score(data, 'baseScore', dataAt);
      const baseSeverity =
        version !== '2.0' ? fields.oneOf(data, 'baseSeverity', dataAt, SEVERITIES)
        : metric.baseSeverity === undefined ? cvss2Severity(baseScore)
        : fields.oneOf(metric, 'baseSeverity', metricAt, SEVERITIES);
      scores.push({
        version,
        source: fields.string(metric, 'source', metricAt),
        type: fields.oneOf(metric, 'type', metricAt, METRIC_TYPES),
        vector: fields.string(data, 'vectorString', dataAt),
        baseScore,
        baseSeverity,
      });
    });
  }
  return scores;
}

function record(base: Omit<NvdCve, 'status' | 'kev'>, status: string | undefined, kev: NvdKev | undefined): NvdCve {
  const { id, ...rest } = base;
  return { id, ...(status === undefined ? {} : { status }), ...rest, ...(kev === undefined ? {} : { kev }) };
}

/** One 2.0 `cve` object (an element's `cve`, or a whole raw file) at path `at`. */
function normalizeCve20(fields: Fields, value: unknown, at: Path | undefined): NvdCve {
  const cve = fields.object(value, at);
  const id = fields.cveId(cve, 'id', at);
  const cwes = new Set<string>();
  addWeaknesses(fields, fields.optionalArray(cve, 'weaknesses', at), child(at, 'weaknesses'), cwes);
  const referencesAt = child(at, 'references');
  const base = {
    id,
    published: fields.timestamp(cve, 'published', at),
    lastModified: fields.timestamp(cve, 'lastModified', at),
    descriptions: descriptionsOf(fields, fields.array(cve, 'descriptions', at), child(at, 'descriptions')),
    cvss: cvss20(fields, cve, at),
    cwes: [...cwes],
    references: fields.optionalArray(cve, 'references', at).map((item, index) => {
      const itemAt = child(referencesAt, index);
      const reference = fields.object(item, itemAt);
      const url = fields.string(reference, 'url', itemAt);
      const source = fields.optionalString(reference, 'source', itemAt);
      const tags = tagsOf(fields, reference, itemAt);
      return source === undefined ? { url, tags } : { url, source, tags };
    }),
    configurations: configurations20(fields, fields.optionalArray(cve, 'configurations', at), child(at, 'configurations')),
  };
  return record(base, fields.optionalString(cve, 'vulnStatus', at), kevOf(fields, cve, at));
}

/**
 * A 1.1 top-level node becomes one configuration: a plain node becomes a one-node configuration;
 * a node with `children` (NVD's "running on/with" AND nodes) becomes a configuration with the
 * node's operator whose nodes are the children, plus the node's own matches, if any, as one more
 * node under the same operator (which leaves the boolean meaning unchanged). The 2.0 shape has
 * only these two levels, so a child with children of its own cannot be expressed and is refused.
 */
function configuration11(fields: Fields, value: unknown, at: Path): NvdConfiguration {
  const node = fields.object(value, at);
  const children = fields.optionalArray(node, 'children', at);
  if (children.length === 0) return { operator: 'OR', negate: false, nodes: [nodeOf(fields, node, at, 'cpe_match')] };
  const childrenAt = child(at, 'children');
  const nodes = children.map((item, index) => {
    const childAt = child(childrenAt, index);
    const childNode = fields.object(item, childAt);
    if (fields.optionalArray(childNode, 'children', childAt).length > 0) {
      fields.fail(child(childAt, 'children'), 'configuration nested three levels deep: the 2.0 shape has two');
    }
    return nodeOf(fields, childNode, childAt, 'cpe_match');
  });
  const own = nodeOf(fields, node, at, 'cpe_match');
  if (own.matches.length > 0) nodes.push({ operator: own.operator, negate: false, matches: own.matches });
  return { operator: own.operator, negate: own.negate, nodes };
}

function cvss11(fields: Fields, item: JsonObject, at: Path): NvdCvss[] {
  const impact = fields.optionalObject(item, 'impact', at);
  if (impact === undefined) return [];
  const impactAt = child(at, 'impact');
  const scores: NvdCvss[] = [];
  const v3 = fields.optionalObject(impact, 'baseMetricV3', impactAt);
  if (v3 !== undefined) {
    const dataAt = child(child(impactAt, 'baseMetricV3'), 'cvssV3');
    const data = fields.objectField(v3, 'cvssV3', child(impactAt, 'baseMetricV3'));
    const vector = fields.string(data, 'vectorString', dataAt);
    const version = vector.startsWith('CVSS:3.1/') ? '3.1' : vector.startsWith('CVSS:3.0/') ? '3.0' : undefined;
    if (version === undefined) fields.fail(child(dataAt, 'vectorString'), `expected a CVSS:3.0/ or CVSS:3.1/ vector, found ${quote(vector)}`);
    const baseScore = fields.score(data, 'baseScore', dataAt);
    scores.push({ version, source: NVD_SOURCE, type: 'Primary', vector, baseScore, baseSeverity: fields.oneOf(data, 'baseSeverity', dataAt, SEVERITIES) });
  }
  const v2 = fields.optionalObject(impact, 'baseMetricV2', impactAt);
  if (v2 !== undefined) {
    const v2At = child(impactAt, 'baseMetricV2');
    const dataAt = child(v2At, 'cvssV2');
    const data = fields.objectField(v2, 'cvssV2', v2At);
    const baseScore = fields.score(data, 'baseScore', dataAt);
    const baseSeverity = v2.severity === undefined ? cvss2Severity(baseScore) : fields.oneOf(v2, 'severity', v2At, SEVERITIES);
    scores.push({ version: '2.0', source: NVD_SOURCE, type: 'Primary', vector: fields.string(data, 'vectorString', dataAt), baseScore, baseSeverity });
  }
  return scores;
}

/** One `CVE_Items[]` element of a 1.1 feed, converted to the 2.0 vocabulary. */
function normalizeItem11(fields: Fields, value: unknown, at: Path): NvdCve {
  const item = fields.object(value, at);
  const cveAt = child(at, 'cve');
  const cve = fields.objectField(item, 'cve', at);
  const meta = fields.objectField(cve, 'CVE_data_meta', cveAt);
  const description = fields.objectField(cve, 'description', cveAt);
  const descriptionAt = child(cveAt, 'description');
  const cwes = new Set<string>();
  const problemtype = fields.optionalObject(cve, 'problemtype', cveAt);
  if (problemtype !== undefined) {
    const problemtypeAt = child(cveAt, 'problemtype');
    addWeaknesses(fields, fields.optionalArray(problemtype, 'problemtype_data', problemtypeAt), child(problemtypeAt, 'problemtype_data'), cwes);
  }
  const references = fields.optionalObject(cve, 'references', cveAt);
  const referencesAt = child(child(cveAt, 'references'), 'reference_data');
  const configurations = fields.optionalObject(item, 'configurations', at);
  const configurationsAt = child(at, 'configurations');
  const nodesAt = child(configurationsAt, 'nodes');
  return record(
    {
      id: fields.cveId(meta, 'ID', child(cveAt, 'CVE_data_meta')),
      published: fields.timestamp(item, 'publishedDate', at),
      lastModified: fields.timestamp(item, 'lastModifiedDate', at),
      descriptions: descriptionsOf(fields, fields.array(description, 'description_data', descriptionAt), child(descriptionAt, 'description_data')),
      cvss: cvss11(fields, item, at),
      cwes: [...cwes],
      references: (references === undefined ? [] : fields.optionalArray(references, 'reference_data', child(cveAt, 'references'))).map(
        (entry, index) => {
          const entryAt = child(referencesAt, index);
          const reference = fields.object(entry, entryAt);
          return { url: fields.string(reference, 'url', entryAt), tags: tagsOf(fields, reference, entryAt) };
        },
      ),
      configurations: (configurations === undefined ? [] : fields.optionalArray(configurations, 'nodes', configurationsAt)).map((node, index) =>
        configuration11(fields, node, child(nodesAt, index)),
      ),
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

/** The header members of a document, checked; `get` reads a top-level member. */
function headerOf(fields: Fields, format: NvdFormat, get: (key: string) => unknown): NvdHeader {
  const header: Mutable<NvdHeader> = { format };
  if (format === 'cve-2.0') return header;
  const names = HEADER_NAMES[format];
  const root: JsonObject = Object.fromEntries(['format', ...Object.values(names)].map((key) => [key, get(key)]));
  if (format === 'api-2.0' && root.format !== undefined && root.format !== 'NVD_CVE') {
    const found = typeof root.format === 'string' ? quote(root.format) : describeJsonValue(root.format);
    fields.fail(child(undefined, 'format'), `expected "NVD_CVE", found ${found}`);
  }
  const version = fields.optionalString(root, names.version, undefined);
  if (version !== undefined) header.version = version;
  const timestamp = fields.optionalTimestamp(root, names.timestamp, undefined);
  if (timestamp !== undefined) header.timestamp = timestamp;
  const total = root[names.totalResults];
  if (total !== undefined) {
    // 1.1 writes the count as a string of digits, 2.0 as a number.
    const count = typeof total === 'string' && /^\d{1,15}$/.test(total) ? Number(total) : total;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      fields.fail(child(undefined, names.totalResults), `expected a count, found ${typeof total === 'string' ? quote(total) : describeJsonValue(total)}`);
    }
    header.totalResults = count;
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
  const documentFields: Fields = new Fields(source, undefined);
  let header: NvdHeader | undefined;
  const readHeader = (format: NvdFormat): NvdHeader => headerOf(documentFields, format, (key) => split.members.get(key));
  return {
    get header() {
      return header;
    },
    async *[Symbol.asyncIterator]() {
      for await (const element of split) {
        const arrayKey = split.arrayKey ?? '';
        const fields = new Fields(source, element.byteOffset);
        const at = child(child(undefined, arrayKey), element.index);
        if (arrayKey === 'vulnerabilities') {
          header ??= readHeader('api-2.0');
          yield normalizeCve20(fields, fields.objectField(fields.object(element.value, at), 'cve', at), child(at, 'cve'));
        } else {
          header ??= readHeader('feed-1.1');
          yield normalizeItem11(fields, element.value, at);
        }
      }
      const format = formatOf((key) => key === split.arrayKey || split.members.has(key));
      if (format === undefined) documentFields.fail(undefined, 'not an NVD document: no "vulnerabilities" or "CVE_Items" array and no CVE "id"');
      header = readHeader(format);
      if (format === 'cve-2.0') yield normalizeCve20(documentFields, Object.fromEntries(split.members), undefined);
    },
  };
}

/** A whole NVD document in memory (API page, raw `cve` file), read at once. */
export function parseNvdDocument(text: string | Buffer, source: string): { readonly header: NvdHeader; readonly records: NvdCve[] } {
  let document: unknown;
  try {
    document = JSON.parse(typeof text === 'string' ? text : text.toString('utf8'));
  } catch {
    const found = findJsonSyntaxError(typeof text === 'string' ? Buffer.from(text) : text);
    throw new InputError(source, `byte ${found?.offset ?? 0}`, `malformed JSON: ${found?.problem ?? 'rejected by JSON.parse'}`);
  }
  const fields: Fields = new Fields(source, undefined);
  const root = fields.object(document, undefined);
  if (root.vulnerabilities !== undefined && root.CVE_Items !== undefined) fields.fail(undefined, 'both "vulnerabilities" and "CVE_Items": not one NVD format');
  const format = formatOf((key) => root[key] !== undefined);
  if (format === undefined) fields.fail(undefined, 'not an NVD document: no "vulnerabilities" or "CVE_Items" array and no CVE "id"');
  const header = headerOf(fields, format, (key) => root[key]);
  if (format === 'cve-2.0') return { header, records: [normalizeCve20(fields, root, undefined)] };
  const arrayKey = format === 'api-2.0' ? 'vulnerabilities' : 'CVE_Items';
  const records = fields.array(root, arrayKey, undefined).map((element, index) => {
    const at = child(child(undefined, arrayKey), index);
    if (format === 'feed-1.1') return normalizeItem11(fields, element, at);
    return normalizeCve20(fields, fields.objectField(fields.object(element, at), 'cve', at), child(at, 'cve'));
  });
  return { header, records };
}

/** {@link nvdCoreProjection}'s result. */
export interface NvdCoreProjection {
  readonly id: string;
  /** Cut to the minute, `YYYY-MM-DDTHH:MMZ`. */
  readonly published: string;
  readonly lastModified: string;
  readonly descriptions: readonly NvdDescription[];
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
