import { formatCpe, parseCpe } from './cpe.js';
import { InputError } from '../base/input-error.js';
import { jsonPath } from './json-path.js';
import { describeJsonValue, isJsonObject } from './json-value.js';

/**
 * CVE JSON 5 records (CVEProject cvelistV5, dataVersion 5.0/5.1) with their ADP containers,
 * notably CISA's "vulnrichment" (formats.md 5.3, 5.4), merged into one normalized record.
 *
 * Merge rule, CNA first: the CNA's CVSS, CWEs and affected entries always stand.
 * - CVSS: an ADP entry is added only for a CVSS version the CNA did not score; every entry keeps
 *   its provider's shortName as `source`.
 * - CWEs: the ADPs' CWEs are used only when the CNA named none.
 * - affected: the ADPs' entries are appended only when no CNA entry lists CPEs, since CISA adds
 *   CPEs (what the engine indexes on) exactly where the CNA gave none.
 * - references: the CNA's, then ADP URLs not already listed.
 * - SSVC and KEV: the first `metrics[].other` of that type in the ADP containers.
 */

export type Cve5State = 'PUBLISHED' | 'REJECTED';
export type Cve5Status = 'affected' | 'unaffected' | 'unknown';
export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

export interface Cve5Description {
  readonly lang: string;
  readonly value: string;
}

export interface Cve5Cvss {
  readonly version: CvssVersion;
  /** Provider shortName of the container that scored it, e.g. "VulDB" or "CISA-ADP". */
  readonly source: string;
  readonly vector: string;
  readonly baseScore: number;
  readonly baseSeverity?: string;
}

export interface Cve5Reference {
  readonly url: string;
  readonly name?: string;
  readonly tags: readonly string[];
}

export interface Cve5VersionChange {
  readonly at: string;
  readonly status: Cve5Status;
}

/** A single version, or a range `version ≤ V < lessThan` (or `≤ lessThanOrEqual`). */
export interface Cve5Version {
  readonly version: string;
  readonly status: Cve5Status;
  readonly versionType?: string;
  readonly lessThan?: string;
  readonly lessThanOrEqual?: string;
  readonly changes: readonly Cve5VersionChange[];
}

export interface Cve5Affected {
  /** Provider shortName of the container that listed it. */
  readonly source: string;
  readonly vendor?: string;
  readonly product?: string;
  readonly collectionUrl?: string;
  readonly packageName?: string;
  /** CPE 2.3 formatted strings; 2.2 URIs are converted. */
  readonly cpes: readonly string[];
  readonly defaultStatus: Cve5Status;
  readonly versions: readonly Cve5Version[];
}

/** A CISA SSVC decision point set (SSVC 2.0.x "CISA Coordinator" options). */
export interface Cve5Ssvc {
  readonly exploitation: 'none' | 'poc' | 'active';
  readonly automatable: 'yes' | 'no';
  readonly technicalImpact: 'partial' | 'total';
  readonly version: string;
  readonly timestamp: string;
}

/** A listing in CISA's Known Exploited Vulnerabilities catalog. */
export interface Cve5Kev {
  /** A calendar date `YYYY-MM-DD` as CISA gives it, or a UTC timestamp when given with a time. */
  readonly dateAdded: string;
  readonly reference: string;
}

export interface Cve5Record {
  readonly id: string;
  readonly state: Cve5State;
  readonly assigner?: string;
  readonly datePublished?: string;
  readonly dateUpdated?: string;
  readonly dateReserved?: string;
  readonly dateRejected?: string;
  readonly rejectedReason?: string;
  readonly title?: string;
  readonly descriptions: readonly Cve5Description[];
  readonly cvss: readonly Cve5Cvss[];
  readonly cwes: readonly string[];
  readonly references: readonly Cve5Reference[];
  readonly affected: readonly Cve5Affected[];
  readonly ssvc?: Cve5Ssvc;
  readonly kev?: Cve5Kev;
}

type Path = readonly (string | number)[];

