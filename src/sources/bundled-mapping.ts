import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { MappingConfig } from '../formats/config.js';

/** The mapping rules secfix uses when no configuration names others: Alpine's, shipped in config/. */
export const BUNDLED_MAPPING_FILE = fileURLToPath(new URL('../../config/alpine-mapping.yaml', import.meta.url));

/**
 * The same rules as parsed and checked by the build (`compileBundledMappingRules`), in JSON:
 * loading the YAML library and parsing the YAML cost every `update` and `check` tens of
 * milliseconds of start-up. The YAML stays what is edited.
 */
export const COMPILED_MAPPING_FILE = fileURLToPath(new URL('../../dist/alpine-mapping.json', import.meta.url));

/** Alpine's bundled mapping rules, as the build compiled them. */
export async function loadBundledMappingRules(): Promise<MappingConfig> {
  let text: string;
  try {
    text = await readFile(COMPILED_MAPPING_FILE, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the bundled mapping rules (${(error as Error).message}); build secfix first (npm run build)`, { cause: error });
  }
  return JSON.parse(text) as MappingConfig;
}
