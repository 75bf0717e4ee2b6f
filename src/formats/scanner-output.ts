import { InputError } from '../base/input-error.js';
import { type JsonObjectReader, type JsonReader, JsonReader as Reader } from './json-value.js';

/*
 * What a scanner reported, read from its output for `secfix conformance run`. Two shapes are
 * told apart by their content:
 * - SARIF 2.1.0 (OASIS sarif-v2.1.0-os): a log with `version: "2.1.0"` and `runs`. Each result
 *   is one vulnerability (`ruleId`) of the packages its `properties` name: `packages` (binary
 *   package names) or `package`, `installedVersion`, and `fixedVersion` (absent or null: no
 *   fix to install). A result whose `properties.kind` is `fix-not-published` or `unfixed`
 *   (secfix's own kinds) names no installable fix, whatever version it mentions.
 * - `secfix scan --format json`: `findings`, each an origin at an installed version with its
 *   binary `packages` and `vulnerabilities`; only an `upgrade` finding names an installable fix.
 */

/** One (binary package, vulnerability) a scanner reported. */
export interface ReportedFinding {
  readonly package: string;
  readonly installedVersion: string | null;
  readonly vulnerability: string;
  /** The fix the scanner advises installing; null when it names none. */
  readonly fixedVersion: string | null;
}

export interface ScannerOutput {
  readonly format: 'sarif' | 'secfix-json';
  readonly findings: readonly ReportedFinding[];
}

const NO_INSTALLABLE_FIX: ReadonlySet<string> = new Set(['fix-not-published', 'unfixed']);

function optionalText(object: JsonObjectReader | undefined, name: string): string | null {
  const field = object?.optional(name);
  return field === undefined || field.value === null ? null : field.asString();
}

function sarifResult(result: JsonReader): ReportedFinding[] {
  const object = result.asObject();
  const vulnerability = object.string('ruleId');
  const properties = object.optionalObject('properties');
  const packages = properties?.has('packages') === true ? properties.array('packages').map((name) => name.asNonEmptyString()) : [];
  const single = optionalText(properties, 'package');
  if (single !== null) packages.push(single);
  if (packages.length === 0) object.field('properties').fail('names no package: expected properties.packages or properties.package');
  const kind = optionalText(properties, 'kind');
  const fixedVersion = kind !== null && NO_INSTALLABLE_FIX.has(kind) ? null : optionalText(properties, 'fixedVersion');
  const installedVersion = optionalText(properties, 'installedVersion');
  return packages.map((name) => ({ package: name, installedVersion, vulnerability, fixedVersion }));
}

function secfixFinding(entry: JsonReader): ReportedFinding[] {
  const finding = entry.asObject();
  const upgrade = finding.string('kind') === 'upgrade';
  const installedVersion = finding.string('installedVersion');
  const packages = finding.array('packages').map((pkg) => pkg.asObject().string('name'));
  return finding.array('vulnerabilities').flatMap((item) => {
    const vulnerability = item.asObject();
    const fixedVersion = upgrade ? optionalText(vulnerability, 'fixedVersion') : null;
    return packages.map((name) => ({ package: name, installedVersion, vulnerability: vulnerability.string('id'), fixedVersion }));
  });
}

/** Parses a scanner's standard output; `source` names the scanner run in errors. */
export function parseScannerOutput(text: string, source: string): ScannerOutput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(source, undefined, `not JSON (expected SARIF 2.1.0 or secfix scan --format json): ${(error as Error).message}`);
  }
  const root = Reader.of(value, source).asObject();
  if (root.has('runs') && root.field('version').value === '2.1.0') {
    return { format: 'sarif', findings: root.array('runs').flatMap((run) => run.asObject().optionalArray('results').flatMap(sarifResult)) };
  }
  if (root.has('findings')) return { format: 'secfix-json', findings: root.array('findings').flatMap(secfixFinding) };
  return root.fail('neither a SARIF 2.1.0 log (version "2.1.0", runs) nor secfix scan JSON (findings)');
}
