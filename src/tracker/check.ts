import type { Cpe } from '../formats/cpe.js';
import { type MappingRules, type QualityFinding, checkBranchQuality, evidenceNoteFindings } from '../engine/index.js';
import {
  type Store,
  findStates,
  listBranches,
  listPublishedBinaries,
  listSecfixedVulnerabilityConfigurations,
  listSecfixesOfRepositories,
  listSeenVersions,
} from '../store/index.js';

export interface CheckReport {
  readonly findings: readonly QualityFinding[];
  /** Repositories whose secfixes were not checked against an index because none was imported. */
  readonly skipped: readonly { readonly branch: string; readonly repo: string }[];
}

/** Groups rows by their `repositoryId`, keeping their order. */
function byRepository<T extends { readonly repositoryId: number }>(rows: readonly T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const row of rows) {
    const group = groups.get(row.repositoryId);
    if (group === undefined) groups.set(row.repositoryId, [row]);
    else group.push(row);
  }
  return groups;
}

/**
 * `secfix check`: data-quality problems in the stored secfixes of every branch (fix versions no
 * index ever had, fixes below NVD's affected range, ids that are not CVE/GHSA/ALPINE ids,
 * packages no index has), as engine/quality.ts judges them; this only loads and reports.
 *
 * Reads everything in a fixed number of queries (each kind of data for all branches at once),
 * so the web page that shows the report does not make more queries as branches are added.
 */
export async function checkData(store: Pick<Store, 'db'>, rules: MappingRules): Promise<CheckReport> {
  const { db } = store;
  const branches = await listBranches(db);
  const allRepositoryIds = branches.flatMap((branch) => branch.repositories.map((repository) => repository.id));
  const [seenRows, secfixRows, binaryRows, configurations] = await Promise.all([
    listSeenVersions(db, allRepositoryIds),
    listSecfixesOfRepositories(db, allRepositoryIds),
    listPublishedBinaries(db, allRepositoryIds),
    listSecfixedVulnerabilityConfigurations(db, allRepositoryIds),
  ]);
  const seenByRepository = byRepository(seenRows);
  const secfixesByRepository = byRepository(secfixRows);
  const binariesByRepository = byRepository(binaryRows);

  const parsedCpes = new Map<string, Cpe>();
  const findings: QualityFinding[] = [];
  const skipped: { branch: string; repo: string }[] = [];
  for (const branch of branches) {
    const quality = checkBranchQuality({
      branch: branch.name,
      repositories: branch.repositories.map((repository) => ({
        name: repository.name,
        seen: seenByRepository.get(repository.id) ?? [],
        secfixes: secfixesByRepository.get(repository.id) ?? [],
        binaries: binariesByRepository.get(repository.id) ?? [],
      })),
      configurations,
      rules,
      parsedCpes,
    });
    findings.push(...quality.findings);
    skipped.push(...quality.skipped.map((repo) => ({ branch: branch.name, repo })));
    // Each branch takes a while at full size; a server computing the report keeps answering meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
  }
  findings.push(...evidenceNoteFindings(await findStates(db, { evidenceContains: ['"kind":"introduced-after-published"', '"kind":"sources-disagree"'] })));
  return { findings, skipped };
}
