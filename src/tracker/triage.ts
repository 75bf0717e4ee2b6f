import type { Kysely } from 'kysely';
import { groupBy } from '../base/group-by.js';
import { InputError } from '../base/input-error.js';
import { SEVERITY_RANK, severityRank } from '../base/severity.js';
import type { PairState } from '../base/states.js';
import {
  NOTE_REQUIRED_STATUSES,
  TRIAGE_JUSTIFICATIONS,
  TRIAGE_STATUSES,
  type TriageEvent,
  type TriageJustification,
  type TriageStatus,
} from '../base/triage.js';
import { isBranchSupported } from '../engine/end-of-support.js';
import { amongUnrecorded, queuePage, untriagedSlice } from '../engine/triage-queue.js';
import { OPEN_UNTRIAGED_STATES, type PairTriage, computedDigest, digestKey, resolvePairTriage, scopeKey, standingEvents } from '../engine/triage.js';
import { packageNameProblem, vulnerabilityIdProblem } from '../formats/names.js';
import {
  type BranchSummary,
  type NamedState,
  type NewTriageEvent,
  type OpenStateCount,
  type PackageMaintainer,
  type Schema,
  type OpenStateFilter,
  type UntriagedOpenState,
  type VulnerabilityUrgency,
  type WritableStore,
  appendAuditEvent,
  appendTriageEvents,
  carryPageSummaries,
  findKnownPackages,
  findStates,
  getDataVersion,
  listBranches,
  listPackagePlaces,
  readPageSummary,
  writePageSummary,
  countOpenStates,
  countOpenStatesByPlace,
  countOpenStatesByUrgency,
  foldAscii,
  listTriagedStates,
  listUntriagedOpenStates,
  listUntriagedQueue,
  listUntriagedQueuePage,
  listUntriagedWithoutRecord,
  listTriageEvents,
  listTriagedPackagePlaces,
  listVulnerabilityUrgency,
  withWriteLock,
} from '../store/index.js';
import { isValidVersion } from '../version/index.js';
import { queueForPeers } from './outbox.js';
import type { HomeSummary } from './summaries.js';
import { HOME_SUMMARY, SUMMARIES_WITHOUT_TRIAGE } from './summary-names.js';

/** The author of the events an imported security-rejections file stands for. */
export const REJECTIONS_AUTHOR = 'security-rejections';

/** One triage decision for every (package, vulnerability) pair the lists make. */
export interface TriageRequest {
  readonly packages: readonly string[];
  readonly vulnerabilities: readonly string[];
  readonly status: string;
  readonly justification?: string | undefined;
  readonly version?: string | undefined;
  readonly note?: string | undefined;
  /** The branches it concerns; absent or empty means every branch. */
  readonly branches?: readonly string[] | undefined;
}

const REQUEST = 'triage request';

function refuse(place: string, problem: string): never {
  throw new InputError(REQUEST, place, problem);
}

function isStatus(status: string): status is TriageStatus {
  return (TRIAGE_STATUSES as readonly string[]).includes(status);
}

function isJustification(justification: string): justification is TriageJustification {
  return (TRIAGE_JUSTIFICATIONS as readonly string[]).includes(justification);
}

/** Checks a request's own fields (no database): the shape of every event it makes. */
function checkRequest(request: TriageRequest, author: string): Omit<NewTriageEvent, 'package' | 'vulnerabilityId' | 'createdAt' | 'computedDigests'> {
  const { status } = request;
  if (!isStatus(status)) refuse('status', `unknown status "${status}"; expected one of ${TRIAGE_STATUSES.join(', ')}`);
  if (request.packages.length === 0) refuse('package', 'no package given');
  if (request.vulnerabilities.length === 0) refuse('vulnerability', 'no vulnerability id given');
  for (const name of request.packages) {
    const problem = packageNameProblem(name);
    if (problem !== undefined) refuse('package', problem);
  }
  for (const id of request.vulnerabilities) {
    const problem = vulnerabilityIdProblem(id);
    if (problem !== undefined) refuse('vulnerability', problem);
  }
  if (author.trim() === '') refuse('author', 'no author given');
  const justification = request.justification ?? null;
  if (status === 'not-affected') {
    if (justification === null) refuse('justification', `not-affected needs a justification: one of ${TRIAGE_JUSTIFICATIONS.join(', ')}`);
    if (!isJustification(justification)) refuse('justification', `unknown justification "${justification}"; expected one of ${TRIAGE_JUSTIFICATIONS.join(', ')}`);
  } else if (justification !== null) refuse('justification', `only a not-affected event takes a justification, not ${status}`);
  const version = request.version ?? null;
  if (status === 'fixed') {
    if (version === null) refuse('version', 'fixed needs the version that fixes it');
    if (!isValidVersion(version)) refuse('version', `"${version}" is not a valid apk version`);
  } else if (version !== null) refuse('version', `only a fixed event takes a version, not ${status}`);
  const note = request.note?.trim() || null;
  if (note === null && NOTE_REQUIRED_STATUSES.includes(status)) refuse('note', `${status} needs a note saying why`);
  const branches = request.branches === undefined || request.branches.length === 0 ? null : [...new Set(request.branches)].sort();
  return { branches, status, justification: justification, version, note, author: author.trim() };
}

