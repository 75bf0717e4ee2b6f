import { InputError } from '../base/input-error.js';
import type { FixLine, SecurityData } from '../engine/scan-model.js';
import { type SecurityIndexDocument, parseSecurityIndex } from '../formats/security-index.js';
import { readInputBytes } from '../sources/file.js';
import { isPublication, openPublication } from '../sources/publication.js';
import type { SecurityDataLoader } from './run.js';
import { DEFAULT_TIMEOUT_MS, fetchFailure } from './tracker-api.js';

/*
 * `scan --index-url`: a tracker's security index (`GET /api/branch/B/security-index`, or the file
 * `secfix export security-index` writes) as the scan's security data. It carries only published
 * fixes, each with the version that publishes it, so its `upgrade` findings are the tracker's.
 */

const isUrl = (location: string) => /^https?:\/\//i.test(location);

/** The document's bytes from an http(s) URL or a file; a failure names the location. */
async function readLocation(location: string): Promise<Buffer> {
  if (!isUrl(location)) return readInputBytes(location);
  let response: Response;
  let bytes: Buffer;
  try {
    response = await fetch(location, { headers: { accept: 'application/json', 'user-agent': 'secfix' }, signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS) });
    bytes = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    throw new InputError(location, undefined, `cannot fetch the security index: ${fetchFailure(error, location, DEFAULT_TIMEOUT_MS)}`);
  }
  if (!response.ok) throw new InputError(location, undefined, `HTTP ${response.status} ${response.statusText}`.trim());
  return bytes;
}

/** The index as the scan's security data: each origin's fixes as fix lines, its version as published. */
function indexSecurityData(document: SecurityIndexDocument, source: string): SecurityData {
  const fixes = new Map<string, FixLine[]>();
  const notAffected = new Map<string, Set<string>>();
  const published = new Map<string, string>();
  for (const [origin, pkg] of document.packages) {
    fixes.set(origin, [...pkg.fixes].flatMap(([version, ids]) => ids.map((id) => ({ version, id, repo: pkg.repo }))));
    notAffected.set(origin, new Set(pkg.notAffected));
    published.set(origin, pkg.version);
  }
  return {
    kind: 'index',
    branch: document.branch,
    sources: [source],
    repos: document.repos,
    fixes,
    notAffected,
    published,
    ...(document.endOfSupport === undefined ? {} : { endOfSupport: document.endOfSupport }),
  };
}

/**
 * The index of `branch` in a published folder, checked against its checksums (and, with
 * `keysDir`, its signature): the branch's one `security-index/<branch>/<arch>.json`; a branch
 * published for several architectures needs the file of the system's named instead.
 */
async function readPublishedIndex(location: string, branch: string, keysDir: string | undefined): Promise<{ bytes: Buffer; source: string }> {
  const publication = await openPublication(location, { keysDir });
  const files = publication.index.files.filter((file) => file.export === 'security-index' && file.path.startsWith(`security-index/${branch}/`));
  if (files.length !== 1) {
    const choices = files.map((file) => publication.locate(file.path)).join(', ');
    throw new InputError(location, undefined, files.length === 0 ? `the publication holds no security index of branch ${branch}` : `the publication holds a security index per architecture of branch ${branch}; give the one of this system: ${choices}`);
  }
  return { bytes: await publication.read(files[0]!.path), source: publication.locate(files[0]!.path) };
}

/**
 * Security data from the security index at `location`: an http(s) URL, a file, or a published
 * folder (a folder holding SHA256SUMS, or a URL ending in `/`) verified with `keysDir` when given.
 */
export function securityIndexLoader(location: string, keysDir?: string): SecurityDataLoader {
  return async (branch) => {
    const { bytes, source } = (await isPublication(location)) ? await readPublishedIndex(location, branch, keysDir) : { bytes: await readLocation(location), source: location };
    const document = parseSecurityIndex(bytes, source);
    if (document.branch !== branch) throw new InputError(source, '$.branch', `the security index is for branch ${document.branch}, not ${branch}`);
    return indexSecurityData(document, source);
  };
}
