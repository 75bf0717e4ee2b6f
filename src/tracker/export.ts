import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../base/input-error.js';
import type { ExportedPair, ExportedVulnerability } from '../base/export.js';
import { exportStatus } from '../engine/export.js';
import { type CsafDocument, type CsafIndexEntry, type CsafOptions, csafDocument, csafIndexEntry, formatCsaf, formatCsafChanges, formatCsafIndex } from '../formats/csaf.js';
import { type OpenVexOptions, OpenVexWriter } from '../formats/openvex.js';
import { type OsvOptions, type OsvRecord, formatOsvIndex, formatOsvRecord, osvRecord } from '../formats/osv.js';
import { formatSecdb } from '../formats/secdb.js';
import { STATES_CSV_HEADER, formatStatesCsvRows } from '../formats/states-table.js';
import {
  type ExportState,
  type NamedState,
  type StateCursor,
  type StateFilter,
  type Store,
  findStates,
  listBranches,
  listCurrentBinaries,
  listExportStates,
  listSecfixes,
  listStateChangeTimes,
  listStateVulnerabilityIds,
  listTriageEvents,
  listVulnerabilityTimes,
} from '../store/index.js';
import { triageStates } from './triage.js';
import { groupBy } from '../base/group-by.js';

/** Files written at once: a page's small files wait on the disk together, not one after another. */
const WRITE_CONCURRENCY = 32;

/** Writes each item, `WRITE_CONCURRENCY` at a time. */
async function writeTogether<T>(items: readonly T[], write: (item: T, at: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += WRITE_CONCURRENCY) {
    await Promise.all(items.slice(start, start + WRITE_CONCURRENCY).map((item, offset) => write(item, start + offset)));
  }
}

/** Vulnerability ids read per page: bounds what an export holds at once. */
const PAGE_SIZE = 500;
/** Pairs read per page of the states table. */
const STATES_PAGE_SIZE = 5_000;

export interface ExportScope {
  /** Only this branch's pairs. */
  readonly branch?: string | undefined;
}

const latest = (times: readonly (string | null | undefined)[]): string => times.reduce<string>((max, time) => (time != null && time > max ? time : max), '');

/**
 * Every vulnerability with an exported pair, in id order, a page of ids at a time (see
 * `exportedVulnerabilitiesOf`), so an export holds one page at once.
 */
async function* exportedVulnerabilityPages(store: Pick<Store, 'db'>, scope: ExportScope): AsyncGenerator<ExportedVulnerability[]> {
  let after: string | null = null;
  for (;;) {
    const ids = await listStateVulnerabilityIds(store.db, after, PAGE_SIZE, scope.branch);
    if (ids.length === 0) return;
    after = ids.at(-1)!;
    yield await exportedVulnerabilitiesOf(store, ids, scope);
  }
}

type ExportedBinary = ExportedPair['binaries'][number];

/**
 * The binary packages of the versions these states' packages publish now, by
 * `repository\0origin\0version`, by name then arch. One query per repository, so each origin is
 * found through the (repository, name) index and no other repository's packages are read.
 */
async function currentBinariesOf(db: Store['db'], states: readonly Pick<ExportState, 'repositoryId' | 'package'>[]): Promise<Map<string, ExportedBinary[]>> {
  const originsOf = new Map<number, Set<string>>();
  for (const { repositoryId, package: origin } of states) (originsOf.get(repositoryId) ?? originsOf.set(repositoryId, new Set()).get(repositoryId)!).add(origin);
  const binaries = new Map<string, ExportedBinary[]>();
  for (const [repositoryId, origins] of originsOf) {
    for (const row of await listCurrentBinaries(db, [repositoryId], [...origins])) {
      const key = `${row.repositoryId}\u0000${row.origin}\u0000${row.version}`;
      const known = binaries.get(key);
      if (known === undefined) binaries.set(key, [{ name: row.name, arch: row.arch }]);
      else known.push({ name: row.name, arch: row.arch });
    }
  }
  return binaries;
}

/**
 * The vulnerabilities among `ids` with an exported pair, in the order given: the pairs' states,
 * their triage, the binaries of the published versions, and the times they changed. Pairs the
 * exports leave out (`unknown`) are not listed; a vulnerability with none is left out.
 */