/** The digests of the computed states of one pair, by `branch/repo`, in the branches given (null: all). */
function digestsOf(states: readonly NamedState[], branches: readonly string[] | null): Record<string, string> {
  const digests: Record<string, string> = {};
  for (const state of states) {
    if (branches !== null && !branches.includes(state.branch)) continue;
    digests[digestKey(state.branch, state.repo)] = computedDigest(pairState(state));
  }
  return digests;
}

function pairState(state: NamedState): PairState {
  return { state: state.state, fixedVersion: state.fixedVersion, evidence: state.evidence };
}

/** The audit log's subject for a triage event: the pair it concerns. */
const triageAuditSubject = (pkg: string, vulnerabilityId: string) => `triage:${pkg}:${vulnerabilityId}`;

/**
 * Records one event per (package, vulnerability) pair of the request, all in one transaction with
 * their notifications to peers (the outbox), and returns them. Bad input (an unknown package or
 * branch, a malformed id, a missing note or justification, a `fixed` version that is not an apk
 * version) is an InputError naming it, and nothing is written.
 */
export function recordTriage(store: WritableStore, request: TriageRequest, author: string): Promise<TriageEvent[]> {
  return recordTriageBatch(store, [request], author);
}

/**
 * Records the events of several requests (say, the rows a person selected in the queue) in one
 * transaction, each with its `triage.record` row in the audit log (actor: the author). One bad
 * request writes nothing.
 */
export async function recordTriageBatch(store: WritableStore, requests: readonly TriageRequest[], author: string): Promise<TriageEvent[]> {
  const shapes = requests.map((request) => checkRequest(request, author));
  const { stored } = await withWriteLock(store, async (db) => {
    const named = shapes.flatMap((shape) => shape.branches ?? []);
    if (named.length > 0) {
      const known = new Set((await listBranches(db)).map((branch) => branch.name));
      for (const branch of named) if (!known.has(branch)) refuse('branch', `unknown branch "${branch}"`);
    }
    const createdAt = new Date().toISOString();
    const statesByPackage = new Map<string, NamedState[]>();
    const events: NewTriageEvent[] = [];
    for (const [index, request] of requests.entries()) {
      const shape = shapes[index]!;
      const knownPackages = await findKnownPackages(db, request.packages, shape.branches ?? undefined);
      for (const name of request.packages) {
        if (!knownPackages.has(name)) refuse('package', `unknown package "${name}"${shape.branches === null ? '' : ` in branches ${shape.branches.join(', ')}`}`);
      }
      for (const pkg of new Set(request.packages)) {
        const states = statesByPackage.get(pkg) ?? (await findStates(db, { package: pkg }));
        statesByPackage.set(pkg, states);
        for (const vulnerabilityId of new Set(request.vulnerabilities)) {
          const pairStates = states.filter((state) => state.vulnerabilityId === vulnerabilityId);
          events.push({ ...shape, package: pkg, vulnerabilityId, createdAt, computedDigests: digestsOf(pairStates, shape.branches) });
        }
      }
    }
    const stored = await appendTriageEvents(db, events);
    await queueForPeers(db, stored);
    for (const event of stored) {
      await appendAuditEvent(db, {
        at: event.createdAt,
        actor: event.author,
        action: 'triage.record',
        subject: triageAuditSubject(event.package, event.vulnerabilityId),
        pair: { package: event.package, vulnerabilityId: event.vulnerabilityId },
        detail: { event: event.id, status: event.status, justification: event.justification, version: event.version, note: event.note, branches: event.branches },
      });
    }
    return { stored, statesByPackage };
  }, { finally: (db, { stored, statesByPackage }) => carrySummariesPastTriage(db, stored, statesByPackage) });
  return stored;
}

/** Filters for the triage history; each given one must hold. */
export interface TriageHistoryFilter {
  readonly package?: string | undefined;
  readonly vulnerabilityId?: string | undefined;
  readonly author?: string | undefined;
  /** An ISO-8601 time (a date alone means its start, UTC). */
  readonly since?: string | undefined;
}

