import type { TarEntry } from '../formats/tar.js';
import { OS_RELEASE_FALLBACK, SYSTEM_FILES } from './system.js';

/**
 * Files kept while layers are merged: the system files, and where their usual symlinks lead
 * (Alpine ≥ 3.17 ships `etc/os-release -> ../usr/lib/os-release`; a /usr-merged system has
 * `lib -> usr/lib`). Everything else in a layer is skipped, so memory stays small.
 */
const KEPT_FILES: ReadonlySet<string> = new Set([...Object.values(SYSTEM_FILES), OS_RELEASE_FALLBACK, 'usr/lib/apk/db/installed']);

/** Folders on the way to a kept file: a symlink or file there changes what the path reaches. */
const KEPT_FOLDERS: ReadonlySet<string> = new Set(
  [...KEPT_FILES].flatMap((path) => {
    const parts = path.split('/');
    return parts.slice(1).map((_, index) => parts.slice(0, index + 1).join('/'));
  }),
);

/** Symlink hops allowed while resolving one path, as Linux's MAXSYMLINKS. */
const MAX_SYMLINKS = 40;

/** OCI image-spec `layer.md` whiteouts: `.wh.NAME` deletes NAME, `.wh..wh..opq` empties the folder below. */
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_WHITEOUT = '.wh..wh..opq';

/**
 * A path relative to the root: no leading `/` or `./`, no empty or `.` parts, `..` applied
 * and never above the root (as a chroot would).
 */
export function normalizePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

function isBelow(path: string, folder: string): boolean {
  return folder === '' || path.startsWith(`${folder}/`);
}

/**
 * Resolves every symlink along `path` inside a root: absolute targets start again at the
 * root, relative ones from the link's folder. `readLink` gives the target of a symlink at a
 * root-relative path, or undefined when that path is not a symlink. Returns undefined when
 * more than MAX_SYMLINKS links are followed (a loop).
 */
export function resolvePath(path: string, readLink: (path: string) => string | undefined): string | undefined {
  let pending = normalizePath(path).split('/').filter((part) => part !== '');
  let done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const [part, ...rest] = pending as [string, ...string[]];
    const candidate = [...done, part].join('/');
    const target = readLink(candidate);
    if (target === undefined) {
      done.push(part);
      pending = rest;
      continue;
    }
    hops += 1;
    if (hops > MAX_SYMLINKS) return undefined;
    // `done` holds no links, so applying `..` to it lexically is exact.
    const base = target.startsWith('/') ? '' : done.join('/');
    pending = normalizePath(`${base}/${target}/${rest.join('/')}`).split('/').filter((item) => item !== '');
    done = [];
  }
  return done.join('/');
}

type Node = { readonly kind: 'file'; readonly content: Buffer } | { readonly kind: 'symlink'; readonly target: string };

/**
 * The part of an image's filesystem a scan needs, built by applying layers lowest first.
 * Follows the OCI image-spec `layer.md` rules: a whiteout hides the path (and what is below
 * it) in lower layers, an opaque whiteout hides everything below its folder in lower layers,
 * and an entry replaces whatever a lower layer had at its path.
 */
export class LayeredFiles {
  private readonly nodes = new Map<string, Node>();

  applyLayer(entries: Iterable<TarEntry>): void {
    const opaqueFolders: string[] = [];
    const whiteouts: string[] = [];
    const changes = new Map<string, TarEntry>();
    // Hard links name another member of the same layer, which may not be a kept file itself.
    const regularFiles = new Map<string, TarEntry>();
    for (const entry of entries) {
      const path = normalizePath(entry.name);
      if (path === '') continue;
      const slash = path.lastIndexOf('/');
      const folder = slash === -1 ? '' : path.slice(0, slash);
      const base = path.slice(slash + 1);
      if (base === OPAQUE_WHITEOUT) opaqueFolders.push(folder);
      else if (base.startsWith(WHITEOUT_PREFIX)) whiteouts.push(normalizePath(`${folder}/${base.slice(WHITEOUT_PREFIX.length)}`));
      else {
        if (entry.type === 'file') regularFiles.set(path, entry);
        // A later member at the same path wins, as when the layer is extracted.
        if (KEPT_FILES.has(path) || KEPT_FOLDERS.has(path)) changes.set(path, entry);
      }
    }
    if (opaqueFolders.length > 0 || whiteouts.length > 0) {
      for (const path of [...this.nodes.keys()]) {
        const hidden =
          opaqueFolders.some((folder) => isBelow(path, folder)) ||
          whiteouts.some((whiteout) => path === whiteout || isBelow(path, whiteout));
        if (hidden) this.nodes.delete(path);
      }
    }
    for (const [path, entry] of changes) this.apply(path, entry, regularFiles);
  }

  private apply(path: string, entry: TarEntry, regularFiles: ReadonlyMap<string, TarEntry>): void {
    if (entry.type === 'directory') {
      // A real folder replaces a lower symlink at its path; what lower layers put inside stays.
      this.nodes.delete(path);
      return;
    }
    this.nodes.delete(path);
    for (const key of [...this.nodes.keys()]) if (isBelow(key, path)) this.nodes.delete(key);
    if (entry.type === 'symlink') {
      this.nodes.set(path, { kind: 'symlink', target: entry.linkName ?? '' });
      return;
    }
    if (!KEPT_FILES.has(path)) return;
    if (entry.type === 'file') {
      // Copied, so the layer's decompressed bytes can be freed.
      this.nodes.set(path, { kind: 'file', content: Buffer.from(entry.content) });
    } else if (entry.type === 'hardlink') {
      const target = regularFiles.get(normalizePath(entry.linkName ?? ''));
      if (target !== undefined) this.nodes.set(path, { kind: 'file', content: Buffer.from(target.content) });
    }
  }

  /** The content of the regular file `path` reaches, or undefined when it reaches none. */
  read(path: string): Buffer | undefined {
    const resolved = resolvePath(path, (candidate) => {
      const node = this.nodes.get(candidate);
      return node?.kind === 'symlink' ? node.target : undefined;
    });
    const node = resolved === undefined ? undefined : this.nodes.get(resolved);
    return node?.kind === 'file' ? node.content : undefined;
  }
}
