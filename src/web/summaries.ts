import type { Kysely } from 'kysely';
import { type Schema, pageSummaryVersion } from '../store/index.js';
import { type HomeSummary, type NamesSummary, type QueueSummary, buildHomeSummary, buildNamesSummary, buildQueueSummary, pageSummary } from '../tracker/summaries.js';
import { HOME_SUMMARY, NAMES_SUMMARY, QUEUE_SUMMARY } from '../tracker/summary-names.js';
import { type VersionedBuild, builtAtVersion } from './per-version.js';
import type { WebContext } from './web-context.js';

/** A page summary as the server reads it: at a data version, and only when at hand. */
interface ServedSummary<T> {
  /** The summary at `dataVersion`: the one `update` stored, else built once for every request of that version. */
  at(web: WebContext, dataVersion: number): Promise<T>;
  /**
   * The summary at `dataVersion` when it costs no build: the one this server holds, or the one
   * `update` stored at that version; undefined otherwise (say, after a triage event), for a page
   * that can read what it needs itself more cheaply than building the whole summary.
   */
  atHand(web: WebContext, dataVersion: number): Promise<T | undefined>;
}

/** The summary `name` of each database's latest data version, read (or built) once for every page and format. */
function servedSummary<T>(name: string, build: (db: Kysely<Schema>) => Promise<T>): ServedSummary<T> {
  const builds = new WeakMap<Kysely<Schema>, VersionedBuild<T>>();
  const at = (web: WebContext, dataVersion: number) => builtAtVersion(builds, web.db, dataVersion, () => pageSummary<T>(web.db, name, dataVersion, () => build(web.db)));
  return {
    at,
    async atHand(web, dataVersion) {
      if (builds.get(web.db)?.version === dataVersion || (await pageSummaryVersion(web.db, name)) === dataVersion) return at(web, dataVersion);
      return undefined;
    },
  };
}

/** The home summary (state and open counts, the trend): the home and branch pages read their counts here, the queue its total. */
export const homeSummary = servedSummary<HomeSummary>(HOME_SUMMARY, buildHomeSummary);

/** Every package name and maintainer text: the search matches them, "my work" finds a person's spellings in them. */
export const namesSummary = servedSummary<NamesSummary>(NAMES_SUMMARY, buildNamesSummary);

/** The triage queue's open states per place and urgency class: its total for a filter on urgency is summed from them. */
export const queueSummary = servedSummary<QueueSummary>(QUEUE_SUMMARY, buildQueueSummary);
