/**
 * The names page summaries are stored under (see summaries.ts). A name carries its shape's
 * version: a release that changes a shape renames it, so a body of the old shape is never read.
 */
export const HOME_SUMMARY = 'home/2';
export const QUEUE_SUMMARY = 'queue/1';
export const QUALITY_SUMMARY = 'quality/1';
export const NAMES_SUMMARY = 'names/2';
/** What the stored quality summary was built from, kept beside it. */
export const QUALITY_BASIS = 'quality-basis/1';

/**
 * The summaries built from states, secfixes, NVD data and indexes alone (the queue's are of open
 * states, triaged or not, which its pages correct for triage themselves), which a triage event
 * leaves as they are: it moves them on to the data version it leaves (`carrySummariesPastTriage`).
 */
export const SUMMARIES_WITHOUT_TRIAGE: readonly string[] = [QUEUE_SUMMARY, QUALITY_SUMMARY, QUALITY_BASIS, NAMES_SUMMARY];

/** Every summary: a write to API tokens and the audit log alone moves them all on as they are. */
export const EVERY_SUMMARY: readonly string[] = [HOME_SUMMARY, ...SUMMARIES_WITHOUT_TRIAGE];
