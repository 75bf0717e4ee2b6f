import { InputError } from '../base/input-error.js';
import { compareVersions, isValidVersion } from '../version/index.js';
import { jsonPath } from './json-path.js';
import { findJsonSyntaxError } from './json-stream.js';
import {
  type ParseWarning,
  type SecfixId,
  type SecfixVersion,
  decodeUtf8,
  parseSecfixEntry,
  versionKeyProblem,
} from './secfix-id.js';
import { type JsonPathStep, describeJsonValue, isJsonObject, ownField } from './json-value.js';

/** One `packages[].pkg` of a secdb document: an origin (source) package and its fixes. */
export interface SecdbPackage {
  readonly name: string;
  /**
   * In file order, except that JSON.parse lists integer-like keys (`0`) first; Alpine's key
   * order carries no meaning. A key repeated inside one object keeps only its last list.
   */
  readonly secfixes: readonly SecfixVersion[];
}

/** A whole secdb document, as served at `https://secdb.alpinelinux.org/<branch>/<repo>.json`. */
export interface SecdbDocument {
  /** `3.16` for distroversion `v3.16`; `edge` stays `edge`. */
  readonly branch: string;
  readonly distroversion: string;
  /** The document's `reponame`, e.g. `main`. */
  readonly repo: string;
  readonly archs: readonly string[];
  readonly urlprefix: string | undefined;
  readonly apkurl: string | undefined;
  readonly packages: readonly SecdbPackage[];
  readonly warnings: readonly ParseWarning[];
}

/**
 * Parses a secdb JSON document. Missing or null `secfixes` and null id lists read as empty;
 * unusual version keys and branch names are kept and listed in `warnings`.
 */
export function parseSecdb(input: Buffer | string, source: string): SecdbDocument {
  const text = decodeUtf8(input, source);
  const root = parseJson(text, source);
  const fail = (steps: JsonPathStep[], problem: string): InputError => new InputError(source, jsonPath(steps), problem);
  if (!isJsonObject(root)) throw fail([], `expected a secdb object, found ${describeJsonValue(root)}`);

  const requiredString = (name: string): string => {
    const value = ownField(root, name);
    if (typeof value !== 'string' || value === '') {
      throw fail([name], value === undefined ? `missing "${name}"` : `expected a non-empty string, found ${describeJsonValue(value)}`);
    }
    return value;
  };
  const optionalString = (name: string): string | undefined => {
    const value = ownField(root, name);
    if (value === undefined || typeof value === 'string') return value;
    throw fail([name], `expected a string, found ${describeJsonValue(value)}`);
  };

  const distroversion = requiredString('distroversion');
  const repo = requiredString('reponame');
  const urlprefix = optionalString('urlprefix');
  const apkurl = optionalString('apkurl');
  const archs = readArchs(ownField(root, 'archs'), fail);
  const warnings: ParseWarning[] = [];
  const branch = branchOf(distroversion);
  if (branch === distroversion && branch !== 'edge') {
    warnings.push({ place: jsonPath(['distroversion']), problem: `distroversion ${JSON.stringify(distroversion)} is neither vX.Y nor edge; used as the branch name` });
  }

  const rawPackages = ownField(root, 'packages');
  if (rawPackages === undefined) throw fail([], 'missing "packages"');
  if (!Array.isArray(rawPackages)) throw fail(['packages'], `expected an array, found ${describeJsonValue(rawPackages)}`);
  const packages = rawPackages.map((entry: unknown, index) => readPackage(entry, ['packages', index], source, warnings));

  return { branch, distroversion, repo, archs, urlprefix, apkurl, packages, warnings };
}

/** `v3.16` → `3.16`; anything else (such as `edge`) is already a branch name. */
function branchOf(distroversion: string): string {
  return /^v\d+\.\d+$/.test(distroversion) ? distroversion.slice(1) : distroversion;
}

function readArchs(value: unknown, fail: (steps: JsonPathStep[], problem: string) => InputError): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw fail(['archs'], `expected an array of strings, found ${describeJsonValue(value)}`);
  return value.map((arch: unknown, index) => {
    if (typeof arch !== 'string') throw fail(['archs', index], `expected a string, found ${describeJsonValue(arch)}`);
    return arch;
  });
}