/** A JSON object seen at a path, with typed, path-aware accessors that throw InputError. */
class JsonObject {
  constructor(
    readonly source: string,
    readonly path: Path,
    private readonly fields: Readonly<Record<string, unknown>>,
  ) {}

  static of(source: string, path: Path, value: unknown): JsonObject {
    if (!isJsonObject(value)) throw new InputError(source, jsonPath(path), `expected an object, found ${describeJsonValue(value)}`);
    return new JsonObject(source, path, value);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.fields, key);
  }

  get(key: string): unknown {
    return this.has(key) ? this.fields[key] : undefined;
  }

  fail(key: string | undefined, problem: string): InputError {
    return new InputError(this.source, jsonPath(key === undefined ? this.path : [...this.path, key]), problem);
  }

  optionalString(key: string): string | undefined {
    if (!this.has(key)) return undefined;
    const value = this.get(key);
    if (typeof value !== 'string') throw this.fail(key, `expected a string, found ${describeJsonValue(value)}`);
    return value;
  }

  string(key: string): string {
    const value = this.optionalString(key);
    if (value === undefined) throw this.fail(key, 'missing');
    return value;
  }

  optionalObject(key: string): JsonObject | undefined {
    return this.has(key) ? JsonObject.of(this.source, [...this.path, key], this.get(key)) : undefined;
  }

  object(key: string): JsonObject {
    const value = this.optionalObject(key);
    if (value === undefined) throw this.fail(key, 'missing');
    return value;
  }

  /** The array at `key` (empty when absent), each item with its path. */
  array(key: string): { readonly value: unknown; readonly path: Path }[] {
    if (!this.has(key)) return [];
    const value = this.get(key);
    if (!Array.isArray(value)) throw this.fail(key, `expected an array, found ${describeJsonValue(value)}`);
    return (value as unknown[]).map((item, index) => ({ value: item, path: [...this.path, key, index] }));
  }

  objects(key: string): JsonObject[] {
    return this.array(key).map(({ value, path }) => JsonObject.of(this.source, path, value));
  }

  strings(key: string): string[] {
    return this.array(key).map(({ value, path }) => {
      if (typeof value !== 'string') {
        throw new InputError(this.source, jsonPath(path), `expected a string, found ${describeJsonValue(value)}`);
      }
      return value;
    });
  }
}

const CVE_ID = /^CVE-[0-9]{4}-[0-9]{4,19}$/;
const CWE_ID = /^CWE-[1-9][0-9]*$/;
const DATA_VERSION = /^5\.[0-9]+(?:\.[0-9]+)?$/;
const STATUSES: readonly Cve5Status[] = ['affected', 'unaffected', 'unknown'];
const CVSS_KEYS: readonly { readonly key: string; readonly version: CvssVersion }[] = [
  { key: 'cvssV4_0', version: '4.0' },
  { key: 'cvssV3_1', version: '3.1' },
  { key: 'cvssV3_0', version: '3.0' },
  { key: 'cvssV2_0', version: '2.0' },
];

