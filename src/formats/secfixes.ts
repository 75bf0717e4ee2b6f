import { InputError } from '../base/input-error.js';
import { type ParseWarning, type SecfixId, type SecfixVersion, parseSecfixEntry, versionKeyProblem } from './secfix-id.js';

/** What an APKBUILD says about its package and the security fixes it records. */
export interface ApkbuildSecfixes {
  /** The first top-level `pkgname=` value, as written (may hold shell variables). */
  readonly pkgname: string | undefined;
  readonly pkgver: string | undefined;
  readonly pkgrel: string | undefined;
  /** From the `# secfixes:` block, in file order; empty when there is no block. */
  readonly secfixes: readonly SecfixVersion[];
  /** Each with place `line N`. */
  readonly warnings: readonly ParseWarning[];
}

/** An APKBUILD read from an aports tree; `path` is relative to the tree, `/`-separated. */
export interface ApkbuildFile {
  readonly path: string;
  readonly text: string;
}

/** An APKBUILD from an aports tree, placed by its path `<repo>/<package>/APKBUILD`. */
export interface AportsPackage extends ApkbuildSecfixes {
  readonly path: string;
  readonly repo: string;
  /** The package directory name, which is the origin name secdb uses. */
  readonly package: string;
}

/**
 * Parses an APKBUILD taken from an aports tree; the path gives repo and package directory.
 * Errors name the path as their source.
 */
export function parseAportsApkbuild(file: ApkbuildFile): AportsPackage {
  const parts = file.path.split('/');
  const [repo, pkg, name] = parts;
  if (parts.length !== 3 || repo === undefined || pkg === undefined || repo === '' || pkg === '' || name !== 'APKBUILD') {
    throw new InputError(file.path, undefined, 'expected a path of the form <repo>/<package>/APKBUILD');
  }
  return { path: file.path, repo, package: pkg, ...parseApkbuild(file.text, file.path) };
}

/** A column position after the leading `#` of a comment line; tabs advance to the next multiple of 8 like a terminal. */
interface CommentLine {
  readonly indent: number;
  readonly content: string;
  readonly tabbed: boolean;
}

function readCommentLine(line: string): CommentLine {
  let column = 1;
  let at = 1;
  let tabbed = false;
  for (; at < line.length; at += 1) {
    const char = line.charAt(at);
    if (char === ' ') column += 1;
    else if (char === '\t') {
      column = (Math.floor(column / 8) + 1) * 8;
      tabbed = true;
    } else break;
  }
  return { indent: column, content: line.slice(at).trimEnd(), tabbed };
}

const HEADER = /^#[ \t]*secfixes:[ \t]*$/;
const SHELL_ASSIGNMENT = /^(pkgname|pkgver|pkgrel)=(.*)$/;

/**
 * Parses an APKBUILD's text: the first top-level `pkgname=`, `pkgver=`, `pkgrel=` and the
 * `# secfixes:` block. The block is read with its own small YAML-shaped grammar rather than a YAML
 * parser, so version keys keep their source text (`1.10-r0`, not the number 1.1).
 */
export function parseApkbuild(input: Buffer | string, source: string): ApkbuildSecfixes {
  // Lenient decoding: stray non-UTF-8 bytes in shell code or a maintainer's name must not cost the
  // fixes, and the parts read here are ASCII in practice.
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  const assigned = new Map<string, string>();
  let headerIndex: number | undefined;
  lines.forEach((line, index) => {
    const assignment = SHELL_ASSIGNMENT.exec(line);
    if (assignment !== null) {
      const [, name = '', value = ''] = assignment;
      if (!assigned.has(name)) assigned.set(name, shellWord(value));
    } else if (headerIndex === undefined && HEADER.test(line)) headerIndex = index;
  });
  const warnings: ParseWarning[] = [];
  const secfixes = headerIndex === undefined ? [] : parseBlock(lines, headerIndex, source, warnings);
  const valueOf = (name: string): string | undefined => {
    const value = assigned.get(name);
    return value === '' ? undefined : value;
  };
  return { pkgname: valueOf('pkgname'), pkgver: valueOf('pkgver'), pkgrel: valueOf('pkgrel'), secfixes, warnings };
}

/** The first shell word of an assignment's right side, unquoted: `"1.2"` → `1.2`, `1.2 # note` → `1.2`. */
function shellWord(value: string): string {
  const quote = value.charAt(0);
  if (quote === '"' || quote === "'") {
    const end = value.indexOf(quote, 1);
    return end === -1 ? value.slice(1) : value.slice(1, end);
  }
  const gap = /\s/.exec(value);
  return gap === null ? value : value.slice(0, gap.index);
}

interface OpenVersion {
  readonly version: string;
  readonly ids: SecfixId[];
}

interface OpenEntry {
  readonly line: number;
  readonly indent: number;
  readonly parts: string[];
}

/**
 * Reads the comment lines after the header. The block goes on while lines are comments indented
 * deeper than the header (a bare `#` is skipped); version keys all share the first key's column,
 * `- ID` items sit at or right of it, deeper plain lines continue the item above, `#   # x` is a
 * comment. Anything else inside the block is bad input, as it would break Alpine's YAML reader.
 */
