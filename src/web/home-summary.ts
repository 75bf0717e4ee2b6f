import type { Kysely } from 'kysely';
import { type Schema, pageSummaryVersion } from '../store/index.js';
import { HOME_SUMMARY, type HomeSummary, buildHomeSummary, pageSummary } from '../tracker/summaries.js';
import { type VersionedBuild, builtAtVersion } from './per-version.js';
import type { WebContext } from './web-context.js';

/** The summary of each database's latest data version, read (or built) once for every page and format. */
const summaries = new WeakMap<Kysely<Schema>, VersionedBuild<HomeSummary>>();

/**
 * The home summary (state and open counts, the trend) at `dataVersion`: the one `update` stored,
 * else built once for every request of that version. The home and branch pages read their counts here.
 */
export function homeSummary(web: WebContext, dataVersion: number): Promise<HomeSummary> {
  return builtAtVersion(summaries, web.db, dataVersion, () => pageSummary<HomeSummary>(web.db, HOME_SUMMARY, dataVersion, () => buildHomeSummary(web.db)));
}

/**
 * The home summary at `dataVersion` when it costs no build: the one this server holds, or the one
 * `update` stored at that version; undefined otherwise (say, after a triage event), for a page
 * that can count what it needs itself more cheaply than building the whole summary.
 */
export async function homeSummaryAtHand(web: WebContext, dataVersion: number): Promise<HomeSummary | undefined> {
  if (summaries.get(web.db)?.version === dataVersion || (await pageSummaryVersion(web.db, HOME_SUMMARY)) === dataVersion) return homeSummary(web, dataVersion);
  return undefined;
}
