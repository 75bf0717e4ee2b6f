import { type BranchOutcome, type NotifyPair, type OpenBranch, branchKey } from '../base/notify.js';

/**
 * The GitLab issues `secfix notify gitlab` writes (GitLab Flavored Markdown), and the hidden
 * markers read back from them: `<!-- secfix:ORIGIN:VULN -->` names the pair, and
 * `<!-- secfix-open:3.20/main,3.21/main -->` the branches the body last listed as open, so a later
 * run (even on a fresh database) finds the issue and knows what changed.
 */

/** Links into the tracker's pages; absent when the configuration names no base URL. */
export interface TrackerLinks {
  vulnerability(id: string): string;
  package(name: string): string;
}

/** The hidden marker that names the pair; searching issue descriptions for it finds the issue. */
function issueMarker(origin: string, vulnerabilityId: string): string {
  return `<!-- secfix:${origin}:${vulnerabilityId} -->`;
}

function openMarker(keys: readonly string[]): string {
  return `<!-- secfix-open:${keys.join(',')} -->`;
}

export function issueTitle(origin: string, vulnerabilityId: string): string {
  return `${origin}: ${vulnerabilityId}`;
}

const PAIR_MARKER = /<!-- secfix:([^:\s]+):(\S+) -->/;
const OPEN_MARKER = /<!-- secfix-open:(\S*) -->/;

/** What an issue's markers say; undefined when it has no pair marker. */
export interface IssueMarkers {
  readonly origin: string;
  readonly vulnerabilityId: string;
  /** The branch keys last listed as open; null without an open-branches marker. */
  readonly recordedOpen: readonly string[] | null;
}

export function parseIssueMarkers(description: string | null): IssueMarkers | undefined {
  const pair = PAIR_MARKER.exec(description ?? '');
  if (pair === null) return undefined;
  const open = OPEN_MARKER.exec(description ?? '');
  const recordedOpen = open === null ? null : open[1]!.split(',').filter((key) => key !== '').sort();
  return { origin: pair[1]!, vulnerabilityId: pair[2]!, recordedOpen };
}

/** Text that GitLab Markdown shows as written: no emphasis, links, mentions, references or HTML. */
function literal(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#+!|~@&$%]/g, (character) => `\\${character}`);
}

function cell(text: string | null): string {
  return text === null ? '–' : literal(text);
}

function branchRow(branch: OpenBranch): string {
  return `| ${cell(branch.branch)} | ${cell(branch.repo)} | ${cell(branch.version)} | ${cell(branch.fixedVersion)} | ${branch.status} |`;
}

/**
 * The body of a pair's issue: the branches open now with their published and fixed versions,
 * the severity, the maintainers (by name and e-mail: the index knows no GitLab user names), the
 * tracker's links, and both markers. An empty branch list says nothing is open any more.
 */
export function formatIssueBody(pair: NotifyPair, links: TrackerLinks | undefined): string {
  const severity = `${pair.severity === null ? 'unknown' : literal(pair.severity.toLowerCase())}${pair.kev ? ', listed as known exploited (CISA KEV)' : ''}`;
  const lines = [issueMarker(pair.origin, pair.vulnerabilityId), ''];
  if (pair.branches.length === 0) lines.push(`Nothing is open for **${literal(pair.origin)}** and ${literal(pair.vulnerabilityId)} any more.`);
  else {
    lines.push(
      `**${literal(pair.origin)}** is open for ${literal(pair.vulnerabilityId)} (severity: ${severity}) on these supported branches:`,
      '',
      '| Branch | Repository | Published version | Fixed version | Status |',
      '| --- | --- | --- | --- | --- |',
      ...pair.branches.map(branchRow),
      '',
      `Maintainer: ${pair.maintainers.length === 0 ? 'none in the index' : pair.maintainers.map(literal).join('; ')}`,
    );
  }
  if (links !== undefined) {
    lines.push('', `Tracker: [${literal(pair.vulnerabilityId)}](${links.vulnerability(pair.vulnerabilityId)}) · [${literal(pair.origin)}](${links.package(pair.origin)})`);
  }
  lines.push(
    '',
    'Opened and kept up to date by secfix: it adds a note when branches are fixed or triaged, and closes this issue when nothing is open.',
    openMarker(pair.branches.map(branchKey)),
  );
  return `${lines.join('\n')}\n`;
}

function outcomeLine(outcome: BranchOutcome): string {
  return `- ${literal(outcome.key)}: ${outcome.outcome}${outcome.detail === null ? '' : ` (${literal(outcome.detail)})`}`;
}

/** The note on a change: branches no longer open and why, branches newly open, what stays open. */
export function formatUpdateNote(gone: readonly BranchOutcome[], added: readonly OpenBranch[], open: readonly OpenBranch[], reopened: boolean): string {
  const lines: string[] = [];
  if (reopened) lines.push('Reopened by secfix: the pair is open again.', '');
  if (gone.length > 0) lines.push('No longer open:', ...gone.map(outcomeLine), '');
  if (added.length > 0) lines.push('Now open:', ...added.map((branch) => `- ${literal(branchKey(branch))}: ${branch.status}`), '');
  lines.push(`Still open on ${open.length === 0 ? 'no branch' : open.map((branch) => literal(branchKey(branch))).join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

/** The note before closing: nothing is open any more, and why for each branch the issue listed. */
export function formatCloseNote(gone: readonly BranchOutcome[]): string {
  const lines = ['Closed by secfix: nothing is open on a supported branch any more.'];
  if (gone.length > 0) lines.push('', ...gone.map(outcomeLine));
  return `${lines.join('\n')}\n`;
}