export async function exportedVulnerabilitiesOf(store: Pick<Store, 'db'>, ids: readonly string[], scope: ExportScope = {}): Promise<ExportedVulnerability[]> {
  const { db } = store;
  const states = await listExportStates(db, ids, scope.branch);
  const events = await listTriageEvents(db, { vulnerabilityIds: ids });
  // The exports describe the data, rebuilt when it changes; a branch's end of support is the reader's to apply.
  // A pair whose evidence was not read has no triage event and is not rejected: nothing looks at its evidence.
  const triages = await triageStates(db, states.map((state) => ({ ...state, evidence: state.evidence ?? [] })), undefined, events);
  const binaries = await currentBinariesOf(db, states);
  const times = new Map((await listVulnerabilityTimes(db, ids)).map((row) => [row.id, row]));
  const eventTimes = groupBy(events, (event) => `${event.package}\u0000${event.vulnerabilityId}`);
  const pairsById = new Map<string, ExportedPair[]>();
  states.forEach((state, index) => {
    const triage = triages[index]!;
    const status = exportStatus({ state: state.state, fixedVersion: state.fixedVersion, evidence: state.evidence ?? [], triage });
    if (status === null) return;
    const pairEvents = eventTimes.get(`${state.package}\u0000${state.vulnerabilityId}`) ?? [];
    const pair: ExportedPair = {
      branch: state.branch,
      repo: state.repo,
      package: state.package,
      version: state.version,
      binaries: binaries.get(`${state.repositoryId}\u0000${state.package}\u0000${state.version}`) ?? [],
      ruling: triage.status,
      justification: triage.triage?.justification ?? null,
      status,
      modified: latest([state.updatedAt, ...pairEvents.map((event) => event.createdAt)]),
    };
    const pairs = pairsById.get(state.vulnerabilityId);
    if (pairs === undefined) pairsById.set(state.vulnerabilityId, [pair]);
    else pairs.push(pair);
  });
  return ids.flatMap((id) => {
    const pairs = pairsById.get(id);
    if (pairs === undefined) return [];
    const known = times.get(id);
    return [{ id, published: known?.published ?? null, modified: latest([known?.lastModified, ...pairs.map((pair) => pair.modified)]), pairs }];
  });
}

/** One row of `secfix query states --json` and `secfix export states`: a pair with its evidence and triage. */
export interface StateTableRow {
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly version: string | null;
  readonly cve: string;
  readonly state: string;
  readonly fixedVersion: string | null;
  readonly evidence: NamedState['evidence'];
  readonly computedState: string | null;
  readonly triage: { status: string; justification: string | null; note: string | null; author: string; time: string } | null;
  readonly status: string;
  readonly resolution: string;
  readonly needsReview: boolean;
}

/** The states matching `filter` with their triage, as `query states` and `export states` list them. */
export async function stateTableRows(store: Pick<Store, 'db'>, filter: StateFilter, today: string | undefined): Promise<StateTableRow[]> {
  return tableRows(store, await findStates(store.db, filter), today);
}

/**
 * `stateTableRows` a page of pairs at a time, so a long table is never held whole: repository by
 * repository in `findStates`' order (branch, then repository name), each read on from its last page.
 */
async function* stateTableRowPages(store: Pick<Store, 'db'>, filter: StateFilter, today: string | undefined): AsyncGenerator<StateTableRow[]> {
  for (const branch of await listBranches(store.db)) {
    if (filter.branch !== undefined && branch.name !== filter.branch) continue;
    for (const repository of branch.repositories) {
      if (filter.repo !== undefined && repository.name !== filter.repo) continue;
      let after: StateCursor | undefined;
      for (;;) {
        const states = await findStates(store.db, { ...filter, branch: branch.name, repo: repository.name, ...(after === undefined ? {} : { after }), limit: STATES_PAGE_SIZE });
        if (states.length === 0) break;
        const last = states.at(-1)!;
        after = { package: last.package, vulnerabilityId: last.vulnerabilityId };
        yield await tableRows(store, states, today);
      }
    }
  }
}

/**
 * The states table as CSV or as a JSON array of `StateTableRow`s (the rows of `query states
 * --json`), made a page of pairs at a time.
 */
export async function* statesTable(store: Pick<Store, 'db'>, filter: StateFilter, today: string | undefined, format: 'csv' | 'json'): AsyncGenerator<string> {
  yield format === 'csv' ? STATES_CSV_HEADER : '[';
  let first = true;
  for await (const rows of stateTableRowPages(store, filter, today)) {
    if (format === 'csv') yield statesCsvRows(rows);
    else {
      yield `${first ? '' : ','}${rows.map((row) => JSON.stringify(row)).join(',')}`;
      first = false;
    }
  }
  if (format === 'json') yield ']\n';
}

async function tableRows(store: Pick<Store, 'db'>, states: readonly NamedState[], today: string | undefined): Promise<StateTableRow[]> {
  const triages = await triageStates(store.db, states, today);
  return states.map((state, index) => {
    const { computedState, triage, status, resolution, needsReview } = triages[index]!;
    return {
      branch: state.branch,
      repo: state.repo,
      package: state.package,
      version: state.version,
      cve: state.vulnerabilityId,
      state: state.state,
      fixedVersion: state.fixedVersion,
      evidence: state.evidence,
      computedState,
      triage: triage === null ? null : { status: triage.status, justification: triage.justification, note: triage.note, author: triage.author, time: triage.createdAt },
      status,
      resolution,
      needsReview,
    };
  });
}

