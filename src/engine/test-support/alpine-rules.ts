import { readFileSync } from 'node:fs';
import { parseMappingConfig } from '../../formats/config.js';
import { repoPath } from '../../test-support/paths.js';
import type { MappingRules } from '../cpe-mapping.js';

/** The bundled Alpine mapping rules (config/alpine-mapping.yaml), so tests prove the shipped file. */
const file = repoPath('config', 'alpine-mapping.yaml');
export const SAMPLE_RULES: MappingRules = parseMappingConfig(readFileSync(file, 'utf8'), file);
