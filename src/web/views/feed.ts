import type { AtomEntry, AtomFeed } from '../../formats/atom.js';
import type { StateChangeRow } from '../../store/index.js';
import { packagePath, stateChangeId, vulnerabilityPath } from '../urls.js';
import type { SiteOptions } from '../web-context.js';
import { changeTitle, newStateLabel } from './changes.js';

/** Entries per feed: the newest changes only; readers keep what they saw. */
export const FEED_SIZE = 100;

/** What a feed says of itself: its title, its own path, and the page it mirrors. */
export interface FeedHeading {
  readonly title: string;
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
export function stateChangeFeed(site: SiteOptions, base: string, subject: FeedHeading, changes: readonly StateChangeRow[], fallbackUpdated: string): AtomFeed {
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
