import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { writeAtomFeed } from '../../formats/atom.js';
import { type StateChangeFilter, listStateChanges, stateChangeSubjectsExist } from '../../store/index.js';
import { notFound } from '../errors.js';
import { respond } from '../respond.js';
import { branchFeedPath, changesPath, feedPath, maintainerFeedPath, maintainerPath, packageFeedPath, packagePath, withQuery } from '../urls.js';
import { FEED_SIZE, type FeedHeading, stateChangeFeed } from '../views/feed.js';
import type { WebContext } from '../web-context.js';

export const ATOM_MEDIA_TYPE = 'application/atom+xml; charset=utf-8';
/** What one feed is about. */
interface FeedSubject extends FeedHeading {
  readonly filter: StateChangeFilter;
  /** Named in the 404 when the branch, package or maintainer does not exist. */
  readonly what: string;
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