/** Parses one CVE JSON 5 record. Bad input throws InputError with a JSON path. */
export function parseCve5(text: string | Buffer, source: string): Cve5Record {
  const root = JsonObject.of(source, [], parseJson(text, source));
  const dataType = root.string('dataType');
  if (dataType !== 'CVE_RECORD') throw root.fail('dataType', `expected "CVE_RECORD", found "${dataType}"`);
  const dataVersion = root.string('dataVersion');
  if (!DATA_VERSION.test(dataVersion)) throw root.fail('dataVersion', `unsupported version "${dataVersion}" (expected 5.x)`);

  const metadata = root.object('cveMetadata');
  const id = metadata.string('cveId');
  if (!CVE_ID.test(id)) throw metadata.fail('cveId', `not a CVE id: "${id}"`);
  const state = metadata.string('state');
  if (state !== 'PUBLISHED' && state !== 'REJECTED') {
    throw metadata.fail('state', `expected "PUBLISHED" or "REJECTED", found "${state}"`);
  }

  const containers = root.optionalObject('containers');
  const cna = containers?.optionalObject('cna');
  if (cna === undefined && state === 'PUBLISHED') {
    throw new InputError(source, jsonPath(['containers', 'cna']), 'missing (required for a PUBLISHED record)');
  }
  const adps = containers?.objects('adp') ?? [];
  const assigner = metadata.optionalString('assignerShortName');

  const record: Cve5Record = {
    id,
    state,
    ...optional('assigner', assigner),
    ...optional('datePublished', optionalTimestamp(metadata, 'datePublished')),
    ...optional('dateUpdated', optionalTimestamp(metadata, 'dateUpdated')),
    ...optional('dateReserved', optionalTimestamp(metadata, 'dateReserved')),
    ...optional('dateRejected', optionalTimestamp(metadata, 'dateRejected')),
    descriptions: [],
    cvss: [],
    cwes: [],
    references: [],
    affected: [],
  };
  if (cna === undefined) return record;
  return { ...record, ...readContainers(cna, adps, assigner ?? 'CNA') };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(text: string | Buffer, source: string): unknown {
  let decoded: string;
  if (typeof text === 'string') {
    decoded = text;
  } else {
    try {
      decoded = utf8.decode(text);
    } catch {
      throw new InputError(source, undefined, 'not valid UTF-8');
    }
  }
  try {
    return JSON.parse(decoded.startsWith('\uFEFF') ? decoded.slice(1) : decoded);
  } catch (error) {
    throw new InputError(source, undefined, `not JSON (${(error as Error).message})`);
  }
}

type ContainerData = Pick<
  Cve5Record,
  'rejectedReason' | 'title' | 'descriptions' | 'cvss' | 'cwes' | 'references' | 'affected' | 'ssvc' | 'kev'
>;

function readContainers(cna: JsonObject, adps: readonly JsonObject[], fallbackSource: string): ContainerData {
  const cnaSource = providerName(cna, fallbackSource);
  const cnaCvss = readCvss(cna, cnaSource);
  const cnaCwes = readCwes(cna);
  const cnaAffected = readAffected(cna, cnaSource);
  const cnaVersions = new Set(cnaCvss.map((entry) => entry.version));
  const useAdpAffected = !cnaAffected.some((entry) => entry.cpes.length > 0);

  const cvss = [...cnaCvss];
  const adpCwes: string[] = [];
  const affected = [...cnaAffected];
  const references = readReferences(cna);
  const seenUrls = new Set(references.map((reference) => reference.url));
  let ssvc: Cve5Ssvc | undefined;
  let kev: Cve5Kev | undefined;

  adps.forEach((adp, index) => {
    const source = providerName(adp, `adp[${index}]`);
    cvss.push(...readCvss(adp, source).filter((entry) => !cnaVersions.has(entry.version)));
    adpCwes.push(...readCwes(adp));
    if (useAdpAffected) affected.push(...readAffected(adp, source));
    for (const reference of readReferences(adp)) {
      if (seenUrls.has(reference.url)) continue;
      seenUrls.add(reference.url);
      references.push(reference);
    }
    for (const other of otherMetrics(adp)) {
      const type = other.string('type');
      if (type === 'ssvc') ssvc ??= readSsvc(other.object('content'));
      else if (type === 'kev') kev ??= readKev(other.object('content'));
    }
  });

  const rejectedReasons = readDescriptions(cna, 'rejectedReasons');
  return {
    ...optional('rejectedReason', preferEnglish(rejectedReasons)),
    ...optional('title', cna.optionalString('title')),
    descriptions: readDescriptions(cna, 'descriptions'),
    cvss,
    cwes: cnaCwes.length > 0 ? cnaCwes : [...new Set(adpCwes)],
    references,
    affected,
    ...optional('ssvc', ssvc),
    ...optional('kev', kev),
  };
}

function providerName(container: JsonObject, fallback: string): string {
  const provider = container.optionalObject('providerMetadata');
  return provider?.optionalString('shortName') ?? provider?.optionalString('orgId') ?? fallback;
}

function preferEnglish(descriptions: readonly Cve5Description[]): string | undefined {
  return (descriptions.find((description) => /^en\b/i.test(description.lang)) ?? descriptions[0])?.value;
}

function readDescriptions(container: JsonObject, key: string): Cve5Description[] {
  return container.objects(key).map((description) => ({
    lang: description.string('lang'),
    value: description.string('value'),
  }));
}

function readCvss(container: JsonObject, source: string): Cve5Cvss[] {
  const entries: Cve5Cvss[] = [];
  for (const metric of container.objects('metrics')) {
    for (const { key, version } of CVSS_KEYS) {
      const cvss = metric.optionalObject(key);
      if (cvss === undefined) continue;
      const baseScore = cvss.get('baseScore');
      if (typeof baseScore !== 'number' || !(baseScore >= 0 && baseScore <= 10)) {
        throw cvss.fail('baseScore', `expected a number from 0 to 10, found ${describeJsonValue(baseScore)}`);
      }
      const baseSeverity = cvss.optionalString('baseSeverity');
      entries.push({ version, source, vector: cvss.string('vectorString'), baseScore, ...optional('baseSeverity', baseSeverity) });
    }
  }
  return entries;
}

function* otherMetrics(container: JsonObject): Generator<JsonObject> {
  for (const metric of container.objects('metrics')) {
    const other = metric.optionalObject('other');
    if (other !== undefined) yield other;
  }
}

function readCwes(container: JsonObject): string[] {
  const cwes = new Set<string>();
  for (const problemType of container.objects('problemTypes')) {
    for (const description of problemType.objects('descriptions')) {
      const cweId = description.optionalString('cweId');
      if (cweId === undefined) continue;
      if (!CWE_ID.test(cweId)) throw description.fail('cweId', `not a CWE id: "${cweId}"`);
      cwes.add(cweId);
    }
  }
  return [...cwes];
}

function readReferences(container: JsonObject): Cve5Reference[] {
  return container.objects('references').map((reference) => ({
    url: reference.string('url'),
    ...optional('name', reference.optionalString('name')),
    tags: reference.strings('tags'),
  }));
}

function readStatus(object: JsonObject, key: string): Cve5Status {
  const status = object.string(key);
  if (!(STATUSES as readonly string[]).includes(status)) {
    throw object.fail(key, `expected one of ${STATUSES.join(', ')}, found "${status}"`);
  }
  return status as Cve5Status;
}

function readAffected(container: JsonObject, source: string): Cve5Affected[] {
  return container.objects('affected').map((entry) => ({
    source,
    ...optional('vendor', entry.optionalString('vendor')),
    ...optional('product', entry.optionalString('product')),
    ...optional('collectionUrl', entry.optionalString('collectionURL')),
    ...optional('packageName', entry.optionalString('packageName')),
    cpes: entry.strings('cpes').map((cpe, index) => normalizeCpe(cpe, entry, index)),
    defaultStatus: entry.has('defaultStatus') ? readStatus(entry, 'defaultStatus') : 'unknown',
    versions: entry.objects('versions').map(readVersion),
  }));
}

function normalizeCpe(cpe: string, entry: JsonObject, index: number): string {
  try {
    return formatCpe(parseCpe(cpe, entry.source));
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const detail = error.place === undefined ? error.problem : `${error.place}: ${error.problem}`;
    throw new InputError(entry.source, jsonPath([...entry.path, 'cpes', index]), detail);
  }
}

function readVersion(version: JsonObject): Cve5Version {
  const lessThan = version.optionalString('lessThan');
  const lessThanOrEqual = version.optionalString('lessThanOrEqual');
  if (lessThan !== undefined && lessThanOrEqual !== undefined) {
    throw version.fail(undefined, 'has both lessThan and lessThanOrEqual');
  }
  return {
    version: version.string('version'),
    status: readStatus(version, 'status'),
    ...optional('versionType', version.optionalString('versionType')),
    ...optional('lessThan', lessThan),
    ...optional('lessThanOrEqual', lessThanOrEqual),
    changes: version.objects('changes').map((change) => ({ at: change.string('at'), status: readStatus(change, 'status') })),
  };
}

const SSVC_CHOICES = {
  exploitation: { label: 'Exploitation', values: ['none', 'poc', 'active'] },
  automatable: { label: 'Automatable', values: ['yes', 'no'] },
  technicalImpact: { label: 'Technical Impact', values: ['partial', 'total'] },
} as const;

function readSsvc(content: JsonObject): Cve5Ssvc {
  const chosen = new Map<string, { readonly value: string; readonly place: JsonObject }>();
  for (const option of content.objects('options')) {
    for (const { label } of Object.values(SSVC_CHOICES)) {
      const value = option.optionalString(label);
      if (value !== undefined) chosen.set(label, { value, place: option });
    }
  }
  const pick = <T extends string>(label: string, values: readonly T[]): T => {
    const choice = chosen.get(label);
    if (choice === undefined) throw content.fail('options', `no "${label}" option`);
    const value = choice.value.toLowerCase();
    if (!(values as readonly string[]).includes(value)) {
      throw choice.place.fail(label, `expected one of ${values.join(', ')}, found "${choice.value}"`);
    }
    return value as T;
  };
  return {
    exploitation: pick(SSVC_CHOICES.exploitation.label, SSVC_CHOICES.exploitation.values),
    automatable: pick(SSVC_CHOICES.automatable.label, SSVC_CHOICES.automatable.values),
    technicalImpact: pick(SSVC_CHOICES.technicalImpact.label, SSVC_CHOICES.technicalImpact.values),
    version: content.string('version'),
    timestamp: timestamp(content, 'timestamp'),
  };
}

const CALENDAR_DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

function readKev(content: JsonObject): Cve5Kev {
  const dateAdded = content.string('dateAdded');
  const day = CALENDAR_DATE.exec(dateAdded);
  if (day !== null && !isCalendarDate(Number(day[1]), Number(day[2]), Number(day[3]))) {
    throw content.fail('dateAdded', `not a date: "${dateAdded}"`);
  }
  return {
    dateAdded: day !== null ? dateAdded : timestamp(content, 'dateAdded'),
    reference: content.string('reference'),
  };
}

/**
 * RFC 3339-style timestamps as the CVE 5 schema defines them; the schema says UTC is assumed
 * when no offset is given (CVE_Record_Format.json, "timestamp" definition). Seconds and the
 * fraction are optional; the fraction's digits are kept as written.
 */
const TIMESTAMP =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(\.[0-9]+)?)?)?(Z|z|[+-][0-9]{2}:?[0-9]{2})?$/;

