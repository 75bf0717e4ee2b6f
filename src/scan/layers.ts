import { InputError } from '../base/input-error.js';
import { type TarEntryType, type TarEvent, type TarHeader, TarReader } from '../formats/tar.js';
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

/**
 * The installed database of big images is a few MiB; a kept file past this is refused rather
 * than held, so a layer cannot make the scan hold more than this per kept path.
 */
const MAX_KEPT_FILE_BYTES = 256 * 1024 * 1024;

/** What one layer puts at a kept path (or on the way to one). */
interface LayerChange {
  readonly type: TarEntryType;
  readonly linkName: string | undefined;
  /** A regular file's content, or a hard link's once resolved. */
  readonly content: Buffer | undefined;
}

/** What one layer changes in the part of the filesystem a scan reads. */
interface LayerChanges {
  readonly opaqueFolders: readonly string[];
  readonly whiteouts: readonly string[];
  /** By path; a later member at the same path wins, as when the layer is extracted. */
  readonly changes: ReadonlyMap<string, LayerChange>;
  /**
   * Members that kept hard links point at but whose content was not kept (they are not kept
   * paths themselves); reading the layer again with these as `linkTargets` resolves them.
   */
  readonly missingLinkTargets: ReadonlySet<string>;
}

/**
 * Collects a layer's changes from its tar events, as they stream past: whiteouts, and the
 * entries at kept paths, holding only the content of kept files (and of `linkTargets`).
 */
class LayerCollector {
  private readonly opaqueFolders: string[] = [];
  private readonly whiteouts: string[] = [];
  private readonly changes = new Map<string, LayerChange>();
  /** Contents of this layer's kept regular files, for hard links to them. */
  private readonly contents = new Map<string, Buffer>();
  private readonly missingLinkTargets = new Set<string>();
  private current: { readonly path: string; readonly header: TarHeader; readonly pieces: Buffer[] | undefined } | undefined;

  constructor(
    private readonly source: string,
    private readonly linkTargets: ReadonlySet<string> = new Set(),
  ) {}

  take(event: TarEvent): void {
    if (event.kind === 'entry') this.startEntry(event.header);
    else if (event.kind === 'data') this.current?.pieces?.push(Buffer.from(event.bytes));
    else this.endEntry();
  }

  finish(): LayerChanges {
    return { opaqueFolders: this.opaqueFolders, whiteouts: this.whiteouts, changes: this.changes, missingLinkTargets: this.missingLinkTargets };
  }

  private startEntry(header: TarHeader): void {
    this.current = undefined;
    const path = normalizePath(header.name);
    if (path === '') return;
    const slash = path.lastIndexOf('/');
    const folder = slash === -1 ? '' : path.slice(0, slash);
    const base = path.slice(slash + 1);
    if (base === OPAQUE_WHITEOUT) {
      this.opaqueFolders.push(folder);
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      this.whiteouts.push(normalizePath(`${folder}/${base.slice(WHITEOUT_PREFIX.length)}`));
      return;
    }
    const isKept = KEPT_FILES.has(path) || KEPT_FOLDERS.has(path);
    const holdContent = header.type === 'file' && (KEPT_FILES.has(path) || this.linkTargets.has(path));
    if (holdContent && header.size > MAX_KEPT_FILE_BYTES) {
      throw new InputError(this.source, path, `${header.size} bytes is larger than the ${MAX_KEPT_FILE_BYTES} a scan reads`);
    }
    if (isKept || holdContent) this.current = { path, header, pieces: holdContent ? [] : undefined };
  }

  private endEntry(): void {
    const current = this.current;
    this.current = undefined;
    if (current === undefined) return;
    const { path, header } = current;
    let content: Buffer | undefined = current.pieces === undefined ? undefined : Buffer.concat(current.pieces);
    if (content !== undefined) this.contents.set(path, content);
    if (!KEPT_FILES.has(path) && !KEPT_FOLDERS.has(path)) return;
    if (header.type === 'hardlink' && KEPT_FILES.has(path)) {
      // Hard links name an earlier member of the same layer.
      const target = normalizePath(header.linkName ?? '');
      content = this.contents.get(target);
      if (content === undefined) this.missingLinkTargets.add(target);
    }
    this.changes.set(path, { type: header.type, linkName: header.linkName, content });
  }
}

async function collectLayer(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, source: string, linkTargets: ReadonlySet<string>): Promise<LayerChanges> {
  const reader = new TarReader(source);
  const collector = new LayerCollector(source, linkTargets);
  const drain = () => {
    for (let event = reader.next(); event !== undefined; event = reader.next()) collector.take(event);
  };
  for await (const chunk of chunks) {
    reader.write(chunk);
    drain();
    // Past the end-of-archive blocks nothing counts; stop reading (and decompressing).
    if (reader.finished) break;
  }
  reader.end();
  drain();
  return collector.finish();
}

/**
 * Reads one layer's changes as its tar bytes stream past. `open` gives the bytes; it is called
 * a second time only when a kept path is a hard link to a member that was not kept.
 */
export async function readLayerChanges(open: () => AsyncIterable<Buffer> | Iterable<Buffer>, source: string): Promise<LayerChanges> {
  const first = await collectLayer(open(), source, new Set());
  if (first.missingLinkTargets.size === 0) return first;
  return collectLayer(open(), source, first.missingLinkTargets);
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

  applyLayer(layer: LayerChanges): void {
    const { opaqueFolders, whiteouts } = layer;
    if (opaqueFolders.length > 0 || whiteouts.length > 0) {
      for (const path of [...this.nodes.keys()]) {
        const hidden =
          opaqueFolders.some((folder) => isBelow(path, folder)) ||
          whiteouts.some((whiteout) => path === whiteout || isBelow(path, whiteout));
        if (hidden) this.nodes.delete(path);
      }
    }
    for (const [path, change] of layer.changes) this.apply(path, change);
  }

  private apply(path: string, change: LayerChange): void {
    this.nodes.delete(path);
    // A real folder replaces a lower symlink at its path; what lower layers put inside stays.
    if (change.type === 'directory') return;
    for (const key of [...this.nodes.keys()]) if (isBelow(key, path)) this.nodes.delete(key);
    if (change.type === 'symlink') this.nodes.set(path, { kind: 'symlink', target: change.linkName ?? '' });
    else if (change.content !== undefined && KEPT_FILES.has(path)) this.nodes.set(path, { kind: 'file', content: change.content });
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