/** The triage history matching `filter`, oldest first. */
export async function listTriageHistory(store: WritableStore, filter: TriageHistoryFilter = {}): Promise<TriageEvent[]> {
  let since: string | undefined;
  if (filter.since !== undefined) {
    const time = new Date(filter.since);
    if (!/^\d{4}-\d{2}-\d{2}/.test(filter.since) || Number.isNaN(time.getTime())) refuse('since', `"${filter.since}" is not an ISO-8601 date or time`);
    since = time.toISOString();
  }
  if (filter.vulnerabilityId !== undefined) {
    const problem = vulnerabilityIdProblem(filter.vulnerabilityId);
    if (problem !== undefined) refuse('vulnerability', problem);
  }
  return listTriageEvents(store.db, {
    ...(filter.package === undefined ? {} : { packages: [filter.package] }),
    ...(filter.vulnerabilityId === undefined ? {} : { vulnerabilityId: filter.vulnerabilityId }),
    ...(filter.author === undefined ? {} : { author: filter.author }),
    ...(since === undefined ? {} : { since }),
  });
}

export const pairKey = (pkg: string, vulnerabilityId: string) => `${pkg}\u0000${vulnerabilityId}`;

export function eventsByPair(events: readonly TriageEvent[]): Map<string, TriageEvent[]> {
  return groupBy(events, (event) => pairKey(event.package, event.vulnerabilityId));
}

/**
 * The branches past their end of support on `today` (YYYY-MM-DD); none without a day (a count
 * built once per data version, which leaves the calendar to its reader).
 */
async function endedBranches(db: Kysely<Schema>, today: string | undefined): Promise<ReadonlySet<string>> {
  return today === undefined ? new Set() : endedBranchNames(await listBranches(db), today);
}

/** The names of `branches` past their end of support on `today` (YYYY-MM-DD). */
export function endedBranchNames(branches: readonly Pick<BranchSummary, 'name' | 'endOfSupport'>[], today: string): ReadonlySet<string> {
  return new Set(branches.filter((branch) => !isBranchSupported(branch.endOfSupport, today)).map((branch) => branch.name));
}

/**
 * Each state with its triage on `today` (without it, no branch is past its end of support): the
 * computed state, the standing event, what rules, open, resolved or end-of-life. A caller that has read the events of these pairs passes them as `known`.
 */
export async function triageStates(db: Kysely<Schema>, states: readonly NamedState[], today: string | undefined, known?: readonly TriageEvent[]): Promise<PairTriage[]> {
  const ended = await endedBranches(db, today);
  const events = eventsByPair(known ?? (await listTriageEvents(db, { packages: states.map((state) => state.package) })));
  return states.map((state) =>
    resolvePairTriage({
      branch: state.branch,
      repo: state.repo,
      computed: pairState(state),
      publishedVersion: state.version,
      events: events.get(pairKey(state.package, state.vulnerabilityId)) ?? [],
      endOfLife: ended.has(state.branch),
    }),
  );
}

/** One pair a person may have to act on, with its triage and its package's maintainer. */
interface PairCandidate {
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly vulnerabilityId: string;
  /** The version the branch's repo publishes; null when the engine computed no state for the pair. */
  readonly version: string | null;
  /** The version the engine found fixing it (null when none, or no computed state). */
  readonly fixedVersion: string | null;
  readonly triage: PairTriage;
  /** The index's maintainer text of the package in that branch and repository, or null. */
  readonly maintainer: string | null;
}

/** One open pair of the triage queue, with what makes it urgent. */
export interface QueueEntry extends PairCandidate {
  readonly urgency: VulnerabilityUrgency;
}

const entryKey = (entry: { branch: string; repo: string; package: string; vulnerabilityId: string }) =>
  `${entry.branch}\u0000${entry.repo}\u0000${entry.package}\u0000${entry.vulnerabilityId}`;

/**
 * Which open pairs the queue lists; each given filter must hold. The maintainer is an e-mail, as
 * the index's `m:` field writes it between `<` and `>`.
 */
export interface QueueFilter extends Omit<OpenStateFilter, 'openStates' | 'endedBranches' | 'minSeverityRank'> {
  /** Only vulnerabilities at least this severe (a severity word: `critical`, `high`, ...). */
  readonly minSeverity?: string | undefined;
}

/** The store's query for the open states of `filter`, with the engine's words. */
function openStateFilter({ minSeverity, ...filter }: QueueFilter, ended: ReadonlySet<string>): OpenStateFilter {
  return {
    ...filter,
    openStates: OPEN_UNTRIAGED_STATES,
    endedBranches: [...ended],
    minSeverityRank: minSeverity === undefined ? undefined : severityRank(minSeverity),
  };
}

const URGENCY_ORDER = { severityRanks: SEVERITY_RANK };

