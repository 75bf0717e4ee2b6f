import type { Kysely } from 'kysely';
import type { MappingRules, UnmappedProduct } from '../engine/index.js';
import {
  STATE_NAMES,
  type Schema,
  type StateCountRow,
  type StateName,
  type Store,
  type VulnerableDelta,
  countStates,
  getDataVersion,
  listMaintainerTexts,
  listPackageNames,
  listVulnerableDeltasByDay,
  pageSummaryVersion,
  readPageSummary,
  withWriteLock,
  writePageSummary,
} from '../store/index.js';
import { type CheckReport, checkData } from './check.js';
import { type OpenPairCount, countOpenPairs } from './triage.js';
import { checkMapping } from './mapping-coverage.js';

/*
 * Page summaries: the parts of the home, quality and search pages that read every state, every
 * history row, every secfix or every package name, which take seconds at full size. `update` builds them once per data
 * version after writing the states (`refreshPageSummaries`); a page reads one with a single
 * query and builds it itself only when the data moved on since (an import or a triage event
 * after the last update). The names carry the shape's version: a release that changes a shape
 * renames it, so a body of the old shape is never read.
 */

/** The home page's counts and trend. */
export interface HomeSummary {
  /** Pairs per branch, repository and state. */
  readonly counts: readonly StateCountRow[];
  /**
   * Open pairs per branch, repository and maintainer text (`countOpenPairs`), before any branch's
   * end of support, which depends on the day and not on the data: a page leaves out a branch past
   * it (and shows `end-of-life` for it).
   */
  readonly open: readonly OpenPairCount[];
  /** Per branch and day, how many pairs became vulnerable less how many stopped being. */
  readonly vulnerableDeltas: readonly VulnerableDelta[];
}

/** Names of the index an unmapped product resembles that the quality page lists; the rest are counted. */
export const RESEMBLING_NAMES_SHOWN = 10;

/** An unmapped product as the quality page shows it: the first of the names it resembles, and how many there are. */
export interface ShownUnmappedProduct extends UnmappedProduct {
  readonly resemblesCount: number;
}

/** The quality page's report: `secfix check` and `secfix check --mapping`. */
export interface QualitySummary extends CheckReport {
  readonly unmapped: readonly ShownUnmappedProduct[];
}

/** What the search matches by part of a name: every package name and maintainer (see `listPackageNames`, `listMaintainerTexts`). */
export interface NamesSummary {
  readonly packages: readonly string[];
  readonly maintainers: readonly string[];
}

export const HOME_SUMMARY = 'home/2';
export const QUALITY_SUMMARY = 'quality/1';
export const NAMES_SUMMARY = 'names/1';

export async function buildHomeSummary(db: Kysely<Schema>): Promise<HomeSummary> {
  const [counts, open, vulnerableDeltas] = await Promise.all([countStates(db), countOpenPairs(db, {}, undefined), listVulnerableDeltasByDay(db)]);
  return { counts, open, vulnerableDeltas };
}

export async function buildQualitySummary(db: Kysely<Schema>, rules: MappingRules): Promise<QualitySummary> {
  // A short product name may resemble thousands of index names: the page names the first few.
  const unmapped = (await checkMapping({ db }, rules)).map((product) => ({
    ...product,
    resembles: product.resembles.slice(0, RESEMBLING_NAMES_SHOWN),
    resemblesCount: product.resembles.length,
  }));
  return { ...(await checkData({ db }, rules)), unmapped };
}

export async function buildNamesSummary(db: Kysely<Schema>): Promise<NamesSummary> {
  const [packages, maintainers] = await Promise.all([listPackageNames(db), listMaintainerTexts(db)]);
  return { packages, maintainers };
}

/** Every summary: its name and how to build it. */
function summaryBuilders(rules: MappingRules): readonly { readonly name: string; readonly build: (db: Kysely<Schema>) => Promise<unknown> }[] {
  return [
    { name: HOME_SUMMARY, build: buildHomeSummary },
    { name: QUALITY_SUMMARY, build: (db) => buildQualitySummary(db, rules) },
    { name: NAMES_SUMMARY, build: buildNamesSummary },
  ];
}

/**
 * The summary `name` at data version `dataVersion`: the stored one when it was built at that
 * version, else built now (and not stored: a reader does not take the writer lock).
 */
export async function pageSummary<T>(db: Kysely<Schema>, name: string, dataVersion: number, build: () => Promise<T>): Promise<T> {
  const stored = await readPageSummary(db, name, dataVersion);
  return stored === undefined ? build() : (stored as T);
}

/**
 * How many pairs of these repositories of `branch` are in each state (every state listed), from
 * the home summary.
 */
export function stateCountsOf(summary: HomeSummary, branch: string, repos: readonly string[]): Record<StateName, number> {
  const counts = Object.fromEntries(STATE_NAMES.map((state) => [state, 0])) as Record<StateName, number>;
  for (const row of summary.counts) if (row.branch === branch && repos.includes(row.repo)) counts[row.state] += row.count;
  return counts;
}

/**
 * Builds and stores every summary not built at the current data version, under the writer lock
 * so the data cannot change meanwhile; writing them leaves the data version as it is. Returns
 * the names built: none when every summary is current, so a rerun does nothing.
 */
export async function refreshPageSummaries(store: Store, rules: MappingRules): Promise<string[]> {
  return withWriteLock(
    store,
    async (db) => {
      const { version } = await getDataVersion(db);
      const built: string[] = [];
      for (const { name, build } of summaryBuilders(rules)) {
        if ((await pageSummaryVersion(db, name)) === version) continue;
        await writePageSummary(db, name, version, await build(db));
        built.push(name);
      }
      return built;
    },
    { changedData: () => false },
  );
}
