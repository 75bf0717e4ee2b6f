import type { Kysely } from 'kysely';
import { dayOf, isBranchSupported } from '../engine/end-of-support.js';
import { type BranchOutcome, type NotifyPair, branchKey } from '../base/notify.js';
import { type KnownIssue, type NotifyAction, type NotifyPolicy, branchOutcome, groupOpenPairs, openSince, planNotifications } from '../engine/notify.js';
import {
  type TrackerLinks,
  formatCloseNote,
  formatIssueBody,
  formatUpdateNote,
  issueTitle,
  parseIssueMarkers,
} from '../formats/gitlab-issue.js';
import { type GitLabClient, GitLabError } from '../sources/gitlab.js';
import { type Schema, type Store, findStates, listBranches, listLatestStateChanges } from '../store/index.js';
import { openPairs, triageStates } from './triage.js';

/**
 * `secfix notify gitlab`: loads the open pairs and the issues secfix keeps in the project, plans
 * (src/engine/notify.ts) and carries the plan out, one call after the other. The first failing
 * call stops the run: whatever it did not do, the next run plans again, since the issues
 * themselves (found by marker) are the only record.
 */

/** The word every issue body carries, so one search lists them all (the markers confirm each). */
const SEARCH_WORD = 'secfix';

interface NotifyOptions {
  readonly policy: NotifyPolicy;
  readonly labels: readonly string[];
  /** Plan and report without calling GitLab's write endpoints. */
  readonly dryRun: boolean;
  readonly links?: TrackerLinks | undefined;
  /** The time the grace period and the end of support are measured at; now when absent. */
  readonly now?: Date;
}

/** One planned call group (create, update, close) and whether it was carried out. */
export interface NotifyActionReport {
  readonly action: NotifyAction['kind'];
  readonly origin: string;
  readonly vulnerabilityId: string;
  /** The issue's iid; null for an issue not created (yet). */
  readonly iid: number | null;
  readonly reopen?: boolean;
  readonly done: boolean;
}

export interface NotifyReport {
  readonly dryRun: boolean;
  /** Issues carrying a secfix marker found in the project. */
  readonly issuesFound: number;
  /** (origin, vulnerability) pairs open on a supported branch. */
  readonly openPairs: number;
  readonly actions: readonly NotifyActionReport[];
  readonly waiting: number;
  readonly belowSeverity: number;
  readonly overLimit: number;
  /** The call that failed and stopped the run, or null. */
  readonly failure: string | null;
}

async function loadOpenPairs(store: Store, today: string): Promise<NotifyPair[]> {
  const queue = await openPairs(store, {}, today);
  const latest = await listLatestStateChanges(store.db, queue.map((entry) => entry.package), [...new Set(queue.map((entry) => entry.triage.computedState))]);
  const changedAt = new Map(latest.map((row) => [`${row.branch}/${row.repo}/${row.package}/${row.vulnerabilityId}`, row.changedAt]));
  return groupOpenPairs(
    queue.map((entry) => ({
      branch: entry.branch,
      repo: entry.repo,
      package: entry.package,
      vulnerabilityId: entry.vulnerabilityId,
      version: entry.version,
      fixedVersion: entry.fixedVersion,
      status: entry.triage.status,
      urgency: entry.urgency,
      maintainer: entry.maintainer,
      openSince: openSince(changedAt.get(`${entry.branch}/${entry.repo}/${entry.package}/${entry.vulnerabilityId}`) ?? null, entry.triage.triage, entry.triage.computedState),
    })),
  );
}

/** Why each of `keys` (branches an issue listed as open) is open no more. */
async function outcomesOf(db: Kysely<Schema>, origin: string, vulnerabilityId: string, keys: readonly string[], supported: (branch: string) => boolean): Promise<BranchOutcome[]> {
  if (keys.length === 0) return [];
  const states = await findStates(db, { package: origin, vulnerabilityId });
  // `supported` speaks first for a branch past its end: the triage is read without the calendar.
  const triages = await triageStates(db, states, undefined);
  return keys.map((key) => {
    const index = states.findIndex((state) => branchKey(state) === key);
    const state = index < 0 ? undefined : states[index];
    return branchOutcome({ key, supported: supported(key.slice(0, key.indexOf('/'))), triage: triages[index] ?? null, fixedVersion: state?.fixedVersion ?? null });
  });
}

function closedPair(issue: KnownIssue): NotifyPair {
  return { origin: issue.origin, vulnerabilityId: issue.vulnerabilityId, severity: null, kev: false, maintainers: [], branches: [], openSince: null };
}

/** Plans and (unless `dryRun`) carries out the issue changes; a failing call ends the run and is reported. */
export async function notifyGitLab(store: Store, client: GitLabClient, options: NotifyOptions): Promise<NotifyReport> {
  const now = options.now ?? new Date();
  const today = dayOf(now);
  const branches = await listBranches(store.db);
  const endOfSupport = new Map(branches.map((branch) => [branch.name, branch.endOfSupport]));
  const supported = (branch: string) => isBranchSupported(endOfSupport.get(branch) ?? null, today);
  const pairs = await loadOpenPairs(store, today);

  const issues: KnownIssue[] = [];
  for (const issue of await client.searchIssues(SEARCH_WORD)) {
    const markers = parseIssueMarkers(issue.description);
    if (markers !== undefined) issues.push({ iid: issue.iid, state: issue.state, ...markers });
  }
  const plan = planNotifications(pairs, issues, options.policy, now);

  const reports: NotifyActionReport[] = [];
  let failure: string | null = null;
  for (const action of plan.actions) {
    const pair = action.kind === 'close' ? closedPair(action.issue) : action.pair;
    const iid = action.kind === 'create' ? null : action.issue.iid;
    const report = { action: action.kind, origin: pair.origin, vulnerabilityId: pair.vulnerabilityId, ...(action.kind === 'update' ? { reopen: action.reopen } : {}) };
    if (options.dryRun || failure !== null) {
      reports.push({ ...report, iid, done: false });
      continue;
    }
    try {
      const body = formatIssueBody(pair, options.links);
      if (action.kind === 'create') {
        const created = await client.createIssue({ title: issueTitle(pair.origin, pair.vulnerabilityId), description: body, labels: options.labels });
        reports.push({ ...report, iid: created.iid, done: true });
        continue;
      }
      const gone = await outcomesOf(store.db, pair.origin, pair.vulnerabilityId, action.gone, supported);
      // The note first: if the body's rewrite then fails, the next run posts it again rather than never.
      if (action.kind === 'update') {
        const added = action.pair.branches.filter((branch) => action.added.includes(branchKey(branch)));
        await client.addNote(action.issue.iid, formatUpdateNote(gone, added, action.pair.branches, action.reopen));
        await client.updateIssue(action.issue.iid, { description: body, ...(action.reopen ? { stateEvent: 'reopen' as const } : {}) });
      } else {
        await client.addNote(action.issue.iid, formatCloseNote(gone));
        await client.updateIssue(action.issue.iid, { description: body, stateEvent: 'close' });
      }
      reports.push({ ...report, iid, done: true });
    } catch (error) {
      if (!(error instanceof GitLabError)) throw error;
      failure = error.message;
      reports.push({ ...report, iid, done: false });
    }
  }
  return {
    dryRun: options.dryRun,
    issuesFound: issues.length,
    openPairs: pairs.length,
    actions: reports,
    waiting: plan.waiting,
    belowSeverity: plan.belowSeverity,
    overLimit: plan.overLimit,
    failure,
  };
}
