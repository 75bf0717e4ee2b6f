/**
 * Dependency constraints `[!]name[@tag][op version]`, as apk-tools 3.x reads them from world
 * files and index `D:`/`p:`/`i:` fields (`apk_dep_parse`, `apk_blob_pull_dep` in
 * `src/package.c`; `doc/apk-world.5.scd`; reference/formats.md §1.6).
 */
import { Buffer } from 'node:buffer';
import { VersionOp, matchVersion, operatorText, parseOperator } from './compare.js';
import { isValidVersion } from './tokenize.js';

/** One parsed dependency. */
export interface Dependency {
  /** Package (or provided) name, without `!` and `@tag`. */
  readonly name: string;
  /** Repository tag after `@`, if any. */
  readonly tag: string | undefined;
  /** Written with a leading `!`: the dependency forbids what it names. */
  readonly conflict: boolean;
  /**
   * Operator mask as apk-tools keeps it: the operator's bits (ANY when there is no operator),
   * plus CONFLICT when `conflict` is set.
   */
  readonly op: number;
  /** Text after the operator: a version, or for `><` a package identity such as `Q1…`. */
  readonly version: string | undefined;
  /** The version is not a valid version (apk keeps such a dependency but flags it). */
  readonly broken: boolean;
}

/** Characters of an operator (apk's DEPENDENCY_COMPARER class). */
const OPERATOR_CHARS = /[<>=~]/;
const SEPARATOR = /\s/;
/** A `Q<alg>` base64 package identity, as in an index `C:` field. */
const IDENTITY = /^Q[0-9][A-Za-z0-9+/]+={0,2}$/;

function isChecksum(op: number): boolean {
  return (op & VersionOp.CHECKSUM) === VersionOp.CHECKSUM;
}

/**
 * Parses one dependency, e.g. `!name@tag>=1.2`. Returns null for text apk-tools rejects as a
 * dependency: empty name, an operator with nothing after it, or whitespace (it separates
 * dependencies in a list). We also reject an empty tag (`name@`). A version that is not valid
 * is kept and marked `broken`, except after `><` (or any op with both `<` and `>`), where the
 * text is an identity, not a version.
 */
export function parseDependency(text: string): Dependency | null {
  if (SEPARATOR.test(text)) return null;
  const conflict = text.startsWith('!');
  const spec = conflict ? text.slice(1) : text;
  const opStart = spec.search(OPERATOR_CHARS);
  let nameAndTag = spec;
  let op: number = VersionOp.ANY;
  let version: string | undefined;
  if (opStart >= 0) {
    let opEnd = opStart;
    while (opEnd < spec.length && OPERATOR_CHARS.test(spec.charAt(opEnd))) opEnd++;
    if (opEnd === spec.length) return null;
    nameAndTag = spec.slice(0, opStart);
    op = parseOperator(spec.slice(opStart, opEnd));
    version = spec.slice(opEnd);
  }
  const at = nameAndTag.indexOf('@');
  const name = at >= 0 ? nameAndTag.slice(0, at) : nameAndTag;
  const tag = at >= 0 ? nameAndTag.slice(at + 1) : undefined;
  if (name === '' || tag === '') return null;
  return {
    name,
    tag,
    conflict,
    op: conflict ? op | VersionOp.CONFLICT : op,
    version,
    broken: version !== undefined && !isChecksum(op) && !isValidVersion(version),
  };
}

/** The dependency written back in apk's canonical form (`~=` becomes `~`). */
export function formatDependency(dep: Dependency): string {
  const head = `${dep.conflict ? '!' : ''}${dep.name}${dep.tag === undefined ? '' : `@${dep.tag}`}`;
  return dep.version === undefined ? head : `${head}${operatorText(dep.op)}${dep.version}`;
}

/** Whether two package identities name the same digest (base64 compared by value). */
function sameIdentity(a: string, b: string): boolean {
  if (IDENTITY.test(a) && IDENTITY.test(b)) {
    // Decoding ignores the unused low bits of the last base64 character, as apk does.
    return a[1] === b[1] && Buffer.from(a.slice(2), 'base64').equals(Buffer.from(b.slice(2), 'base64'));
  }
  return a === b;
}

/**
 * Whether a package with `version` (and package identity `identity`, its index `C:` value)
 * satisfies `dep`. An identity dependency (`><`) matches only the given identity; all others
 * compare versions with `matchVersion`, broken ones included (as apk does). A conflict
 * dependency inverts the answer.
 */
export function satisfies(dep: Dependency, version: string, identity?: string): boolean {
  if ((dep.op & ~VersionOp.CONFLICT) === VersionOp.CHECKSUM) {
    const matched = identity !== undefined && dep.version !== undefined && sameIdentity(identity, dep.version);
    return dep.conflict ? !matched : matched;
  }
  return matchVersion(version, dep.op, dep.version ?? '');
}