/** The OSV record of every exported vulnerability, in id order, a page of vulnerabilities at a time. */
export async function* osvRecordPages(store: Pick<Store, 'db'>, options: OsvOptions): AsyncGenerator<OsvRecord[]> {
  for await (const page of exportedVulnerabilityPages(store, {})) yield page.flatMap((vulnerability) => osvRecord(vulnerability, options) ?? []);
}

/**
 * The OSV export's files, each handed to `write` by name as it is made: `<id>.json` per record,
 * streamed one page of vulnerabilities at a time, then `all.json`. Returns how many records.
 */
export async function writeOsvFiles(store: Pick<Store, 'db'>, options: OsvOptions, write: (name: string, text: string) => Promise<void>): Promise<number> {
  const index: { id: string; modified: string }[] = [];
  for await (const records of osvRecordPages(store, options)) {
    await writeTogether(records, (record) => write(`${record.id}.json`, formatOsvRecord(record)));
    for (const record of records) index.push({ id: record.id, modified: record.modified });
  }
  await write('all.json', formatOsvIndex(index));
  return index.length;
}

/** Writes the OSV export into `dir` (created if missing); returns how many records it wrote. */
export async function writeOsvExport(store: Pick<Store, 'db'>, dir: string, options: OsvOptions): Promise<number> {
  await mkdir(dir, { recursive: true });
  return writeOsvFiles(store, options, (name, text) => writeFile(join(dir, name), text));
}

/** The OpenVEX document of every exported pair (of one branch, when given), made a page of vulnerabilities at a time. */
export async function* openVexExport(store: Pick<Store, 'db'>, scope: ExportScope, options: OpenVexOptions): AsyncGenerator<string> {
  const writer = new OpenVexWriter(options);
  yield writer.head();
  for await (const page of exportedVulnerabilityPages(store, scope)) yield page.map((vulnerability) => writer.statements(vulnerability)).join('');
  yield writer.tail();
}

/**
 * The CSAF documents of these vulnerabilities. Each one's revisions are the times its exported
 * pairs' states changed (the state history) and their triage events were recorded.
 */
export async function csafDocumentsOf(store: Pick<Store, 'db'>, vulnerabilities: readonly ExportedVulnerability[], options: CsafOptions): Promise<CsafDocument[]> {
  const { db } = store;
  const repositoryIds = new Map((await listBranches(db)).flatMap((branch) => branch.repositories.map((repository) => [`${branch.name}\u0000${repository.name}`, repository.id])));
  const keys = vulnerabilities.flatMap((vulnerability) =>
    vulnerability.pairs.flatMap((pair) => {
      const repositoryId = repositoryIds.get(`${pair.branch}\u0000${pair.repo}`);
      return repositoryId === undefined ? [] : [{ repositoryId, package: pair.package, vulnerabilityId: vulnerability.id }];
    }),
  );
  const ids = vulnerabilities.map((vulnerability) => vulnerability.id);
  const [stateChanges, events] = await Promise.all([listStateChangeTimes(db, keys), listTriageEvents(db, { vulnerabilityIds: ids })]);
  const stateTimes = groupBy(stateChanges, (change) => `${change.repositoryId}\u0000${change.package}\u0000${change.vulnerabilityId}`);
  const eventsOf = groupBy(events, (event) => `${event.package}\u0000${event.vulnerabilityId}`);
  return vulnerabilities.map((vulnerability) => {
    const changes = vulnerability.pairs.flatMap((pair) => {
      const repositoryId = repositoryIds.get(`${pair.branch}\u0000${pair.repo}`);
      const states = (stateTimes.get(`${repositoryId}\u0000${pair.package}\u0000${vulnerability.id}`) ?? []).map((change) => change.changedAt);
      const triage = (eventsOf.get(`${pair.package}\u0000${vulnerability.id}`) ?? []).filter((event) => event.branches === null || event.branches.includes(pair.branch));
      return [...states, ...triage.map((event) => event.createdAt)];
    });
    return csafDocument(vulnerability, changes, options);
  });
}

/** The CSAF document of every exported vulnerability (of `options.branch`, when given), in id order, a page at a time. */
export async function* csafDocumentPages(store: Pick<Store, 'db'>, options: CsafOptions): AsyncGenerator<CsafDocument[]> {
  for await (const page of exportedVulnerabilityPages(store, { branch: options.branch })) yield await csafDocumentsOf(store, page, options);
}