/** Whether `entry` passes `filter` (but its branch), as the store's open-state conditions test a state. */
function matchesFilter(entry: Omit<QueueEntry, 'triage'>, filter: QueueFilter): boolean {
  const { urgency } = entry;
  return (
    (filter.repo === undefined || entry.repo === filter.repo) &&
    (filter.maintainer === undefined || foldAscii(entry.maintainer ?? '').includes(`<${foldAscii(filter.maintainer)}>`)) &&
    (filter.kevOnly !== true || urgency.kev) &&
    (filter.minSeverity === undefined || severityRank(urgency.severity) >= severityRank(filter.minSeverity)) &&
    (filter.publishedBy === undefined || (urgency.published !== null && urgency.published <= filter.publishedBy))
  );
}

/** The pairs with triage events of a queue. */
interface TriagedPart {
  /** The open ones (see `Resolution` in src/engine/triage.ts), in no order. */
  readonly open: readonly QueueEntry[];
  /** The states among them that the store's open-state counts (`countOpenStates`) count too. */
  readonly counted: readonly Omit<QueueEntry, 'triage'>[];
}

/** The urgency of a vulnerability the store does not hold. */
const unrecordedUrgency = (id: string) => ({ id, kev: false, severity: null, cvssScore: null, published: null });

/**
 * The pairs with triage events matching `filter`, none of `ended` branches: pairs with a computed
 * state, and pairs a person triaged (say, `affected`) where the engine computed none. Few: one
 * per triaged pair and branch at most.
 */
async function triagedPart(db: Kysely<Schema>, filter: QueueFilter, ended: ReadonlySet<string>): Promise<TriagedPart> {
  const byPair = eventsByPair(await listTriageEvents(db));
  if (byPair.size === 0) return { open: [], counted: [] };
  const computed = new Set<string>();
  const open: QueueEntry[] = [];
  const counted: Omit<QueueEntry, 'triage'>[] = [];
  const add = (entry: Omit<QueueEntry, 'triage'>, computedState: PairState | null) => {
    const events = byPair.get(pairKey(entry.package, entry.vulnerabilityId)) ?? [];
    const triage = resolvePairTriage({ branch: entry.branch, repo: entry.repo, computed: computedState, publishedVersion: entry.version, events, endOfLife: ended.has(entry.branch) });
    if (triage.resolution === 'open') open.push({ ...entry, triage });
  };
  for (const { state, evidence, ...candidate } of await listTriagedStates(db, filter.branch)) {
    computed.add(entryKey(candidate));
    if (!matchesFilter(candidate, filter)) continue;
    if (OPEN_UNTRIAGED_STATES.includes(state) && !ended.has(candidate.branch)) counted.push(candidate);
    add(candidate, { state, fixedVersion: candidate.fixedVersion, evidence });
  }
  const places = await listTriagedPackagePlaces(db, filter.branch);
  const placesOf = new Map<string, PackageMaintainer[]>();
  for (const row of places) placesOf.set(row.package, [...(placesOf.get(row.package) ?? []), row]);
  const uncomputed: Omit<QueueEntry, 'triage' | 'urgency'>[] = [];
  for (const events of byPair.values()) {
    const { package: pkg, vulnerabilityId } = events[0]!;
    for (const row of placesOf.get(pkg) ?? []) {
      if (!computed.has(entryKey({ ...row, vulnerabilityId }))) uncomputed.push({ branch: row.branch, repo: row.repo, package: pkg, vulnerabilityId, version: null, fixedVersion: null, maintainer: row.maintainer });
    }
  }
  const urgency = new Map((await listVulnerabilityUrgency(db, uncomputed.map((pair) => pair.vulnerabilityId))).map((row) => [row.id, row]));
  for (const pair of uncomputed) {
    const entry = { ...pair, urgency: urgency.get(pair.vulnerabilityId) ?? unrecordedUrgency(pair.vulnerabilityId) };
    if (matchesFilter(entry, filter)) add(entry, null);
  }
  return { open, counted };
}

/** An untriaged open pair as the queue lists it, its triage resolved by the engine like any other. */
function untriagedEntry(row: UntriagedOpenState, urgency: VulnerabilityUrgency, ended: ReadonlySet<string>): QueueEntry {
  const { branch, repo, package: pkg, vulnerabilityId, version, fixedVersion, maintainer } = row;
  // Its evidence only matters against a standing event's digest, and it has no event: not loaded.
  const triage = resolvePairTriage({ branch, repo, computed: { state: row.state, fixedVersion, evidence: [] }, publishedVersion: version, events: [], endOfLife: ended.has(branch) });
  // Built field by field: the whole queue (notify) makes one object per pair, not a copy of each row.
  return { branch, repo, package: pkg, vulnerabilityId, version, fixedVersion, maintainer, urgency, triage };
}

