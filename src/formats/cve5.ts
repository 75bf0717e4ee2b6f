import { formatCpe, parseCpe } from './cpe.js';
import { InputError } from '../base/input-error.js';
import { type JsonObjectReader, JsonReader, quoteInput } from './json-value.js';
import { CVE_ID } from './names.js';
import type { NvdConfiguration, NvdCpeMatch } from './nvd.js';

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

const CWE_ID = /^CWE-[1-9][0-9]*$/;
const DATA_VERSION = /^5\.[0-9]+(?:\.[0-9]+)?$/;
const STATES: readonly Cve5State[] = ['PUBLISHED', 'REJECTED'];
const STATUSES: readonly Cve5Status[] = ['affected', 'unaffected', 'unknown'];
const CVSS_KEYS: readonly { readonly key: string; readonly version: CvssVersion }[] = [
  { key: 'cvssV4_0', version: '4.0' },
  { key: 'cvssV3_1', version: '3.1' },
  { key: 'cvssV3_0', version: '3.0' },
  { key: 'cvssV2_0', version: '2.0' },
];

/** Parses one CVE JSON 5 record. Bad input throws InputError with a JSON path. */
export function parseCve5(text: string | Buffer, source: string): Cve5Record {
  const root = JsonReader.of(parseJson(text, source), source).asObject();
  const dataType = root.string('dataType');
  if (dataType !== 'CVE_RECORD') root.field('dataType').fail(`expected "CVE_RECORD", found ${quoteInput(dataType)}`);
  const dataVersion = root.string('dataVersion');
  if (!DATA_VERSION.test(dataVersion)) root.field('dataVersion').fail(`unsupported version ${quoteInput(dataVersion)} (expected 5.x)`);

  const metadata = root.object('cveMetadata');
  const id = metadata.string('cveId');
  if (!CVE_ID.test(id)) metadata.field('cveId').fail(`not a CVE id: ${quoteInput(id)}`);
  const state = metadata.field('state').asOneOf(STATES);

  const containers = root.optionalObject('containers');
  const cna = containers?.optionalObject('cna');
  if (cna === undefined && state === 'PUBLISHED') {
    JsonReader.of(undefined, source, { at: ['containers', 'cna'] }).fail('missing (required for a PUBLISHED record)');
  }
  const adps = containers?.optionalArray('adp').map((adp) => adp.asObject()) ?? [];
  const assigner = metadata.optionalString('assignerShortName');

  const record: Cve5Record = {
    id,
    state,
    ...optional('assigner', assigner),
    ...optional('datePublished', metadata.optional('datePublished')?.asTimestamp()),
    ...optional('dateUpdated', metadata.optional('dateUpdated')?.asTimestamp()),
    ...optional('dateReserved', metadata.optional('dateReserved')?.asTimestamp()),
    ...optional('dateRejected', metadata.optional('dateRejected')?.asTimestamp()),
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

/** The objects of the array `name` (none when it is absent). */
function objects(object: JsonObjectReader, name: string): JsonObjectReader[] {
  return object.optionalArray(name).map((item) => item.asObject());
}

type ContainerData = Pick<
  Cve5Record,
  'rejectedReason' | 'title' | 'descriptions' | 'cvss' | 'cwes' | 'references' | 'affected' | 'ssvc' | 'kev'
>;

function readContainers(cna: JsonObjectReader, adps: readonly JsonObjectReader[], fallbackSource: string): ContainerData {
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

function providerName(container: JsonObjectReader, fallback: string): string {
  const provider = container.optionalObject('providerMetadata');
  return provider?.optionalString('shortName') ?? provider?.optionalString('orgId') ?? fallback;
}

function preferEnglish(descriptions: readonly Cve5Description[]): string | undefined {
  return (descriptions.find((description) => /^en\b/i.test(description.lang)) ?? descriptions[0])?.value;
}

function readDescriptions(container: JsonObjectReader, name: string): Cve5Description[] {
  return objects(container, name).map((description) => ({
    lang: description.string('lang'),
    value: description.string('value'),
  }));
}

function readCvss(container: JsonObjectReader, source: string): Cve5Cvss[] {
  const entries: Cve5Cvss[] = [];
  for (const metric of objects(container, 'metrics')) {
    for (const { key, version } of CVSS_KEYS) {
      const cvss = metric.optionalObject(key);
      if (cvss === undefined) continue;
      const scoreField = cvss.field('baseScore');
      const baseScore = scoreField.asNumber();
      if (!(baseScore >= 0 && baseScore <= 10)) scoreField.fail(`expected a number from 0 to 10, found ${baseScore}`);
      const baseSeverity = cvss.optionalString('baseSeverity');
      entries.push({ version, source, vector: cvss.string('vectorString'), baseScore, ...optional('baseSeverity', baseSeverity) });
    }
  }
  return entries;
}

function* otherMetrics(container: JsonObjectReader): Generator<JsonObjectReader> {
  for (const metric of objects(container, 'metrics')) {
    const other = metric.optionalObject('other');
    if (other !== undefined) yield other;
  }
}

function readCwes(container: JsonObjectReader): string[] {
  const cwes = new Set<string>();
  for (const problemType of objects(container, 'problemTypes')) {
    for (const description of objects(problemType, 'descriptions')) {
      const cweId = description.optionalString('cweId');
      if (cweId === undefined) continue;
      if (!CWE_ID.test(cweId)) description.field('cweId').fail(`not a CWE id: ${quoteInput(cweId)}`);
      cwes.add(cweId);
    }
  }
  return [...cwes];
}

function readReferences(container: JsonObjectReader): Cve5Reference[] {
  return objects(container, 'references').map((reference) => ({
    url: reference.string('url'),
    ...optional('name', reference.optionalString('name')),
    tags: reference.optionalArray('tags').map((tag) => tag.asString()),
  }));
}

function readAffected(container: JsonObjectReader, source: string): Cve5Affected[] {
  return objects(container, 'affected').map((entry) => ({
    source,
    ...optional('vendor', entry.optionalString('vendor')),
    ...optional('product', entry.optionalString('product')),
    ...optional('collectionUrl', entry.optionalString('collectionURL')),
    ...optional('packageName', entry.optionalString('packageName')),
    cpes: entry.optionalArray('cpes').map(normalizeCpe),
    defaultStatus: entry.optional('defaultStatus')?.asOneOf(STATUSES) ?? 'unknown',
    versions: objects(entry, 'versions').map(readVersion),
  }));
}

/** A CPE 2.3 formatted string, from a 2.3 string or a 2.2 URI; a bad one is refused at its place. */
function normalizeCpe(field: JsonReader): string {
  const cpe = field.asString();
  try {
    return formatCpe(parseCpe(cpe, field.source));
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return field.fail(error.place === undefined ? error.problem : `${error.place}: ${error.problem}`);
  }
}

function readVersion(version: JsonObjectReader): Cve5Version {
  const lessThan = version.optionalString('lessThan');
  const lessThanOrEqual = version.optionalString('lessThanOrEqual');
  if (lessThan !== undefined && lessThanOrEqual !== undefined) version.fail('has both lessThan and lessThanOrEqual');
  return {
    version: version.string('version'),
    status: version.field('status').asOneOf(STATUSES),
    ...optional('versionType', version.optionalString('versionType')),
    ...optional('lessThan', lessThan),
    ...optional('lessThanOrEqual', lessThanOrEqual),
    changes: objects(version, 'changes').map((change) => ({ at: change.string('at'), status: change.field('status').asOneOf(STATUSES) })),
  };
}

const SSVC_CHOICES = {
  exploitation: { label: 'Exploitation', values: ['none', 'poc', 'active'] },
  automatable: { label: 'Automatable', values: ['yes', 'no'] },
  technicalImpact: { label: 'Technical Impact', values: ['partial', 'total'] },
} as const;

function readSsvc(content: JsonObjectReader): Cve5Ssvc {
  const chosen = new Map<string, JsonReader>();
  for (const option of objects(content, 'options')) {
    for (const { label } of Object.values(SSVC_CHOICES)) {
      const value = option.optional(label);
      if (value !== undefined) chosen.set(label, value);
    }
  }
  const pick = <T extends string>(label: string, values: readonly T[]): T => {
    const choice = chosen.get(label) ?? content.field('options').fail(`no "${label}" option`);
    const written = choice.asString();
    const value = written.toLowerCase();
    if (!(values as readonly string[]).includes(value)) choice.fail(`expected one of ${values.join(', ')}, found ${quoteInput(written)}`);
    return value as T;
  };
  return {
    exploitation: pick(SSVC_CHOICES.exploitation.label, SSVC_CHOICES.exploitation.values),
    automatable: pick(SSVC_CHOICES.automatable.label, SSVC_CHOICES.automatable.values),
    technicalImpact: pick(SSVC_CHOICES.technicalImpact.label, SSVC_CHOICES.technicalImpact.values),
    version: content.string('version'),
    timestamp: content.field('timestamp').asTimestamp(),
  };
}

function readKev(content: JsonObjectReader): Cve5Kev {
  const dateAdded = content.field('dateAdded');
  // CISA gives a calendar date; a date with a time is read as a timestamp.
  const isDay = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(dateAdded.asString());
  return {
    dateAdded: isDay ? dateAdded.asDate() : dateAdded.asTimestamp(),
    reference: content.string('reference'),
  };
}

/** `version` values that name no lower bound. */
const OPEN_START = new Set(['0', '*']);

/**
 * NVD-shaped configurations from the `affected` entries that list CPEs: one configuration per
 * entry, an OR node of its CPEs, each with the version range of every affected version. Versions
 * (and entries) with status `unaffected` or `unknown` produce nothing; an entry with no versions
 * and `defaultStatus: affected` affects every version.
 */
export function cve5Configurations(affected: readonly Cve5Affected[]): NvdConfiguration[] {
  const configurations: NvdConfiguration[] = [];
  for (const entry of affected) {
    const ranges =
      entry.versions.length === 0
        ? entry.defaultStatus === 'affected' ? [{}] : []
        : entry.versions.filter((version) => version.status === 'affected').map(versionRange);
    const matches = entry.cpes.flatMap((criteria) => ranges.map((range): NvdCpeMatch => ({ vulnerable: true, criteria, ...range })));
    if (matches.length > 0) configurations.push({ operator: 'OR', negate: false, nodes: [{ operator: 'OR', negate: false, matches }] });
  }
  return configurations;
}

type VersionBounds = Pick<NvdCpeMatch, 'versionStartIncluding' | 'versionEndIncluding' | 'versionEndExcluding'>;

/** `version` starts the range (unless `0` or `*`), `lessThan` ends it excluded, `lessThanOrEqual` included. */
function versionRange(version: Cve5Version): VersionBounds {
  const start: VersionBounds = OPEN_START.has(version.version) ? {} : { versionStartIncluding: version.version };
  if (version.lessThan !== undefined) return version.lessThan === '*' ? start : { ...start, versionEndExcluding: version.lessThan };
  if (version.lessThanOrEqual !== undefined) {
    return version.lessThanOrEqual === '*' ? start : { ...start, versionEndIncluding: version.lessThanOrEqual };
  }
  // No range: that one version, or every version for `*`.
  return version.version === '*' ? {} : { versionStartIncluding: version.version, versionEndIncluding: version.version };
}
