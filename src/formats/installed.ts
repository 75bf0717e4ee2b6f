import {
  ApkPackageBuilder,
  parseApkDependencyList,
  parseApkStanzas,
  readApkStanzasFromChunks,
} from './apkindex.js';
import type { ApkDependency, ApkPackage, ApkStanzaBuilder } from './apkindex.js';
import { InputError } from '../base/input-error.js';

/*
 * Files of an installed Alpine system: `lib/apk/db/installed`, `etc/apk/repositories`,
 * `etc/apk/world`, `etc/apk/arch`, `etc/alpine-release`. Formats from apk-tools
 * (`src/database.c` apk_db_fdb_read/_write, `doc/apk-repositories.5.scd`,
 * `test/unit/repoparser_test.c`, `doc/apk-world.5.scd`), summarized in reference/formats.md §2.5.
 */

interface InstalledFile {
  /** Path relative to the root, without a leading `/`. */
  readonly path: string;
  /** `Z:` content digest as written (`Q1` + base64 SHA-1, or SHA-256 when the package has flag `S`). */
  readonly digest?: string;
  /** `a:` owner and mode as written, `uid:gid:mode[:xattr-digest]`; absent for the default root 0644. */
  readonly acl?: string;
}

interface InstalledDirectory {
  readonly path: string;
  /** `M:` owner and mode as written; absent for the default root 0755. */
  readonly acl?: string;
}

export interface InstalledPackage extends ApkPackage {
  readonly directories: InstalledDirectory[];
  readonly files: InstalledFile[];
  /** `r:` packages whose files this one may overwrite. */
  readonly replaces: ApkDependency[];
  readonly replacesPriority?: number;
  /** `g:` package tags. */
  readonly tags: string[];
  /** `s:` the repository tag (without `@`) the package was installed from. */
  readonly repositoryTag?: string;
  /** `f:` apk's broken-state flags as written (`f` files, `s` script, `x` xattrs, `S` SHA-256 digests). */
  readonly flags?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type InstalledExtras = Mutable<Omit<InstalledPackage, keyof ApkPackage>>;

function emptyExtras(): InstalledExtras {
  return { directories: [], files: [], replaces: [], replacesPriority: undefined, tags: [], repositoryTag: undefined, flags: undefined };
}

/**
 * Adds the installed-db fields to the index fields. File lines belong to the latest `F:`
 * directory and `a:`/`Z:` to the latest `R:` file, as apk reads them; a line without its
 * owner is a format error there too.
 */
class InstalledPackageBuilder implements ApkStanzaBuilder<InstalledPackage> {
  private readonly base: ApkPackageBuilder;
  private extras = emptyExtras();
  private directory: Mutable<InstalledDirectory> | undefined;
  private file: Mutable<InstalledFile> | undefined;

  constructor(private readonly source: string) {
    this.base = new ApkPackageBuilder(source);
  }

  private misplaced(key: string, owner: string, line: number): InputError {
    return new InputError(this.source, `line ${line}`, `${key}: line without a preceding ${owner}`);
  }

  field(key: string, value: string, line: number): void {
    const extras = this.extras;
    switch (key) {
      case 'F':
        this.directory = { path: value };
        this.file = undefined;
        extras.directories.push(this.directory);
        break;
      case 'M':
        if (this.directory === undefined) throw this.misplaced(key, 'F: directory', line);
        this.directory.acl = value;
        break;
      case 'R':
        if (this.directory === undefined) throw this.misplaced(key, 'F: directory', line);
        this.file = { path: this.directory.path === '' ? value : `${this.directory.path}/${value}` };
        extras.files.push(this.file);
        break;
      case 'a':
        if (this.file === undefined) throw this.misplaced(key, 'R: file', line);
        this.file.acl = value;
        break;
      case 'Z':
        if (this.file === undefined) throw this.misplaced(key, 'R: file', line);
        this.file.digest = value;
        break;
      case 'r': parseApkDependencyList(value, this.source, line, extras.replaces); break;
      case 'q':
        if (!/^[0-9]{1,15}$/.test(value)) {
          throw new InputError(this.source, `line ${line}`, `q: expects a decimal number, got ${JSON.stringify(value.slice(0, 40))}`);
        }
        extras.replacesPriority = Number(value);
        break;
      case 'g':
        for (const tag of value.split(' ')) if (tag !== '') extras.tags.push(tag);
        break;
      case 's': extras.repositoryTag = value; break;
      case 'f': extras.flags = value; break;
      default: this.base.field(key, value, line);
    }
  }