/** The open pairs of one (branch, repository) whose packages one maintainer text maintains (null: none). */
export interface OpenPairCount {
  readonly branch: string;
  readonly repo: string;
  readonly maintainer: string | null;
  readonly open: number;
}

/**
 * How many pairs are open (see `Resolution` in src/engine/triage.ts) per branch, repository and
 * maintainer text, on `today`: the one count of open work every page and command shows. Without
 * `today`, no branch counts as past its end of support: the home page's summary is built once per
 * data version and shows `end-of-life` for a branch past its end instead of its count. The store
 * counts the open states; those with triage events are resolved by the engine instead.
 */
export async function countOpenPairs(db: Kysely<Schema>, filter: QueueFilter, today: string | undefined): Promise<OpenPairCount[]> {
  const ended = await endedBranches(db, today);
  const [states, triaged] = await Promise.all([countOpenStatesByPlace(db, openStateFilter(filter, ended), URGENCY_ORDER), triagedPart(db, filter, ended)]);
  const counts = new OpenCounts([]);
  for (const row of states) counts.add(row, row.open);
  for (const entry of triaged.counted) counts.add(entry, -1);
  for (const entry of triaged.open) counts.add(entry, 1);
  return counts.rows();
}

/** Open pair counts being summed, by place and maintainer text (no maintainer and an empty text are one). */
class OpenCounts {
  private readonly counts = new Map<string, OpenPairCount>();

  constructor(rows: readonly OpenPairCount[]) {
    for (const row of rows) this.add(row, row.open);
  }

  add(row: Omit<OpenPairCount, 'open'>, open: number): void {
    const key = `${row.branch}\u0000${row.repo}\u0000${row.maintainer ?? ''}`;
    const known = this.counts.get(key);
    this.counts.set(key, { branch: row.branch, repo: row.repo, maintainer: known?.maintainer ?? row.maintainer, open: (known?.open ?? 0) + open });
  }

  /** The places with open pairs. */
  rows(): OpenPairCount[] {
    return [...this.counts.values()].filter((row) => row.open > 0);
  }
}

/**
 * Whether `countOpenPairs` counts a pair at one place open: with no events, when its computed
 * state is open (the store's count); with events, when the engine resolves it open.
 */
function countedOpen(place: { readonly branch: string; readonly repo: string }, state: NamedState | undefined, events: readonly TriageEvent[]): boolean {
  if (events.length === 0) return state !== undefined && OPEN_UNTRIAGED_STATES.includes(state.state);
  const computed = state === undefined ? null : pairState(state);
  return resolvePairTriage({ branch: place.branch, repo: place.repo, computed, publishedVersion: state?.version ?? null, events, endOfLife: false }).resolution === 'open';
}

/**
 * Moves the page summaries of the data version before `added` (events just appended) on to the
 * version their transaction leaves: those built without triage as they are, and the home
 * summary with its open counts changed by what the events changed: at each place of each of
 * their pairs, open with every event against open without the new ones. So the pages after a
 * triage event read their summaries instead of building them (about a second at full size, the
 * quality page far more). A summary not built at the version before is left for a page to build.
 */
async function carrySummariesPastTriage(db: Kysely<Schema>, added: readonly TriageEvent[], statesByPackage: ReadonlyMap<string, readonly NamedState[]>): Promise<void> {
  const { version } = await getDataVersion(db);
  await carryPageSummaries(db, SUMMARIES_WITHOUT_TRIAGE, version);
  const home = (await readPageSummary(db, HOME_SUMMARY, version - 1)) as HomeSummary | undefined;
  if (home === undefined) return;
  const packages = [...statesByPackage.keys()];
  const [places, events] = await Promise.all([listPackagePlaces(db, packages), listTriageEvents(db, { packages })]);
  const addedIds = new Set(added.map((event) => event.id));
  const byPair = eventsByPair(events);
  const placesOf = groupBy(places, (place) => place.package);
  const open = new OpenCounts(home.open);
  for (const key of new Set(added.map((event) => pairKey(event.package, event.vulnerabilityId)))) {
    const all = byPair.get(key)!;
    const { package: pkg, vulnerabilityId } = all[0]!;
    const earlier = all.filter((event) => !addedIds.has(event.id));
    const states = (statesByPackage.get(pkg) ?? []).filter((state) => state.vulnerabilityId === vulnerabilityId);
    const stateAt = new Map(states.map((state) => [`${state.branch}\u0000${state.repo}`, state]));
    const packagePlaces = placesOf.get(pkg) ?? [];
    const maintainerAt = new Map(packagePlaces.map((place) => [`${place.branch}\u0000${place.repo}`, place.maintainer]));
    const placesOfPair = [...states.map((state) => ({ branch: state.branch, repo: state.repo })), ...packagePlaces.filter((place) => !stateAt.has(`${place.branch}\u0000${place.repo}`))];
    for (const place of placesOfPair) {
      const at = `${place.branch}\u0000${place.repo}`;
      const state = stateAt.get(at);
      const change = Number(countedOpen(place, state, all)) - Number(countedOpen(place, state, earlier));
      if (change !== 0) open.add({ branch: place.branch, repo: place.repo, maintainer: maintainerAt.get(at) ?? null }, change);
    }
  }
  await writePageSummary(db, HOME_SUMMARY, version, { ...home, open: open.rows() });
}

