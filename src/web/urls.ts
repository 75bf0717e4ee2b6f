/**
 * Every path the tracker serves, built in one place so pages, JSON-LD ids and feeds agree.
 * Paths are relative to the origin; JSON-LD makes them absolute.
 */
const segment = encodeURIComponent;

export const homePath = () => '/';
export const branchPath = (branch: string) => `/branch/${segment(branch)}`;
export const repositoryId = (branch: string, repo: string) => `${branchPath(branch)}#repo-${segment(repo)}`;
export const vulnerabilityPath = (id: string) => `/cve/${segment(id)}`;
export const packagePath = (name: string) => `/package/${segment(name)}`;
export const packageVersionId = (name: string, branch: string, repo: string, version: string) =>
  `${packagePath(name)}#${segment(branch)}/${segment(repo)}/${segment(version)}`;
export const stateId = (vulnerability: string, branch: string, repo: string, name: string) =>
  `${vulnerabilityPath(vulnerability)}#state/${segment(branch)}/${segment(repo)}/${segment(name)}`;
export const cpeMatchId = (vulnerability: string, configuration: number, node: number, match: number) =>
  `${vulnerabilityPath(vulnerability)}#cpe/${configuration}/${node}/${match}`;
/** One secfixes line: the package, where it was read, the fixed version (`0`: not affected) and the id it names. */
export const secfixId = (name: string, branch: string, repo: string, version: string, vulnerability: string) =>
  `${packagePath(name)}#secfix/${segment(branch)}/${segment(repo)}/${segment(version)}/${segment(vulnerability)}`;

/** A maintainer is named by their e-mail address when the index gives one, else by the whole text. */
export function maintainerKey(maintainer: string): string {
  const email = /<([^<>\s]+@[^<>\s]+)>/.exec(maintainer);
  return email?.[1] ?? maintainer.trim();
}
export const maintainerPath = (maintainer: string) => `/maintainer/${segment(maintainerKey(maintainer))}`;

export const maintainersPath = () => '/maintainers';
/** Sign-in (with `?return=PATH`), its provider callback, logout, and who the request is. */
export const LOGIN_PATH = '/login';
export const CALLBACK_PATH = '/auth/callback';
export const LOGOUT_PATH = '/logout';
export const ME_PATH = '/api/me';
/** Every change after a cursor, for mirrors pulling increments (the recent-changes page's JSON is at `/changes`). */
export const CHANGES_FEED_PATH = '/api/changes';
export const orphansPath = () => '/orphans';
export const changesPath = () => '/changes';
/** One row of the state history: its id in feeds and JSON-LD, and its row's anchor on the changes page. */
export const stateChangeId = (historyId: number) => `${changesPath()}#change-${historyId}`;
export const qualityPath = () => '/quality';
export const searchPath = () => '/search';
/** The triage queue page; a POST there triages the selected rows. */
export const TRIAGE_PATH = '/triage';
/** The triage API: POST records, GET lists the history. */
export const TRIAGE_API_PATH = '/api/triage';
/** Where a CVE page's triage form posts. */
export const vulnerabilityTriagePath = (id: string) => `${vulnerabilityPath(id)}/triage`;

/** The audit log (triage events and token actions), and its feed; both take `vuln`, `package` and `user`. */
export const auditPath = () => '/audit';
export const auditFeedPath = () => '/audit.atom';
/** One row of the audit log: its id in feeds and JSON-LD, and its row's anchor on the audit page. */
export const auditEventId = (id: number) => `${auditPath()}#event-${id}`;
/** A signed-in person's own work. */
export const MY_WORK_PATH = '/me';

export const feedPath = () => '/feed.atom';
export const branchFeedPath = (branch: string) => `${branchPath(branch)}/feed.atom`;
export const packageFeedPath = (name: string) => `${packagePath(name)}/feed.atom`;
export const maintainerFeedPath = (maintainer: string) => `${maintainerPath(maintainer)}/feed.atom`;

/** The JSON form of a page: the same path under /api. */
export const apiPath = (path: string) => (path === '/' ? '/api' : `/api${path}`);

/** Appends a query string built from the defined values. */
export function withQuery(path: string, params: Readonly<Record<string, string | number | boolean | undefined>>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== false && value !== '') search.set(key, value === true ? '1' : String(value));
  }
  const text = search.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** MITRE's page of a weakness id such as `CWE-79`; undefined for NVD's placeholders (`NVD-CWE-noinfo`). */
export function cweUrl(cwe: string): string | undefined {
  const number = /^CWE-(\d+)$/.exec(cwe)?.[1];
  return number === undefined ? undefined : `https://cwe.mitre.org/data/definitions/${number}.html`;
}

/** Links out to other trackers and databases for a vulnerability id. */
/** A page about a vulnerability on another site. */
export interface ExternalLink {
  readonly name: string;
  readonly url: string;
}

export function externalLinks(id: string): ExternalLink[] {
  const encoded = segment(id);
  const links = [{ name: 'OSV', url: `https://osv.dev/vulnerability/${encoded}` }];
  if (id.startsWith('CVE-')) {
    links.unshift({ name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${encoded}` }, { name: 'CVE.org', url: `https://www.cve.org/CVERecord?id=${encoded}` });
    links.push(
      { name: 'Debian', url: `https://security-tracker.debian.org/tracker/${encoded}` },
      { name: 'Ubuntu', url: `https://ubuntu.com/security/${encoded}` },
      { name: 'Red Hat', url: `https://access.redhat.com/security/cve/${encoded}` },
      { name: 'SUSE', url: `https://www.suse.com/security/cve/${encoded}/` },
      { name: 'Arch Linux', url: `https://security.archlinux.org/${encoded}` },
      { name: 'Gentoo', url: `https://bugs.gentoo.org/buglist.cgi?quicksearch=${encoded}` },
    );
  }
  if (id.startsWith('GHSA-')) links.unshift({ name: 'GitHub', url: `https://github.com/advisories/${encoded}` });
  return links;
}

/** The stable URLs of the exports, linked from the home page. */
export const EXPORT_PATHS = {
  osvIndex: '/export/osv/all.json',
  osvRecord: (id: string) => `/export/osv/${encodeURIComponent(id)}.json`,
  secdb: (branch: string, repo: string) => `/export/secdb/${encodeURIComponent(branch)}/${encodeURIComponent(repo)}.json`,
  openVex: '/export/openvex.json',
  /** CSAF's directory layout: the file names in `index.txt`, with release dates in `changes.csv`. */
  csafIndex: '/export/csaf/index.txt',
  csafChanges: '/export/csaf/changes.csv',
  /** A CSAF document by its file name without `.json` (`cve-2024-1234`). */
  csafDocument: (name: string) => `/export/csaf/${encodeURIComponent(name)}.json`,
  securityIndex: (branch: string, arch: string | undefined) =>
    `/api/branch/${encodeURIComponent(branch)}/security-index${arch === undefined ? '' : `?arch=${encodeURIComponent(arch)}`}`,
  states: '/export/states.csv',
} as const;