function parseBlock(lines: readonly string[], headerIndex: number, source: string, warnings: ParseWarning[]): SecfixVersion[] {
  const headerIndent = readCommentLine(lines[headerIndex] ?? '').indent;
  const versions: OpenVersion[] = [];
  const seenVersions = new Set<string>();
  let keyIndent: number | undefined;
  let entry: OpenEntry | undefined;
  let warnedTab = false;

  const closeEntry = (): void => {
    if (entry === undefined) return;
    const place = `line ${entry.line}`;
    versions[versions.length - 1]?.ids.push(parseSecfixEntry(entry.parts.join(' '), source, place));
    entry = undefined;
  };

  for (let index = headerIndex + 1; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (!line.startsWith('#')) break;
    const lineNumber = index + 1;
    const place = `line ${lineNumber}`;
    const { indent, content, tabbed } = readCommentLine(line);
    // A bare `#` neither ends the block nor belongs to it: the next non-blank line decides.
    if (content === '') {
      closeEntry();
      continue;
    }
    if (indent <= headerIndent) break;
    if (tabbed && !warnedTab) {
      warnings.push({ place, problem: 'tab in secfixes indentation; YAML readers of this block reject tabs' });
      warnedTab = true;
    }
    if (content.startsWith('#')) {
      closeEntry();
      continue;
    }

    if (content === '-' || content.startsWith('- ') || content.startsWith('-\t')) {
      closeEntry();
      if (keyIndent === undefined) throw new InputError(source, place, 'list item before any version key');
      if (indent < keyIndent) throw new InputError(source, place, 'list item indented less than its version key');
      entry = { line: lineNumber, indent, parts: [readScalar(content.slice(1).trim(), source, place)] };
      continue;
    }
    if (entry !== undefined && indent > entry.indent) {
      // YAML folds a plain scalar continued on a deeper line into one line joined by a space.
      entry.parts.push(readScalar(content, source, place));
      continue;
    }
    closeEntry();
    const version = readVersionKey(content, source, place);
    keyIndent ??= indent;
    if (indent !== keyIndent) {
      throw new InputError(source, place, `version key indented differently from the first key (column ${keyIndent + 1})`);
    }
    const problem = versionKeyProblem(version);
    if (problem !== undefined) warnings.push({ place, problem });
    if (seenVersions.has(version)) warnings.push({ place, problem: `version key ${JSON.stringify(version)} appears again; both kept` });
    seenVersions.add(version);
    versions.push({ version, ids: [] });
  }
  closeEntry();
  return versions;
}

/** A `key:` line (optionally with a trailing `# comment`); the key's text is returned unquoted. */
function readVersionKey(content: string, source: string, place: string): string {
  const quote = content.charAt(0);
  let key: string;
  let rest: string;
  if (quote === '"' || quote === "'") {
    const quoted = readQuoted(content, source, place);
    key = quoted.value;
    rest = quoted.rest.trimStart();
    if (!rest.startsWith(':')) throw new InputError(source, place, "expected ':' after the quoted version key");
    rest = rest.slice(1);
  } else {
    const colon = /:(?=[ \t]|$)/.exec(content);
    if (colon === null) throw new InputError(source, place, 'expected a version key such as "1.2.3-r0:" or a list item such as "- CVE-2021-1234"');
    key = content.slice(0, colon.index).trimEnd();
    rest = content.slice(colon.index + 1);
  }
  rest = rest.trim();
  if (rest !== '' && !rest.startsWith('#')) {
    throw new InputError(source, place, 'expected the ids on the following lines as "- ID" items, not after the version key');
  }
  if (key === '') throw new InputError(source, place, 'empty version key');
  return key;
}

/** A list item's or continuation's text: unquoted if quoted, otherwise cut before a ` #` comment as YAML does. */
function readScalar(text: string, source: string, place: string): string {
  const quote = text.charAt(0);
  if (quote === '"' || quote === "'") {
    const { value, rest } = readQuoted(text, source, place);
    const after = rest.trim();
    if (after !== '' && !after.startsWith('#')) throw new InputError(source, place, 'unexpected text after a quoted entry');
    return value;
  }
  const comment = /[ \t]#/.exec(text);
  return (comment === null ? text : text.slice(0, comment.index)).trimEnd();
}

/**
 * Reads a one-line YAML quoted scalar at the start of `text`. Single quotes escape by doubling;
 * double quotes accept `\"` and `\\` only, the escapes an id or a note could need.
 */
function readQuoted(text: string, source: string, place: string): { value: string; rest: string } {
  const quote = text.charAt(0);
  let value = '';
  for (let at = 1; at < text.length; at += 1) {
    const char = text.charAt(at);
    if (char === quote) {
      if (quote === "'" && text.charAt(at + 1) === "'") {
        value += "'";
        at += 1;
        continue;
      }
      return { value, rest: text.slice(at + 1) };
    }
    if (quote === '"' && char === '\\') {
      const escaped = text.charAt(at + 1);
      if (escaped !== '"' && escaped !== '\\') throw new InputError(source, place, `unsupported escape \\${escaped} in a quoted entry`);
      value += escaped;
      at += 1;
      continue;
    }
    value += char;
  }
  throw new InputError(source, place, 'unterminated quoted text');
}
