import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../base/input-error.js';
import { type SecdbDocument, parseSecdb } from '../formats/secdb.js';
import { isUrl } from '../sources/acquire.js';
import { isGzip, readInput, readInputBytes } from '../sources/file.js';
import { notAffectedIds } from '../engine/fix-rules.js';
import { isPublication, openPublication } from '../sources/publication.js';
import type { FixLine, SecurityData } from '../engine/scan-model.js';

/** A secdb file's bytes, read but not yet parsed. */
interface SecdbSource {
  readonly path: string;
  readonly bytes: Buffer;
}

/** A parsed secdb document and the file it came from. */
export interface SecdbFile {
  readonly path: string;
  readonly document: SecdbDocument;
}

/** The secdb files a `--secdb` path names: the file itself, or every `*.json` below a folder. */
async function secdbPaths(path: string): Promise<string[]> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(path, undefined, code === 'ENOENT' ? 'no such file or folder' : `cannot read: ${(error as Error).message}`);
  }
  if (!isFolder) return [path];
  const names = (await readdir(path, { recursive: true })).filter((name) => name.endsWith('.json')).sort();
  if (names.length === 0) throw new InputError(path, undefined, 'no *.json secdb files in this folder');
  return names.map((name) => join(path, name));
}

/**
 * The secdb files of a published folder (`secfix publish`), each checked against its checksums,
 * and the signature too when `keysDir` is given: a publication that fails is refused.
 */
async function readPublishedSecdb(location: string, keysDir: string | undefined): Promise<SecdbSource[]> {
  const publication = await openPublication(location, { keysDir });
  const files = publication.index.files.filter((file) => file.export === 'secdb');
  if (files.length === 0) throw new InputError(location, undefined, 'the publication holds no secdb files');
  return Promise.all(files.map(async (file) => ({ path: publication.locate(file.path), bytes: await publication.read(file.path) })));
}

/**
 * Reads every secdb file the paths name: files, folders such as a copy of secdb.alpinelinux.org
 * with its `v3.16/main.json` layout, or flat files (gzip is recognized by content), and
 * published folders (a folder holding SHA256SUMS, or any URL), verified with `keysDir` when given.
 */
export async function readSecdbSources(paths: readonly string[], keysDir?: string): Promise<SecdbSource[]> {
  const read = async (path: string): Promise<SecdbSource[]> => {
    if (isUrl(path)) return readPublishedSecdb(path.endsWith('/') ? path : `${path}/`, keysDir);
    if (await isPublication(path)) return readPublishedSecdb(path, keysDir);
    return Promise.all(
      (await secdbPaths(path)).map(async (file) => {
        const bytes = await readInputBytes(file);
        // Plain JSON is the rule; only a gzipped file pays for the streaming gunzip.
        return { path: file, bytes: isGzip(bytes) ? await readInput(file) : bytes };
      }),
    );
  };
  return (await Promise.all(paths.map(read))).flat();
}

/**
 * The branch a secdb document declares in `distroversion` (`v3.16` → `3.16`, as parseSecdb
 * reads it), found with a plain JSON.parse, which costs a small part of a full parse. Undefined
 * when the text does not say, so the caller parses it fully and reports what is wrong.
 */
function declaredBranch(bytes: Buffer): string | undefined {
  let root: unknown;
  try {
    root = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  const distroversion = typeof root === 'object' && root !== null && 'distroversion' in root ? root.distroversion : undefined;
  if (typeof distroversion !== 'string') return undefined;
  return /^v\d+\.\d+$/.test(distroversion) ? distroversion.slice(1) : distroversion;
}

/**
 * Parses the sources that are, or may be, for `branch`; documents of other branches are
 * only peeked at (they cannot contribute), which keeps a scan against many branches' files fast.
 * Returns the parsed documents and every branch the sources declare.
 */
export function parseSecdbForBranch(sources: readonly SecdbSource[], branch: string): { files: SecdbFile[]; branches: string[] } {
  const files: SecdbFile[] = [];
  const branches = new Set<string>();
  for (const source of sources) {
    const declared = declaredBranch(source.bytes);
    if (declared !== undefined && declared !== branch) {
      branches.add(declared);
      continue;
    }
    const document = parseSecdb(source.bytes, source.path);
    branches.add(document.branch);
    if (document.branch === branch) files.push({ path: source.path, document });
  }
  return { files, branches: [...branches].sort() };
}

/**
 * The fix lines of one branch and the ids its `0` lines declare not affected, chosen by each
 * document's own `distroversion` (never by its file name); undefined when no document is for
 * that branch.
 */
export function secdbSecurityData(files: readonly SecdbFile[], branch: string): SecurityData | undefined {
  const chosen = files.filter((file) => file.document.branch === branch);
  if (chosen.length === 0) return undefined;
  const fixes = new Map<string, FixLine[]>();
  for (const { document } of chosen) {
    for (const pkg of document.packages) {
      const lines = fixes.get(pkg.name) ?? [];
      for (const secfix of pkg.secfixes) {
        for (const id of secfix.ids) lines.push({ version: secfix.version, id: id.id, repo: document.repo });
      }
      fixes.set(pkg.name, lines);
    }
  }
  const notAffected = new Map([...fixes].flatMap(([origin, lines]) => {
    const ids = notAffectedIds(lines);
    return ids.size === 0 ? [] : [[origin, ids] as const];
  }));
  return {
    kind: 'secdb',
    branch,
    sources: chosen.map((file) => file.path),
    repos: [...new Set(chosen.map((file) => file.document.repo))].sort(),
    fixes,
    notAffected,
  };
}
