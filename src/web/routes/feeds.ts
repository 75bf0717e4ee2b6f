import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AtomEntry, type AtomFeed, writeAtomFeed } from '../../formats/atom.js';
import { type StateChangeFilter, type StateChangeRow, listStateChanges, stateChangeSubjectsExist } from '../../store/index.js';
import { notFound } from '../errors.js';
import { respond } from '../respond.js';
import {
  branchFeedPath,
  changesPath,
  feedPath,
  maintainerFeedPath,
  maintainerPath,
  packageFeedPath,
  packagePath,
  stateChangeId,
  vulnerabilityPath,
  withQuery,
} from '../urls.js';
import { changeTitle, newStateLabel } from '../views/changes.js';
import type { SiteOptions, WebContext } from '../web-context.js';

export const ATOM_MEDIA_TYPE = 'application/atom+xml; charset=utf-8';
/** Entries per feed: the newest changes only; readers keep what they saw. */
export const FEED_SIZE = 100;

/** What one feed is about. */
export interface FeedSubject {
  readonly filter: StateChangeFilter;
  readonly title: string;
  /** Named in the 404 when the branch, package or maintainer does not exist. */
  readonly what: string;
  /** The feed's own path. */
  readonly selfPath: string;
  /** The page showing the same changes (or the thing they are about). */
  readonly pagePath: string;
}

function severityText(change: StateChangeRow): string {
  if (change.severity === null) return 'not rated';
  return change.cvssScore === null ? change.severity : `${change.severity} (CVSS ${change.cvssScore.toFixed(1)})`;
}

function changeSentence(change: StateChangeRow): string {
  const subject = `${change.package} in ${change.branch}/${change.repo}`;
  if (change.oldState === null) return `${subject} got its first state for ${change.vulnerabilityId}: ${newStateLabel(change.newState)}.`;
  if (change.newState === null) return `${subject} no longer has a state for ${change.vulnerabilityId} (it was ${change.oldState}).`;
  return `${subject} went from ${change.oldState} to ${change.newState} for ${change.vulnerabilityId}.`;
}

/** What a feed reader shows of a change: the change, its cause, the severity and the description's start. */
function entrySummary(change: StateChangeRow): string {
  const lines = [
    changeSentence(change),
    `Cause: ${change.cause}.`,
    `Severity: ${severityText(change)}.`,
  ];
  if (change.description !== null) lines.push(`${change.description}${change.descriptionTruncated ? '…' : ''}`);
  return lines.join('\n');
}

function entry(change: StateChangeRow, base: string): AtomEntry {
  return {
    id: `${base}${stateChangeId(change.id)}`,
    title: changeTitle(change),
    updated: change.changedAt,
    links: [
      { rel: 'alternate', type: 'text/html', href: `${base}${vulnerabilityPath(change.vulnerabilityId)}` },
      { rel: 'related', type: 'text/html', href: `${base}${packagePath(change.package)}`, title: change.package },
    ],
    categories: [newStateLabel(change.newState), change.branch],
    summary: { type: 'text', value: entrySummary(change) },
  };
}

/** The Atom feed of these changes (newest first); `fallbackUpdated` dates a feed without entries. */
export function stateChangeFeed(site: SiteOptions, base: string, subject: FeedSubject, changes: readonly StateChangeRow[], fallbackUpdated: string): AtomFeed {
  return {
    id: `${base}${subject.selfPath}`,
    title: `${subject.title} · ${site.distribution} security tracker`,
    subtitle: `The latest ${FEED_SIZE} changes of vulnerability states, newest first.`,
    updated: changes[0]?.changedAt ?? fallbackUpdated,
    links: [
      { rel: 'self', type: 'application/atom+xml', href: `${base}${subject.selfPath}` },
      { rel: 'alternate', type: 'text/html', href: `${base}${subject.pagePath}` },
    ],
    authors: [{ name: `${site.distribution} security tracker`, uri: `${base}/` }],
    generator: 'secfix',
    entries: changes.map((change) => entry(change, base)),
  };
}

/**
 * Serves a feed through `respond` (validators, cache, compression). Rendering checks that its
 * subject exists (404 otherwise), then reads the changes: at most two queries after the data
 * version, one for the whole-tracker feed.
 */
function feedHandler(web: WebContext, subjectOf: (params: Readonly<Record<string, string>>) => FeedSubject) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const subject = subjectOf(request.params as Record<string, string>);
    const base = web.origin();
    return respond(web, request, reply, {
      // Feeds take no query parameters; those a feed reader adds are ignored, as pages ignore them.
      url: subject.selfPath,
      contentType: ATOM_MEDIA_TYPE,
      variant: 'atom',
      render: async (dataVersion) => {
        // First, so an unknown branch is not looked for through the whole history.
        if (!(await stateChangeSubjectsExist(web.db, subject.filter))) throw notFound(subject.what);
        const changes = await listStateChanges(web.db, subject.filter, { limit: FEED_SIZE });
        return writeAtomFeed(stateChangeFeed(web.site, base, subject, changes, dataVersion.changedAt));
      },
    });
  };
}

/** The Atom feeds of state changes: everything, and per branch, package and maintainer. */
export function registerFeedRoutes(app: FastifyInstance, web: WebContext): void {
  app.get(
    feedPath(),
    feedHandler(web, () => ({ filter: {}, title: 'State changes', what: 'feed', selfPath: feedPath(), pagePath: changesPath() })),
  );
  app.get(
    '/branch/:branch/feed.atom',
    feedHandler(web, ({ branch = '' }) => ({
      filter: { branch },
      title: `State changes in ${branch}`,
      what: `branch ${branch}`,
      selfPath: branchFeedPath(branch),
      pagePath: withQuery(changesPath(), { branch }),
    })),
  );
  app.get(
    '/package/:name/feed.atom',
    feedHandler(web, ({ name = '' }) => ({
      filter: { package: name },
      title: `State changes of ${name}`,
      what: `package ${name}`,
      selfPath: packageFeedPath(name),
      pagePath: packagePath(name),
    })),
  );
  app.get(
    '/maintainer/:key/feed.atom',
    feedHandler(web, ({ key = '' }) => ({
      filter: { maintainerKey: key },
      title: `State changes of packages maintained by ${key}`,
      what: `maintainer ${key}`,
      selfPath: maintainerFeedPath(key),
      pagePath: maintainerPath(key),
    })),
  );
}
