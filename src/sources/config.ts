import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MappingConfig, type SecfixConfig, parseConfig, parseMappingConfig } from '../formats/config.js';
import { InputError } from '../base/input-error.js';
import { isUrl } from './acquire.js';
import { BUNDLED_MAPPING_FILE, COMPILED_MAPPING_FILE, loadBundledMappingRules } from './bundled-mapping.js';

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

/** Reads a mapping-rules file; without one, the bundled rules (as `loadBundledMappingRules` reads them). */
export async function loadMappingRules(path?: string): Promise<MappingConfig> {
  return path === undefined ? loadBundledMappingRules() : parseMappingConfig(await readText(path), path);
}

/**
 * Parses and checks the bundled mapping rules (config/alpine-mapping.yaml) and writes them as the
 * JSON `loadBundledMappingRules` reads; the build runs it, and so does the test setup. Written
 * under another name first, so a reader never sees half a file.
 */
export async function compileBundledMappingRules(): Promise<void> {
  const rules = await loadMappingRules(BUNDLED_MAPPING_FILE);
  const partial = `${COMPILED_MAPPING_FILE}.${process.pid}`;
  await mkdir(dirname(COMPILED_MAPPING_FILE), { recursive: true });
  await writeFile(partial, `${JSON.stringify(rules)}\n`);
  await rename(partial, COMPILED_MAPPING_FILE);
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
