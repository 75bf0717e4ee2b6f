import { InputError } from '../base/input-error.js';
import { JsonReader } from './json-value.js';
import { bySecdbVersion } from './secdb.js';

/*
 * secfix's security index: what an installed system of one branch (and one architecture) needs to
 * know to list its security upgrades, in one compact JSON file. Per origin (source package): the
 * version the branch publishes, its binary packages, the fixes that version includes (apk version
 * to ids, as secfixes lists them; only fixes the branch publishes) and the ids that never
 * affected it. A scanner looks an installed package up by its origin (`o:` in the installed
 * database), ignores ids under `notAffected`, and needs an upgrade for each id whose fix version
 * is above the installed one.
 */

/** The `format` field: names the document and its version, so a reader refuses another. */
const SECURITY_INDEX_FORMAT = 'secfix-security-index/1';

export interface SecurityIndexPackage {
  /** The repository that publishes it (`main`, `community`). */
  readonly repo: string;
  /** The newest version the branch publishes. */
  readonly version: string;
  /** Its binary packages at that version. */
  readonly binaries: readonly string[];
  /** Fix version → ids fixed there; every version is at or below `version`. */
  readonly fixes: ReadonlyMap<string, readonly string[]>;
  /** Ids that never affected the origin (decided, triaged or rejected). */
  readonly notAffected: readonly string[];
}

export interface SecurityIndexDocument {
  readonly branch: string;
  /** The architecture whose binaries are listed; null for all of them. */
  readonly arch: string | null;
  readonly repos: readonly string[];
  /** ISO date the branch stops getting fixes, when known. */
  readonly endOfSupport?: string;
  /** By origin. */
  readonly packages: ReadonlyMap<string, SecurityIndexPackage>;
}

const sorted = (items: readonly string[]) => [...new Set(items)].sort();

/** The document as compact JSON: origins, binaries and ids sorted, fix versions newest first; the same data gives the same bytes. */
export function formatSecurityIndex(document: SecurityIndexDocument): string {
  const packages = [...document.packages.keys()].sort().map((origin) => {
    const pkg = document.packages.get(origin)!;
    const fixes = [...pkg.fixes.keys()].sort(bySecdbVersion).map((version) => [version, sorted(pkg.fixes.get(version)!)] as const);
    return [origin, { repo: pkg.repo, version: pkg.version, binaries: sorted(pkg.binaries), fixes: Object.fromEntries(fixes), notAffected: sorted(pkg.notAffected) }] as const;
  });
  const json = {
    format: SECURITY_INDEX_FORMAT,
    branch: document.branch,
    arch: document.arch,
    repos: sorted(document.repos),
    ...(document.endOfSupport === undefined ? {} : { endOfSupport: document.endOfSupport }),
    packages: Object.fromEntries(packages),
  };
  return `${JSON.stringify(json)}\n`;
}

const texts = (list: JsonReader) => list.asArray().map((item) => item.asNonEmptyString());

/** Reads a security index; a wrong or missing field throws InputError naming `source` and the field's JSON path. */
export function parseSecurityIndex(input: Buffer | string, source: string): SecurityIndexDocument {
  let value: unknown;
  try {
    value = JSON.parse(typeof input === 'string' ? input : input.toString('utf8'));
  } catch (error) {
    throw new InputError(source, undefined, `not JSON: ${(error as Error).message}`);
  }
  const root = JsonReader.of(value, source).asObject();
  const format = root.field('format');
  if (format.asString() !== SECURITY_INDEX_FORMAT) format.fail(`expected ${JSON.stringify(SECURITY_INDEX_FORMAT)}: not a secfix security index of this version`);
  const arch = root.field('arch');
  const endOfSupport = root.optional('endOfSupport')?.asNonEmptyString();
  const packages = root.object('packages').entries().map(([origin, entry]) => {
    const pkg = entry.asObject();
    const fixes = pkg.object('fixes').entries().map(([version, ids]) => [version, texts(ids)] as const);
    const parsed: SecurityIndexPackage = {
      repo: pkg.string('repo'),
      version: pkg.field('version').asNonEmptyString(),
      binaries: texts(pkg.field('binaries')),
      fixes: new Map(fixes),
      notAffected: texts(pkg.field('notAffected')),
    };
    return [origin, parsed] as const;
  });
  return {
    branch: root.field('branch').asNonEmptyString(),
    arch: arch.value === null ? null : arch.asNonEmptyString(),
    repos: texts(root.field('repos')),
    ...(endOfSupport === undefined ? {} : { endOfSupport }),
    packages: new Map(packages),
  };
}
