import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { MappingRules } from '../../engine/index.js';
import { BUNDLED_DEMO_CONFIG, loadConfig, loadMappingRules } from '../../sources/config.js';
import { type Store, findStates } from '../../store/index.js';
import { repoPath } from '../../test-support/paths.js';
import { importApkIndex, importNvd, importRejections, importSecdb } from '../import.js';

/** The real v3.16 slice of data/alpine-sample, as the tracker tests import it. */

const SAMPLE = ['data', 'alpine-sample'];
export const V316_INDEX = repoPath(...SAMPLE, 'apkindex', 'v3.16-main-x86_64', 'APKINDEX.tar.gz');
/** The same index, extracted: plain text the importer also reads (no signature to forge when edited). */
export const V316_INDEX_TEXT = repoPath(...SAMPLE, 'apkindex', 'v3.16-main-x86_64', 'APKINDEX');
export const KEYS = repoPath(...SAMPLE, 'keys');
export const V316_MAIN_SECDB = repoPath(...SAMPLE, 'secdb', 'v3.16', 'main.json');
export const V316_COMMUNITY_SECDB = repoPath(...SAMPLE, 'secdb', 'v3.16', 'community.json');
export const NVD_2_0_SAMPLE = repoPath(...SAMPLE, 'nvd', 'api-2.0', 'nvdcve-2.0-sample.json');
export const nvdFeed = (year: number) => repoPath(...SAMPLE, 'nvd', 'feed-1.1', `nvdcve-1.1-${year}.json`);

/** The bundled mapping rules (config/alpine-mapping.yaml), as `update` uses them by default. */
export const bundledRules = (): Promise<MappingRules> => loadMappingRules();

/** Every NVD file of the sample in the demo's order: the 1.1 feeds, then the 2.0 sample (newer copies win). */
export async function sampleNvdFiles(): Promise<string[]> {
  return [...(await loadConfig(BUNDLED_DEMO_CONFIG)).nvd];
}

/** Imports the signed v3.16 main index as branch 3.16, repo main. */
export function importV316Index(store: Store, location = V316_INDEX) {
  return importApkIndex(store, { branch: '3.16', repo: 'main', location, keysDir: KEYS });
}

export async function importAll(store: Store, nvd: readonly string[]): Promise<void> {
  for (const location of nvd) await importNvd(store, { location });
}

/**
 * The v3.16 sample: the index, both secdb files, the given NVD files (all of them by default)
 * and, when given, a rejections file.
 */
export async function importV316(store: Store, options: { nvd?: readonly string[]; rejections?: string } = {}): Promise<void> {
  await importV316Index(store);
  await importSecdb(store, { location: V316_MAIN_SECDB });
  await importSecdb(store, { location: V316_COMMUNITY_SECDB });
  await importAll(store, options.nvd ?? (await sampleNvdFiles()));
  if (options.rejections !== undefined) await importRejections(store, { location: options.rejections });
}

/** The origin a stanza of APKINDEX text names (`o:`). */
export const originOf = (stanza: string): string | undefined => /^o:(.*)$/m.exec(stanza)?.[1];

/** The v3.16 APKINDEX text with each stanza passed through `edit` (undefined drops it; an array replaces it with several). */
export function editedIndex(edit: (stanza: string) => string | string[] | undefined): string {
  const stanzas = readFileSync(V316_INDEX_TEXT, 'utf8').split('\n\n').filter((stanza) => stanza.trim() !== '');
  return `${stanzas.flatMap((stanza) => edit(stanza) ?? []).join('\n\n')}\n\n`;
}

/** The v3.16 index text with every build of `origin` at version `from` moved to `to`. */
export function indexWithVersion(origin: string, from: string, to: string): string {
  return editedIndex((stanza) => (originOf(stanza) === origin ? stanza.replace(`\nV:${from}\n`, `\nV:${to}\n`) : stanza));
}

/** Writes `text` to `dir/name` and returns the path. */
export function writeText(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * A fingerprint of the state table as the tracker decides it (repository, package,
 * vulnerability, state, version, fixed version, evidence), without `updated_at`: two databases
 * that decided the same thing at different times have the same digest. Repositories are named
 * by branch and repo, since ids depend on import order.
 */
export async function stateDigest(store: Store): Promise<{ digest: string; rows: number }> {
  const { rows } = await sql<{ branch: string; repo: string; package: string; vulnerability_id: string; state: string; version: string | null; fixed_version: string | null; evidence: string }>`
    select b.name as branch, r.name as repo, s.package, s.vulnerability_id, s.state, s.version, s.fixed_version, s.evidence
    from state s join repository r on r.id = s.repository_id join branch b on b.id = r.branch_id`.execute(store.db);
  const lines = rows
    .map((row) => JSON.stringify([row.branch, row.repo, row.package, row.vulnerability_id, row.state, row.version, row.fixed_version, JSON.parse(row.evidence)]))
    .sort();
  return { digest: createHash('sha256').update(lines.join('\n')).digest('hex'), rows: lines.length };
}

/** The one state of a pair in branch 3.16 (any repo), or undefined. */
export async function stateOf(store: Store, pkg: string, vulnerabilityId: string) {
  const found = await findStates(store.db, { branch: '3.16', package: pkg, vulnerabilityId });
  if (found.length > 1) throw new Error(`${pkg} ${vulnerabilityId} has ${found.length} states in 3.16`);
  return found[0];
}

/** Counts the rows of a table, e.g. to show an update wrote no history. */
export async function countRows(store: Store, table: 'state' | 'state_history' | 'dirty'): Promise<number> {
  const { rows } = await sql<{ count: number | string }>`select count(*) as count from ${sql.table(table)}`.execute(store.db);
  return Number(rows[0]?.count ?? 0);
}