/**
 * The open states, triaged or not, per place and urgency class (`countOpenStatesByUrgency`), no
 * branch taken as past its end: built once per data version, they spare `triageQueuePage`
 * counting every open state for a filter on urgency.
 */
export function countOpenStatesByClass(db: Kysely<Schema>): Promise<OpenStateCount[]> {
  return countOpenStatesByUrgency(db, openStateFilter({}, new Set()), URGENCY_ORDER);
}

async function checkedBranches(db: Kysely<Schema>, filter: QueueFilter, today: string): Promise<ReadonlySet<string>> {
  const branches = await listBranches(db);
  if (filter.branch !== undefined && !branches.some((branch) => branch.name === filter.branch)) refuse('branch', `unknown branch "${filter.branch}"`);
  return endedBranchNames(branches, today);
}

/** One page of the triage queue and how many open pairs the whole queue holds. */
export interface QueuePage {
  readonly entries: readonly QueueEntry[];
  readonly total: number;
}

/**
 * The open pairs at positions [start, start + size) of the queue on `today`, most urgent first
 * (the engine's `byUrgency`): the store pages the untriaged pairs in that order, and the engine
 * merges the (few) open pairs with triage events into the page (`queuePage`), with the
 * untriaged pairs whose vulnerability has no record when the page reaches the end of the queue,
 * where those sort.
 */
async function queueEntries(db: Kysely<Schema>, states: OpenStateFilter, triaged: TriagedPart, ended: ReadonlySet<string>, start: number, size: number): Promise<QueueEntry[]> {
  const read = async (merged: readonly QueueEntry[]) => {
    const slice = untriagedSlice(start, size, merged.length);
    const rows = await listUntriagedQueuePage(db, states, URGENCY_ORDER, slice);
    return { rows, reachesEnd: rows.length < slice.limit || (rows.length > 0 && amongUnrecorded(rows.at(-1)!)) };
  };
  const first = await read(triaged.open);
  let { rows } = first;
  let merged = triaged.open;
  if (first.reachesEnd) {
    const unrecorded = await listUntriagedWithoutRecord(db, states, URGENCY_ORDER);
    if (unrecorded.length > 0) {
      merged = [...merged, ...unrecorded.map((row) => untriagedEntry(row, row.urgency, ended))];
      ({ rows } = await read(merged));
    }
  }
  return queuePage(start, size, rows.map((row) => untriagedEntry(row, row.urgency, ended)), merged);
}

/**
 * How many open pairs the queue of `filter` holds, summed from `openCounts` (the open pairs per
 * place with no branch past its end, as `countOpenPairs` gives them without a day) leaving out the
 * `ended` branches; undefined when the filter asks about urgency, which those counts do not keep.
 */
function summedTotal(openCounts: readonly OpenPairCount[], filter: QueueFilter, ended: ReadonlySet<string>): number | undefined {
  if (asksUrgency(filter)) return undefined;
  const maintainer = filter.maintainer === undefined ? undefined : `<${foldAscii(filter.maintainer)}>`;
  let total = 0;
  for (const row of openCounts) {
    if (ended.has(row.branch) || (filter.branch !== undefined && row.branch !== filter.branch) || (filter.repo !== undefined && row.repo !== filter.repo)) continue;
    if (maintainer !== undefined && !foldAscii(row.maintainer ?? '').includes(maintainer)) continue;
    total += row.open;
  }
  return total;
}

/** Whether `filter` asks about the vulnerabilities' urgency (known exploited, severity, age). */
const asksUrgency = (filter: QueueFilter) => filter.kevOnly === true || filter.minSeverity !== undefined || filter.publishedBy !== undefined;

/** The counts of a data version that spare `triageQueuePage` counting every open state. */
export interface StoredQueueCounts {
  /** The open pairs per place and maintainer text (`countOpenPairs` without a day, as the home summary keeps them). */
  readonly openPairs?: readonly OpenPairCount[] | undefined;
  /**
   * Reads the open states per place and urgency class (`countOpenStatesByClass`, as the queue
   * summary keeps them), undefined when they are not at hand: asked only for a filter they answer.
   */
  readonly openStates?: (() => Promise<readonly OpenStateCount[] | undefined>) | undefined;
}

