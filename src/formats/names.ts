/**
 * The names secfix stores and shows (branches, repositories, packages, vulnerability ids),
 * checked before anything is stored. Each check returns why a name is refused, or undefined.
 */

/** Longest name accepted: real package names stay under 64 characters; this bounds hostile input. */
const MAX_NAME_LENGTH = 128;

/**
 * Longest vulnerability id: Alpine's old tracker stored ids in a String(80) column, and every id
 * form seen in secfixes (CVE, GHSA, XSA, GNUTLS-SA-YYYY-MM-DD, ...) is far shorter.
 */
export const MAX_VULNERABILITY_ID_LENGTH = 80;

/** A CVE id; the serial number is bounded as in the CVE JSON 5 schema, so matching stays cheap on any input. */
export const CVE_ID = /^CVE-\d{4}-\d{4,19}$/;

// apk's package names: `[a-zA-Z0-9._+-]`, starting alphanumeric (apk-package(5); see
// shared/reference/formats.md §1.10). Repositories are folders of such names (main, community).
const APK_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const RELEASE_BRANCH = /^\d+\.\d+(\.\d+)?$/;
// Ids are kept as written (junk such as `CVE-????-?????` included), so only what could break a
// page, a path or a log line is refused: whitespace, control characters, markup and quotes.
const UNSAFE_ID_CHARACTER = /[\s\p{Cc}<>"'`\\&]/u;

function quoted(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}

function apkNameProblem(what: string, name: string): string | undefined {
  if (name.length > MAX_NAME_LENGTH) return `${what} of ${name.length} characters, longer than ${MAX_NAME_LENGTH}`;
  if (!APK_NAME.test(name)) return `${what} ${quoted(name)}: expected letters, digits and . _ + -, starting with a letter or digit`;
  return undefined;
}

/** A package (binary or origin) name, by apk's rules. */
export function packageNameProblem(name: string): string | undefined {
  return apkNameProblem('package name', name);
}

/** A repository name (main, community, testing): the same rules as a package name. */
export function repositoryNameProblem(name: string): string | undefined {
  return apkNameProblem('repository name', name);
}

/**
 * A branch: `edge`, a release `N.N[.N]`, or, where a configuration declared branches, one of
 * `declared` (which must themselves be apk names).
 */
export function branchNameProblem(name: string, declared?: ReadonlySet<string>): string | undefined {
  if (name === 'edge' || RELEASE_BRANCH.test(name)) return undefined;
  if (declared === undefined) return `branch ${quoted(name)}: expected edge or a release such as 3.20`;
  if (declared.has(name) && declaredBranchNameProblem(name) === undefined) return undefined;
  return `branch ${quoted(name)}: expected edge, a release such as 3.20, or a branch the configuration declares`;
}

/** A configuration's own branch name: any apk name, so that distributions with other schemes (rolling) fit. */
export function declaredBranchNameProblem(name: string): string | undefined {
  return apkNameProblem('branch name', name);
}

/** A vulnerability id as written in secfixes, rejections, NVD or CVE records. */
export function vulnerabilityIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'empty vulnerability id';
  if (id.length > MAX_VULNERABILITY_ID_LENGTH) return `vulnerability id of ${id.length} characters, longer than ${MAX_VULNERABILITY_ID_LENGTH}`;
  if (UNSAFE_ID_CHARACTER.test(id)) return `vulnerability id ${quoted(id)}: whitespace, control characters, quotes and < > & \\ are not allowed`;
  return undefined;
}