/**
 * Writes the CSAF export through `write`: each document under its CSAF file name, streamed a page
 * of vulnerabilities at a time, then `index.txt` and `changes.csv`. Returns how many documents.
 */
export async function writeCsafFiles(store: Pick<Store, 'db'>, options: CsafOptions, write: (name: string, text: string) => Promise<void>): Promise<number> {
  const index: CsafIndexEntry[] = [];
  for await (const documents of csafDocumentPages(store, options)) {
    const entries = documents.map(csafIndexEntry);
    await writeTogether(documents, (document, at) => write(entries[at]!.file, formatCsaf(document)));
    index.push(...entries);
  }
  await write('index.txt', formatCsafIndex(index));
  await write('changes.csv', formatCsafChanges(index));
  return index.length;
}

/** Writes the CSAF export into `dir` (created if missing); returns how many documents it wrote. */
export async function writeCsafExport(store: Pick<Store, 'db'>, dir: string, options: CsafOptions): Promise<number> {
  await mkdir(dir, { recursive: true });
  return writeCsafFiles(store, options, (name, text) => writeFile(join(dir, name), text));
}

/** Alpine's mirror, the secdb's `urlprefix` unless told otherwise. */
export const DEFAULT_URL_PREFIX = 'https://dl-cdn.alpinelinux.org/alpine';

/**
 * The secdb document of one branch's repository: every secfixes line (secdb and aports), each
 * published triage fix under its version, and every not-affected decision (a triage decision or
 * a rejection) under `0` instead of any version, so a scanner that reads only the secdb honours it.
 */
export async function secdbExport(store: Pick<Store, 'db'>, branch: string, repo: string, urlprefix = DEFAULT_URL_PREFIX): Promise<string> {
  const { db } = store;
  const known = (await listBranches(db)).find((candidate) => candidate.name === branch);
  if (known === undefined) throw new InputError('--branch', undefined, `unknown branch "${branch}"`);
  const repository = known.repositories.find((candidate) => candidate.name === repo);
  if (repository === undefined) throw new InputError('--repo', undefined, `branch ${branch} has no repository "${repo}"`);
  const packages = new Map<string, Map<string, Set<string>>>();
  const versionsOf = (pkg: string) => packages.get(pkg) ?? packages.set(pkg, new Map()).get(pkg)!;
  const add = (pkg: string, version: string, entry: string) => {
    const versions = versionsOf(pkg);
    (versions.get(version) ?? versions.set(version, new Set()).get(version)!).add(entry);
  };
  for (const secfix of await listSecfixes(db, repository.id)) add(secfix.package, secfix.version, secfix.note === null ? secfix.vulnerabilityId : `${secfix.vulnerabilityId} ${secfix.note}`);
  // Only a triage event or a rejection puts a pair's ruling apart from its secfixes lines.
  const states = await findStates(db, { branch, repo, inStateOrTriaged: 'rejected' });
  const triages = await triageStates(db, states, undefined);
  states.forEach((state, index) => {
    const triage = triages[index]!;
    if (triage.triage === null && state.state !== 'rejected') return;
    const status = exportStatus({ state: state.state, fixedVersion: state.fixedVersion, evidence: state.evidence, triage });
    if (status?.kind === 'fixed' && triage.triage !== null) add(state.package, status.version, state.vulnerabilityId);
    if (status?.kind !== 'not-affected') return;
    for (const [version, entries] of versionsOf(state.package)) {
      for (const entry of entries) if (entry.split(' ', 1)[0] === state.vulnerabilityId) entries.delete(entry);
      if (entries.size === 0) versionsOf(state.package).delete(version);
    }
    add(state.package, '0', state.vulnerabilityId);
  });
  const nonEmpty = new Map([...packages].filter(([, versions]) => versions.size > 0).map(([pkg, versions]) => [pkg, new Map([...versions].map(([version, entries]) => [version, [...entries]]))]));
  return formatSecdb({ branch, repo, archs: known.archs, urlprefix, packages: nonEmpty });
}

/** The rows as lines of the CSV states table (the header is `STATES_CSV_HEADER`). */
function statesCsvRows(rows: readonly StateTableRow[]): string {
  return formatStatesCsvRows(
    rows.map((row) => ({
      branch: row.branch,
      repo: row.repo,
      package: row.package,
      version: row.version,
      cve: row.cve,
      state: row.state,
      fixed_version: row.fixedVersion,
      status: row.status,
      resolution: row.resolution,
      needs_review: String(row.needsReview),
      triage_status: row.triage?.status ?? null,
      justification: row.triage?.justification ?? null,
      note: row.triage?.note ?? null,
      author: row.triage?.author ?? null,
      triage_time: row.triage?.time ?? null,
    })),
  );
}