/**
 * How many states `states` holds, triaged or not, as `countOpenStates` counts them: summed from
 * the stored ones (`countOpenStatesByClass` at the data version, read only here) when the caller
 * gives them (for a filter on urgency without a maintainer), with the states of an age cutoff's
 * year counted by the store on the cutoff's shorter side (`cutoffYearPart`); else all counted by the store.
 */
async function openStateTotal(db: Kysely<Schema>, states: OpenStateFilter, readStored: StoredQueueCounts['openStates']): Promise<number> {
  const { kevOnly, minSeverityRank, publishedBy } = states;
  const stored = readStored === undefined ? undefined : await readStored();
  if (stored === undefined) return countOpenStates(db, states, URGENCY_ORDER);
  const cutoff = publishedBy === undefined ? undefined : cutoffYearPart(publishedBy);
  let total = 0;
  for (const row of stored) {
    if (states.endedBranches.includes(row.branch) || (states.branch !== undefined && row.branch !== states.branch) || (states.repo !== undefined && row.repo !== states.repo)) continue;
    if ((kevOnly === true && !row.kev) || (minSeverityRank !== undefined && row.severityRank < minSeverityRank)) continue;
    if (cutoff !== undefined && (row.publishedYear === null || row.publishedYear > cutoff.year || (row.publishedYear === cutoff.year && cutoff.sign > 0))) continue;
    total += row.states;
  }
  return cutoff === undefined ? total : total + cutoff.sign * (await countOpenStates(db, { ...states, ...cutoff.bounds }, URGENCY_ORDER));
}

/**
 * How the states of an age cutoff's year are counted: its first four characters are its year, and a
 * date's, so the stored counts of the years before it are at or before the cutoff, of the years
 * after it after. Of its own year, the store counts those published up to the cutoff, to add
 * (`sign` 1), when it falls in the year's first half, else those after it, to take from the
 * year's stored count (`sign` -1): the fewer, for dates spread over the year.
 */
function cutoffYearPart(publishedBy: string): { readonly year: string; readonly sign: 1 | -1; readonly bounds: Pick<OpenStateFilter, 'publishedBy' | 'publishedAfter' | 'publishedFrom' | 'publishedBefore'> } {
  const year = publishedBy.slice(0, 4);
  const nextYear = String(Number(year) + 1).padStart(4, '0');
  if (publishedBy.slice(5, 7) < '07' || !/^\d{4}$/.test(nextYear)) return { year, sign: 1, bounds: { publishedFrom: year } };
  return { year, sign: -1, bounds: { publishedBy: undefined, publishedAfter: publishedBy, publishedBefore: nextYear } };
}

/**
 * The open pairs at positions [start, start + size) of the queue on `today`, most urgent first
 * (see `queueEntries`), and how many the whole queue holds: the open states, less those with
 * triage events, which the engine resolves. When the caller has the data version's `stored`
 * counts, the total is summed from the open pairs per place for a filter they answer, else the
 * open states are summed from their classes for a filter on urgency (`openStateTotal`); either
 * spares counting every open state.
 */
export async function triageQueuePage(store: WritableStore, filter: QueueFilter, today: string, start: number, size: number, stored: StoredQueueCounts = {}): Promise<QueuePage> {
  const { db } = store;
  const ended = await checkedBranches(db, filter, today);
  const states = openStateFilter(filter, ended);
  const summed = stored.openPairs === undefined ? undefined : summedTotal(stored.openPairs, filter, ended);
  // The classes answer a filter on urgency; a maintainer's few states are counted by the store.
  const byClass = asksUrgency(filter) && filter.maintainer === undefined ? stored.openStates : undefined;
  const [triaged, count] = await Promise.all([triagedPart(db, filter, ended), summed === undefined ? openStateTotal(db, states, byClass) : undefined]);
  const total = summed ?? count! - triaged.counted.length + triaged.open.length;
  return { entries: await queueEntries(db, states, triaged, ended, start, size), total };
}

/** The `size` most urgent open pairs of the queue on `today` (see `triageQueuePage`), not counting the rest. */
export async function triageQueueTop(store: WritableStore, filter: QueueFilter, today: string, size: number): Promise<QueueEntry[]> {
  const { db } = store;
  const ended = await checkedBranches(db, filter, today);
  return queueEntries(db, openStateFilter(filter, ended), await triagedPart(db, filter, ended), ended, 0, size);
}

