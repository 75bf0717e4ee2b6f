import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { repoPath } from './paths.js';

type AddFormats = (ajv: Ajv2020) => unknown;
// ajv-formats is CommonJS: under NodeNext its function arrives as the module's `default`.
const addFormats = (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

const readSchema = (path: string) => JSON.parse(readFileSync(repoPath('fixtures', path), 'utf8')) as Record<string, unknown>;

/**
 * A validator for a vendored JSON Schema (draft 2020-12) in `fixtures/`, formats checked.
 * `referenced` maps each URL the schema `$ref`s to the vendored copy of that schema.
 */
export function schemaValidator(path: string, referenced: Readonly<Record<string, string>> = {}): ValidateFunction {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // ajv-formats has no `iri` (OpenVEX uses it): an absolute IRI is one a URL parser takes with its scheme.
  ajv.addFormat('iri', (value: string) => URL.canParse(value));
  for (const [url, file] of Object.entries(referenced)) {
    // FIRST's CVSS schemas are drafts 04 and 07, which Ajv2020 has no meta-schema for, and their
    // own ids carry a date query: register each under the URL the schema refers to instead.
    const schema = readSchema(file);
    for (const key of ['$schema', '$id', 'id']) delete schema[key];
    ajv.addSchema(schema, url);
  }
  return ajv.compile(readSchema(path));
}

/** The CSAF 2.0 schema with the FIRST CVSS schemas it refers to, all vendored in `fixtures/csaf/`. */
export function csafValidator(): ValidateFunction {
  return schemaValidator('csaf/csaf_json_schema.json', {
    'https://www.first.org/cvss/cvss-v2.0.json': 'csaf/cvss-v2.0.json',
    'https://www.first.org/cvss/cvss-v3.0.json': 'csaf/cvss-v3.0.json',
    'https://www.first.org/cvss/cvss-v3.1.json': 'csaf/cvss-v3.1.json',
  });
}
