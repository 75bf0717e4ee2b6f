import { LineCounter, type Node, type Pair, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { InputError } from '../base/input-error.js';
import { type SecfixId, decodeUtf8, parseSecfixEntry } from './secfix-id.js';

/** One id Alpine's security team rejected for a package (the package was never affected). */
export interface Rejection extends SecfixId {
  readonly package: string;
  /**
   * The YAML comment directly above the package key and/or directly above (or after) the id,
   * package's first; lines joined by newlines. Absent when neither has one.
   */
  readonly rationale?: string;
}

/**
 * Parses a security-rejections YAML file (`package: [ID, ...]`, one file per repo) into one
 * record per listed id, in file order. A null value reads as an empty list; a bare string value
 * is bad input, since one id without a list is more likely a mistake than a shorthand.
 */
export function parseRejections(input: Buffer | string, source: string): Rejection[] {
  const text = decodeUtf8(input, source);
  const lineCounter = new LineCounter();
  // The library's own duplicate-key check compares each key with every earlier one (quadratic),
  // so duplicates are found below with a map instead.
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const lineOf = (offset: number): string => `line ${lineCounter.linePos(offset).line}`;
  const [syntaxError] = document.errors;
  if (syntaxError !== undefined) throw new InputError(source, lineOf(syntaxError.pos[0]), `malformed YAML: ${syntaxError.message}`);

  const root = document.contents;
  if (root === null) return [];
  if (!isMap(root)) throw new InputError(source, lineOf(rangeStart(root)), 'expected a mapping from package names to lists of ids');

  const rejections: Rejection[] = [];
  const firstLines = new Map<string, string>();
  for (const pair of root.items) {
    const pkg = packageName(pair, source, lineOf, rangeStart(root));
    const keyLine = lineOf(rangeStart(pair.key, rangeStart(root)));
    const firstLine = firstLines.get(pkg);
    if (firstLine !== undefined) throw new InputError(source, keyLine, `duplicate package key "${pkg}" (first at ${firstLine})`);
    firstLines.set(pkg, keyLine);
    const value = pair.value;
    const listComment = commentDirectlyAbove(commentBeforeOf(value));
    const onKeyLine = listComment !== undefined && commentIsOnKeyLine(text, rangeEnd(pair.key), rangeStart(value));
    const packageRationale = joinComments(commentDirectlyAbove(commentBeforeOf(pair.key)), onKeyLine ? listComment : undefined);
    const firstIdRationale = onKeyLine ? undefined : listComment;
    if (value === null || (isScalar(value) && value.value === null)) continue;
    if (!isSeq(value)) {
      const found = isScalar(value) ? `a ${typeof value.value}` : isMap(value) ? 'a mapping' : 'an alias';
      throw new InputError(source, lineOf(rangeStart(value, rangeStart(root))), `expected a list of ids for "${pkg}", found ${found}`);
    }
    value.items.forEach((item, index) => {
      const place = lineOf(rangeStart(item, rangeStart(value)));
      if (!isScalar(item) || typeof item.value !== 'string') {
        throw new InputError(source, place, `expected an id string in the list for "${pkg}"`);
      }
      const id = parseSecfixEntry(item.value, source, place);
      const above = index === 0 ? joinComments(firstIdRationale, commentDirectlyAbove(item.commentBefore)) : commentDirectlyAbove(item.commentBefore);
      const rationale = joinComments(packageRationale, above, item.comment?.trim());
      rejections.push({ package: pkg, ...id, ...(rationale === undefined ? {} : { rationale }) });
    });
  }
  return rejections;
}

function rangeStart(node: unknown, fallback = 0): number {
  const range = (node as Partial<Node> | null)?.range;
  return range?.[0] ?? fallback;
}

function rangeEnd(node: unknown): number {
  const range = (node as Partial<Node> | null)?.range;
  return range?.[1] ?? 0;
}

function commentBeforeOf(node: unknown): string | null | undefined {
  return (node as Partial<Node> | null)?.commentBefore;
}

/**
 * The library files both `key: # note` and a comment line between the key and its first item
 * as the list's comment; only the text tells them apart. The first belongs to the package,
 * the second to the id below it.
 */
function commentIsOnKeyLine(text: string, keyEnd: number, listStart: number): boolean {
  const between = text.slice(keyEnd, listStart);
  const hash = between.indexOf('#');
  const newline = between.indexOf('\n');
  return hash !== -1 && (newline === -1 || hash < newline);
}

function packageName(pair: Pair<unknown, unknown>, source: string, lineOf: (offset: number) => string, fallback: number): string {
  const key = pair.key;
  const place = lineOf(rangeStart(key, rangeStart(pair.value, fallback)));
  if (!isScalar(key)) throw new InputError(source, place, 'expected a package name as the key');
  // A plain key such as `0` or `true` resolves to a non-string; the package name is its source text.
  const name = typeof key.value === 'string' ? key.value : key.source;
  if (typeof name !== 'string' || name === '') throw new InputError(source, place, 'empty package name');
  return name;
}

/**
 * The yaml library gathers every comment line before a node, blank lines included; only the
 * paragraph touching the node is "right above" it. A trailing empty line means a blank line
 * separates the comment from the node.
 */
function commentDirectlyAbove(comment: string | null | undefined): string | undefined {
  if (comment === undefined || comment === null) return undefined;
  const lines = comment.split('\n');
  const paragraph: string[] = [];
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const line = (lines[index] ?? '').trim();
    if (line === '') break;
    paragraph.push(line);
  }
  return paragraph.length === 0 ? undefined : paragraph.reverse().join('\n');
}

function joinComments(...comments: (string | undefined)[]): string | undefined {
  const present = comments.filter((comment): comment is string => comment !== undefined && comment !== '');
  return present.length === 0 ? undefined : present.join('\n');
}

/** One id to write into a rejections file, with the comment to put above it. */
interface RejectionLine {
  readonly package: string;
  readonly id: string;
  readonly comment: string | null;
}

/**
 * Writes Alpine's security-rejections YAML: packages in the order given, each id under its
 * package with its comment lines directly above it, so `parseRejections` reads each comment back
 * as that id's rationale. Blank comment lines are dropped, since a blank line would end the
 * comment's paragraph.
 */
export function formatRejections(lines: readonly RejectionLine[]): string {
  const byPackage = new Map<string, RejectionLine[]>();
  for (const line of lines) byPackage.set(line.package, [...(byPackage.get(line.package) ?? []), line]);
  let text = '';
  for (const [pkg, ids] of byPackage) {
    text += `${JSON.stringify(pkg)}:\n`;
    for (const { id, comment } of ids) {
      for (const commentLine of (comment ?? '').split('\n')) if (commentLine.trim() !== '') text += `  # ${commentLine.trim()}\n`;
      text += `  - ${JSON.stringify(id)}\n`;
    }
  }
  return text;
}
