import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MappingConfig, type SecfixConfig, parseConfig, parseMappingConfig } from '../formats/config.js';
import { InputError } from '../base/input-error.js';
import { isUrl } from './acquire.js';

/** The mapping rules secfix uses when no configuration names others: Alpine's, shipped in config/. */
const BUNDLED_MAPPING_FILE = fileURLToPath(new URL('../../config/alpine-mapping.yaml', import.meta.url));

/** The demo configuration: the real Alpine sample data shipped in data/. */
export const BUNDLED_DEMO_CONFIG = fileURLToPath(new URL('../../data/demo.yaml', import.meta.url));

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(path, undefined, code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`);
  }
}

/** Reads a mapping-rules file. */
export async function loadMappingRules(path: string = BUNDLED_MAPPING_FILE): Promise<MappingConfig> {
  return parseMappingConfig(await readText(path), path);
}

/**
 * Reads a configuration file: local paths in it become absolute (relative to the file's folder),
 * URLs stay as they are, and a mapping file it names is read into `mapping`.
 */
export async function loadConfig(path: string): Promise<SecfixConfig> {
  const config = parseConfig(await readText(path), path);
  const base = dirname(resolve(path));
  const place = (location: string) => (isUrl(location) ? location : resolve(base, location));
  const placeOptional = (location: string | undefined) => (location === undefined ? undefined : place(location));
  const mappingFile = placeOptional(config.mappingFile);
  return {
    ...config,
    keys: placeOptional(config.keys),
    branches: config.branches.map((branch) => ({
      ...branch,
      repositories: branch.repositories.map((repository) => ({
        ...repository,
        index: placeOptional(repository.index),
        secdb: placeOptional(repository.secdb),
      })),
    })),
    nvd: config.nvd.map(place),
    cve5: config.cve5.map(place),
    rejections: config.rejections.map((rejections) => ({ ...rejections, source: place(rejections.source) })),
    mapping: mappingFile === undefined ? config.mapping : await loadMappingRules(mappingFile),
    mappingFile,
  };
}
