import type { MappingRules } from '../engine/index.js';
import type { SecfixConfig } from '../formats/config.js';

export const DB_OPTION_HELP = 'database URL: sqlite:PATH or postgres://USER@HOST/DB (default: $SECFIX_DB, else sqlite:./secfix.db)';

export const CONFIG_OPTION_HELP = 'configuration file (YAML); its CPE mapping rules are used (default: the bundled Alpine rules)';

/** The configuration `--config` names, if any (its module is loaded only then). */
export async function configFor(configFlag: string | undefined): Promise<SecfixConfig | undefined> {
  if (configFlag === undefined) return undefined;
  const { loadConfig } = await import('../sources/config.js');
  return loadConfig(configFlag);
}

/** The mapping rules of `--config`, or Alpine's bundled rules when none is given. */
export async function mappingRulesFor(configFlag: string | undefined): Promise<MappingRules> {
  const config = await configFor(configFlag);
  if (config !== undefined) return config.mapping;
  const { loadBundledMappingRules } = await import('../sources/bundled-mapping.js');
  return loadBundledMappingRules();
}

/** Commander's parser for an option that takes one value and may be repeated (`--secdb a --secdb b`). */
export function collectValues(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** A byte count as options take it: `5000000`, or with a binary unit `64K`, `512M`, `4G`; undefined when malformed. */
export function parseByteSize(text: string): number | undefined {
  const match = /^(\d+)([KMG]?)(?:i?B)?$/i.exec(text.trim());
  if (match === null) return undefined;
  const bytes = Number(match[1]) * (SIZE_UNITS[(match[2] ?? '').toUpperCase()] ?? 1);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}