/** Every open pair on `today`, most urgent first (see `triageQueuePage`). */
export async function triageQueue(store: WritableStore, filter: QueueFilter, today: string): Promise<QueueEntry[]> {
  const { db } = store;
  const ended = await checkedBranches(db, filter, today);
  const [triaged, rows] = await Promise.all([triagedPart(db, filter, ended), listUntriagedQueue(db, openStateFilter(filter, ended), URGENCY_ORDER)]);
  return queuePage(0, Number.POSITIVE_INFINITY, rows.map((row) => untriagedEntry(row, row.urgency, ended)), triaged.open);
}

/**
 * Every open pair on `today`, in no order (see `triageQueue` for the queue's): its urgency read
 * once per vulnerability, for a caller that groups the pairs and orders the groups.
 */
export async function openPairs(store: WritableStore, filter: QueueFilter, today: string): Promise<QueueEntry[]> {
  const { db } = store;
  const ended = await checkedBranches(db, filter, today);
  const [triaged, rows] = await Promise.all([triagedPart(db, filter, ended), listUntriagedOpenStates(db, openStateFilter(filter, ended), URGENCY_ORDER)]);
  const urgency = new Map((await listVulnerabilityUrgency(db, rows.map((row) => row.vulnerabilityId))).map((row) => [row.id, row]));
  const untriaged = rows.map((row) => untriagedEntry(row, urgency.get(row.vulnerabilityId) ?? unrecordedUrgency(row.vulnerabilityId), ended));
  return [...untriaged, ...triaged.open];
}

/** An id the security team rejected for a package, as a rejections file says it. */
export interface RejectedId {
  readonly package: string;
  readonly id: string;
  /** The comments and note the file gives the id, if any. */
  readonly rationale: string | null;
}

const JUSTIFICATION_LINE = /^justification:\s*(\S+)\s*$/;

/**
 * What a rejection's comment says: a line `justification: NAME` names the justification (and is
 * not part of the note); without one, a comment that names a justification uses it; else the
 * record is `disputed`, which is what a rejection usually means.
 */
export function rejectionTriage(rationale: string | null): { justification: TriageJustification; note: string | null } {
  const lines = (rationale ?? '').split('\n');
  const named = lines.map((line) => JUSTIFICATION_LINE.exec(line.trim())?.[1]).find((name) => name !== undefined && isJustification(name));
  if (named !== undefined) {
    const note = lines.filter((line) => JUSTIFICATION_LINE.exec(line.trim()) === null).join('\n').trim();
    return { justification: named, note: note || null };
  }
  const mentioned = TRIAGE_JUSTIFICATIONS.find((name) => name !== 'disputed' && (rationale ?? '').includes(name));
  return { justification: mentioned ?? 'disputed', note: rationale };
}

/**
 * Brings the triage log in line with one rejections file: a `not-affected` event (author
 * `security-rejections`) for each listed id whose own event does not stand with the same
 * justification and note, and a `withdrawn` event for each id the file no longer lists, when
 * the importer's event is still the latest of its scope (a person's later decision is left
 * alone). Importing the same file again adds nothing.
 */
export async function recordRejectionEvents(
  db: Kysely<Schema>,
  listed: readonly RejectedId[],
  dropped: readonly { readonly package: string; readonly id: string }[],
  branches: readonly string[] | null,
): Promise<number> {
  const scope = scopeKey(branches);
  const packages = [...listed, ...dropped].map((entry) => entry.package);
  const byPair = eventsByPair(packages.length === 0 ? [] : await listTriageEvents(db, { packages }));
  const inScope = (pkg: string, id: string) => standingEvents(byPair.get(pairKey(pkg, id)) ?? []).filter((event) => scopeKey(event.branches) === scope);
  const createdAt = new Date().toISOString();
  const base = { branches, version: null, author: REJECTIONS_AUTHOR, createdAt, computedDigests: {} };
  const events: NewTriageEvent[] = [];
  for (const entry of listed) {
    const wanted = rejectionTriage(entry.rationale);
    const own = inScope(entry.package, entry.id).filter((event) => event.author === REJECTIONS_AUTHOR).at(-1);
    if (own !== undefined && own.status === 'not-affected' && own.justification === wanted.justification && own.note === wanted.note) continue;
    events.push({ ...base, package: entry.package, vulnerabilityId: entry.id, status: 'not-affected', ...wanted });
  }
  for (const entry of dropped) {
    const latest = inScope(entry.package, entry.id).at(-1);
    if (latest?.author !== REJECTIONS_AUTHOR || latest.status !== 'not-affected') continue;
    events.push({ ...base, package: entry.package, vulnerabilityId: entry.id, status: 'withdrawn', justification: null, note: null });
  }
  await appendTriageEvents(db, events);
  return events.length;
}
