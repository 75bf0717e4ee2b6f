import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { repoPath } from './paths.js';

type AddFormats = (ajv: Ajv2020) => unknown;
// ajv-formats is CommonJS: under NodeNext its function arrives as the module's `default`.
const addFormats = (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

const readSchema = (path: string) => JSON.parse(readFileSync(repoPath('fixtures', path), 'utf8')) as Record<string, unknown>;

/** A validator for a vendored JSON Schema (draft 2020-12) in `fixtures/`, formats checked. */
export function schemaValidator(path: string): ValidateFunction {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // ajv-formats has no `iri` (OpenVEX uses it): an absolute IRI is one a URL parser takes with its scheme.
  ajv.addFormat('iri', (value: string) => URL.canParse(value));
  return ajv.compile(readSchema(path));
}