function readPackage(entry: unknown, at: JsonPathStep[], source: string, warnings: ParseWarning[]): SecdbPackage {
  const fail = (steps: JsonPathStep[], problem: string): InputError => new InputError(source, jsonPath([...at, ...steps]), problem);
  if (!isJsonObject(entry)) throw fail([], `expected a package object, found ${describeJsonValue(entry)}`);
  const pkg = ownField(entry, 'pkg');
  if (!isJsonObject(pkg)) throw fail(['pkg'], pkg === undefined ? 'missing "pkg"' : `expected an object, found ${describeJsonValue(pkg)}`);
  const name = ownField(pkg, 'name');
  if (typeof name !== 'string' || name === '') {
    throw fail(['pkg', 'name'], name === undefined ? 'missing package name' : `expected a non-empty string, found ${describeJsonValue(name)}`);
  }
  const rawSecfixes = ownField(pkg, 'secfixes');
  if (rawSecfixes === undefined || rawSecfixes === null) return { name, secfixes: [] };
  if (!isJsonObject(rawSecfixes)) throw fail(['pkg', 'secfixes'], `expected an object mapping versions to id lists, found ${describeJsonValue(rawSecfixes)}`);

  const secfixes = Object.entries(rawSecfixes).map(([version, list]): SecfixVersion => {
    const listAt = [...at, 'pkg', 'secfixes', version];
    const problem = versionKeyProblem(version);
    if (problem !== undefined) warnings.push({ place: jsonPath(listAt), problem });
    if (list === null) return { version, ids: [] };
    if (!Array.isArray(list)) throw new InputError(source, jsonPath(listAt), `expected a list of ids, found ${describeJsonValue(list)}`);
    const ids = list.map((item: unknown, index): SecfixId => {
      const place = jsonPath([...listAt, index]);
      if (typeof item !== 'string') throw new InputError(source, place, `expected an id string, found ${describeJsonValue(item)}`);
      return parseSecfixEntry(item, source, place);
    });
    return { version, ids };
  });
  return { name, secfixes };
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // JSON.parse messages differ between Node versions and often lack a position, so find it ourselves.
    const bytes = Buffer.from(text);
    const found = findJsonSyntaxError(bytes);
    if (found === undefined) throw new InputError(source, undefined, `malformed JSON: ${(error as Error).message}`);
    // The finder counts bytes; line and column count characters.
    throw new InputError(source, lineAndColumn(text, bytes.subarray(0, found.offset).toString('utf8').length), `malformed JSON: ${found.problem}`);
  }
}

function lineAndColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let newline = text.indexOf('\n'); newline !== -1 && newline < offset; newline = text.indexOf('\n', newline + 1)) {
    line += 1;
    lineStart = newline + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/** What a secdb document is written from: a repository's fixes, by origin and version. */
export interface SecdbExport {
  /** `3.16` is written as distroversion `v3.16`; `edge` stays `edge`. */
  readonly branch: string;
  readonly repo: string;
  readonly archs: readonly string[];
  readonly urlprefix: string;
  /** Origin → version (`0` for not affected) → entries as written (`CVE-2019-5747`, optionally followed by a note). */
  readonly packages: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
}

/** Newest version first; a key that is not an apk version sorts by text after the valid ones. */
export function bySecdbVersion(a: string, b: string): number {
  const [validA, validB] = [isValidVersion(a), isValidVersion(b)];
  if (validA && validB) return compareVersions(b, a);
  if (validA !== validB) return validA ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A secdb JSON document, as Alpine publishes it: origins by name, versions newest first (a JSON
 * object lists the integer key `0` first whatever the order), ids sorted; the same fixes give the same bytes, and `parseSecdb` reads them back.
 */
export function formatSecdb(secdb: SecdbExport): string {
  const names = [...secdb.packages.keys()].sort();
  const packages = names.map((name) => {
    const versions = secdb.packages.get(name)!;
    const secfixes = [...versions.keys()].sort(bySecdbVersion).map((version) => [version, [...new Set(versions.get(version))].sort()] as const);
    return { pkg: { name, secfixes: Object.fromEntries(secfixes) } };
  });
  const document = {
    apkurl: '{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk',
    archs: [...secdb.archs].sort(),
    reponame: secdb.repo,
    urlprefix: secdb.urlprefix,
    distroversion: /^\d+\.\d+$/.test(secdb.branch) ? `v${secdb.branch}` : secdb.branch,
    packages,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
