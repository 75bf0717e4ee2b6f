import { InputError } from '../base/input-error.js';
import type { InstalledStanza } from './installed.js';
import { type JsonObjectReader, type JsonReader, JsonReader as Reader } from './json-value.js';

/*
 * `answers.json` of a scanner conformance kit (`secfix conformance build`): per case, the
 * system it describes, where its root filesystem and image are, the findings a correct scanner
 * must report and the ones it must not. Written and read here, so `conformance run` reads
 * exactly what `build` wrote; the file is meant for other tools too (docs/scanners.md).
 */

export const CASE_NAMES = ['fixed', 'unfixed', 'subpackages', 'not-affected', 'fix-not-published', 'end-of-life'] as const;
export type CaseName = (typeof CASE_NAMES)[number];

/** A finding a scanner must report: this binary package at this version is affected by this id. */
export interface ExpectedFinding {
  readonly package: string;
  readonly installedVersion: string;
  readonly vulnerability: string;
  /** The published version that fixes it; null when none is published (or none exists). */
  readonly fixedVersion: string | null;
}

/** A (package, vulnerability) a scanner must not report, whatever versions it names. */
export interface ForbiddenFinding {
  readonly package: string;
  readonly vulnerability: string;
  /** Why: the installed version reaches the fix, or the origin is not affected. */
  readonly reason: string;
}

/** One test system and its answers. */
export interface KitCase {
  readonly name: CaseName;
  /** What the case checks, in words. */
  readonly description: string;
  readonly branch: string;
  /** `etc/alpine-release`'s version (`3.16.9`). */
  readonly release: string;
  readonly packages: readonly InstalledStanza[];
  readonly mustReport: readonly ExpectedFinding[];
  readonly mustNotReport: readonly ForbiddenFinding[];
}

/** A case the data offers no example of. */
export interface SkippedCase {
  readonly name: CaseName;
  readonly reason: string;
}

export interface KitAnswers {
  /** The branch the kit was built for (the end-of-life case may use another). */
  readonly branch: string;
  /** Each case with its targets: paths relative to the kit folder (a root filesystem, an image archive). */
  readonly cases: readonly (KitCase & { readonly targets: readonly string[] })[];
  readonly skipped: readonly SkippedCase[];
}

const FORMAT = 'secfix-conformance/1';

/** The answers as pretty JSON; the same kit gives the same bytes. */
export function writeKitAnswers(answers: KitAnswers): string {
  return `${JSON.stringify({ format: FORMAT, ...answers }, null, 2)}\n`;
}

function stanza(reader: JsonReader): InstalledStanza {
  const pkg = reader.asObject();
  const arch = pkg.optionalString('arch');
  return { name: pkg.string('name'), version: pkg.string('version'), origin: pkg.string('origin'), ...(arch === undefined ? {} : { arch }) };
}

function nullableString(object: JsonObjectReader, name: string): string | null {
  const field = object.field(name);
  return field.value === null ? null : field.asNonEmptyString();
}

function expected(reader: JsonReader): ExpectedFinding {
  const finding = reader.asObject();
  return {
    package: finding.string('package'),
    installedVersion: finding.string('installedVersion'),
    vulnerability: finding.string('vulnerability'),
    fixedVersion: nullableString(finding, 'fixedVersion'),
  };
}

function forbidden(reader: JsonReader): ForbiddenFinding {
  const finding = reader.asObject();
  return { package: finding.string('package'), vulnerability: finding.string('vulnerability'), reason: finding.string('reason') };
}

function caseName(reader: JsonReader): CaseName {
  const name = reader.asString();
  const known = CASE_NAMES.find((candidate) => candidate === name);
  return known ?? reader.fail(`unknown case ${JSON.stringify(name)}; expected one of ${CASE_NAMES.join(', ')}`);
}

/**
 * Parses `answers.json`. A target must stay inside the kit folder (relative, no `..`), so
 * running a kit never points a scanner elsewhere.
 */
export function parseKitAnswers(text: string, source: string): KitAnswers {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(source, undefined, `malformed JSON: ${(error as Error).message}`);
  }
  const root = Reader.of(value, source).asObject();
  const format = root.field('format');
  if (format.value !== FORMAT) format.fail(`expected ${JSON.stringify(FORMAT)}, the format secfix conformance build writes`);
  return {
    branch: root.string('branch'),
    cases: root.array('cases').map((entry) => {
      const kitCase = entry.asObject();
      return {
        name: caseName(kitCase.field('name')),
        description: kitCase.string('description'),
        branch: kitCase.string('branch'),
        release: kitCase.string('release'),
        packages: kitCase.array('packages').map(stanza),
        mustReport: kitCase.array('mustReport').map(expected),
        mustNotReport: kitCase.array('mustNotReport').map(forbidden),
        targets: kitCase.array('targets').map((target) => {
          const path = target.asNonEmptyString();
          if (path.startsWith('/') || path.split('/').includes('..')) target.fail(`target ${JSON.stringify(path)} leaves the kit folder`);
          return path;
        }),
      };
    }),
    skipped: root.array('skipped').map((entry) => {
      const skipped = entry.asObject();
      return { name: caseName(skipped.field('name')), reason: skipped.string('reason') };
    }),
  };
}