function optionalTimestamp(object: JsonObject, key: string): string | undefined {
  return object.has(key) ? timestamp(object, key) : undefined;
}

/** The timestamp at `key` in ISO-8601 UTC with `Z`, e.g. `2024-04-18T00:00:04.983Z`. */
function timestamp(object: JsonObject, key: string): string {
  const text = object.string(key);
  const normalized = normalizeTimestamp(text);
  if (normalized === undefined) throw object.fail(key, `not a timestamp: "${text}"`);
  return normalized;
}

function normalizeTimestamp(text: string): string | undefined {
  const match = TIMESTAMP.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((digits) => Number(digits ?? 0));
  const fraction = match[7] ?? '';
  const zone = match[8] ?? 'Z';
  if (year === undefined || month === undefined || day === undefined || !isCalendarDate(year, month, day)) return undefined;
  if (hour === undefined || minute === undefined || second === undefined) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.replace(':', '');
    const offsetHours = Number(digits.slice(1, 3));
    const offsetRest = Number(digits.slice(3, 5));
    if (offsetHours > 23 || offsetRest > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetRest);
  }
  const instant = new Date(0);
  instant.setUTCFullYear(year, month - 1, day);
  instant.setUTCHours(hour, minute - offsetMinutes, second, 0);
  return `${instant.toISOString().slice(0, -5)}${fraction}Z`;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate();
  const isLeap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && !isLeap ? 28 : daysInMonth);
}