  end(firstLine: number): InstalledPackage {
    const extras = this.extras;
    this.extras = emptyExtras();
    this.directory = undefined;
    this.file = undefined;
    return Object.assign(this.base.end(firstLine), extras);
  }
}

/**
 * Parses a whole `lib/apk/db/installed` held in memory. A package without `V:` is kept with
 * `version: undefined` (hand-edited databases have them) so a scan can warn about it.
 */
export function parseInstalledDb(text: string, source: string): InstalledPackage[] {
  return parseApkStanzas(text, source, new InstalledPackageBuilder(source));
}

/** What `writeInstalledDb` writes of a package: the fields a scanner matches on. */
export type InstalledStanza = Pick<ApkPackage, 'name' | 'origin'> & { readonly version: string; readonly arch?: string };

/**
 * Writes a `lib/apk/db/installed` holding only the packages' `P:`, `V:`, `A:` and `o:` lines
 * (no files): enough for apk's readers and for scanners, which match on these.
 */
export function writeInstalledDb(packages: readonly InstalledStanza[]): string {
  return packages
    .map((pkg) => [`P:${pkg.name}`, `V:${pkg.version}`, ...(pkg.arch === undefined ? [] : [`A:${pkg.arch}`]), `o:${pkg.origin}`, ''].join('\n'))
    .join('\n');
}

/** Streams `lib/apk/db/installed` one package at a time. */
export function streamInstalledDb(chunks: AsyncIterable<Buffer>, source: string): AsyncGenerator<InstalledPackage> {
  return readApkStanzasFromChunks(chunks, source, new InstalledPackageBuilder(source));
}

// ---- etc/apk/repositories ----------------------------------------------------------------

type RepositoryFormat = 'v2' | 'v3' | 'ndx';

export interface ApkRepository {
  /** Repository base URL (v2/v3) or index file URL (ndx), after variable expansion. */
  readonly url: string;
  readonly format: RepositoryFormat;
  /** Tag without `@`: packages from it install only when asked for as `name@tag`. */
  readonly tag?: string;
  /** Branch from a `…/<branch>/<repo>` URL: `3.16` for `v3.16`, or `edge`. */
  readonly branch?: string;
  /** Repository name from such a URL: `main`, `community`, `testing`, … */
  readonly repo?: string;
  readonly line: number;
}

/** A line apk would skip with a warning; kept so callers can report it. */
interface RepositoryWarning {
  readonly line: number;
  readonly problem: string;
}

interface ApkRepositories {
  readonly repositories: ApkRepository[];
  readonly warnings: RepositoryWarning[];
}

interface RepositoriesOptions {
  /** Value of the built-in `${APK_ARCH}` variable. */
  readonly arch?: string;
}

/** Longest value a `set` may create; repeated self-reference could otherwise double it per line. */
const MAX_VARIABLE_LENGTH = 4096;

function isRepositoryUrl(text: string): boolean {
  return text.startsWith('/') || /^(https?|file):\/\//.test(text);
}

/** Infers the default format as apk does: an index file name means `ndx`. */
function defaultFormat(url: string): RepositoryFormat {
  return url.endsWith('.adb') || url.endsWith('.tar.gz') ? 'ndx' : 'v2';
}

/** Branch and repo name from the usual mirror layout `…/alpine/v3.20/main` or `…/edge/community`. */
function repositoryBranch(url: string): { branch: string; repo: string } | undefined {
  const parts = url.replace(/\/+$/, '').split('/');
  const repo = parts.at(-1);
  const branchDir = parts.at(-2);
  if (repo === undefined || repo === '' || branchDir === undefined) return undefined;
  if (branchDir === 'edge') return { branch: 'edge', repo };
  const match = /^v(\d+\.\d+)$/.exec(branchDir);
  return match?.[1] === undefined ? undefined : { branch: match[1], repo };
}

/** Expands `${name}`; returns undefined and names the variable when it is not defined. */
function expand(text: string, variables: ReadonlyMap<string, string>): { value: string } | { undefinedName: string } {
  let result = '';
  let pos = 0;
  for (;;) {
    const open = text.indexOf('${', pos);
    const close = open === -1 ? -1 : text.indexOf('}', open + 2);
    if (close === -1) return { value: result + text.slice(pos) };
    const name = text.slice(open + 2, close);
    const value = variables.get(name);
    if (value === undefined) return { undefinedName: name };
    result += text.slice(pos, open) + value;
    pos = close + 1;
  }
}

/**
 * Parses `etc/apk/repositories` (and `repositories.d/*.list`) in the apk 3 syntax, which also
 * accepts the classic `[@tag] URL` lines: comments, `set [-default] key=value`, the `v2`/`v3`/
 * `ndx` keywords and trailing components (`v3 https://host/alpine main community` gives one
 * repository per component). Lines apk would skip with a warning are reported in `warnings`.
 */
export function parseApkRepositories(text: string, options: RepositoriesOptions = {}): ApkRepositories {
  const repositories: ApkRepository[] = [];
  const warnings: RepositoryWarning[] = [];
  const variables = new Map<string, string>();
  if (options.arch !== undefined) variables.set('APK_ARCH', options.arch);
  const lines = text.split('\n');
  for (const [index, rawLine] of lines.entries()) {
    const line = index + 1;
    const warn = (problem: string) => warnings.push({ line, problem });
    const words = rawLine.trim().split(/\s+/);
    if (words[0] === undefined || words[0] === '' || words[0].startsWith('#')) continue;

    if (words[0] === 'set') {
      let rest = words.slice(1);
      const onlyIfUnset = rest[0] === '-default';
      if (onlyIfUnset) rest = rest.slice(1);
      if (rest[0]?.startsWith('-') === true) {
        warn(`invalid option: ${rest[0]}`);
        continue;
      }
      const definition = rest.join(' ');
      const equals = definition.indexOf('=');
      const key = definition.slice(0, equals);
      if (equals <= 0 || !/^[A-Za-z][A-Za-z0-9_]*$/.test(key) || key.startsWith('APK_')) {
        warn(`invalid variable definition: ${definition}`);
        continue;
      }
      const expanded = expand(definition.slice(equals + 1), variables);
      if ('undefinedName' in expanded) warn(`undefined variable: ${expanded.undefinedName}`);
      else if (expanded.value.length > MAX_VARIABLE_LENGTH) warn(`variable value longer than ${MAX_VARIABLE_LENGTH} characters: ${key}`);
      else if (!onlyIfUnset || !variables.has(key)) variables.set(key, expanded.value);
      continue;
    }

    let rest = words;
    let format: RepositoryFormat | undefined;
    if (rest[0] === 'v2' || rest[0] === 'v3' || rest[0] === 'ndx') {
      format = rest[0];
      rest = rest.slice(1);
    }
    let tag: string | undefined;
    if (rest[0]?.startsWith('@') === true) {
      tag = rest[0].slice(1);
      rest = rest.slice(1);
    }
    if (rest[0] === undefined) {
      warn('no repository URL');
      continue;
    }
    if (format === undefined && !rest[0].startsWith('$') && !isRepositoryUrl(rest[0])) {
      warn(`unrecognized keyword: ${rest[0]}`);
      continue;
    }
    const expanded = expand(rest.join(' '), variables);
    if ('undefinedName' in expanded) {
      warn(`undefined variable: ${expanded.undefinedName}`);
      continue;
    }
    const [url, ...components] = expanded.value.split(/\s+/);
    if (url === undefined || !isRepositoryUrl(url)) {
      warn(`invalid url: ${url ?? ''}`);
      continue;
    }
    const resolvedFormat = format ?? defaultFormat(url);
    if (resolvedFormat === 'ndx' && components.length > 0) {
      warn('components are not valid with an ndx index');
      continue;
    }
    const urls = components.length === 0 ? [url] : components.map((component) => `${url.replace(/\/+$/, '')}/${component}`);
    for (const repositoryUrl of urls) {
      const layout = resolvedFormat === 'ndx' ? undefined : repositoryBranch(repositoryUrl);
      repositories.push({ url: repositoryUrl, format: resolvedFormat, tag, branch: layout?.branch, repo: layout?.repo, line });
    }
  }
  return { repositories, warnings };
}

// ---- etc/apk/arch, etc/alpine-release --------------------------------------------------

/** Parses `etc/apk/arch`: the primary architecture, one word. */
export function parseApkArch(text: string, source: string): string {
  const words = text.trim().split(/\s+/);
  const arch = words[0];
  if (arch === undefined || arch === '' || words.length > 1 || !/^[A-Za-z0-9_]+$/.test(arch)) {
    throw new InputError(source, 'line 1', `expected one architecture name, got ${JSON.stringify(text.slice(0, 40))}`);
  }
  return arch;
}

export interface AlpineRelease {
  /** The file's version, e.g. `3.20.3` or `3.21_alpha20240807`. */
  readonly release: string;
  /** `3.20` for a release, `edge` for a development snapshot. */
  readonly branch: string;
}

/**
 * Parses `etc/alpine-release`: the alpine-base version without `-rN`. Snapshots of the
 * development branch carry a suffix (`3.21_alpha20240807`) and belong to `edge`.
 */
export function parseAlpineRelease(text: string, source: string): AlpineRelease {
  const firstLine = text.split('\n', 1)[0]?.trim() ?? '';
  const match = /^(\d+)\.(\d+)(?:\.\d+)*((?:_[a-z]+\d*)*)$/.exec(firstLine);
  if (match === null) {
    throw new InputError(source, 'line 1', `not an Alpine release version: ${JSON.stringify(firstLine.slice(0, 40))}`);
  }
  const [, major, minor, suffix] = match;
  return { release: firstLine, branch: suffix === '' || suffix === undefined ? `${major}.${minor}` : 'edge' };
}
