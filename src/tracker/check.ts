import { type QualityFinding, buildMappingIndex, checkSecfixQuality, introducedAfterPublishedFindings, packageUniverse, prepareCve } from '../engine/index.js';
import type { MappingRules, PreparedCve } from '../engine/index.js';
import type { SecdbPackage } from '../formats/secdb.js';
import { type SecfixId, classifySecfixId } from '../formats/secfix-id.js';
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
 * packages no index has). A repository without any imported index cannot be checked against
 * one, so it is listed as skipped instead of flooding the report.
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

  const findings: QualityFinding[] = [];
  const skipped: { branch: string; repo: string }[] = [];
  for (const branch of branches) {
    const versionsSeen = new Map<string, Set<string>>();
    const indexedRepositories = new Set<number>();
    for (const repository of branch.repositories) {
      for (const { origin, version } of seenByRepository.get(repository.id) ?? []) {
        versionsSeen.set(origin, (versionsSeen.get(origin) ?? new Set()).add(version));
        indexedRepositories.add(repository.id);
      }
    }

    const secdb: { repo: string; packages: SecdbPackage[] }[] = [];
    const ids = new Set<string>();
    for (const repository of branch.repositories) {
      const lines = secfixesByRepository.get(repository.id) ?? [];
      if (lines.length === 0) continue;
      if (!indexedRepositories.has(repository.id)) {
        skipped.push({ branch: branch.name, repo: repository.name });
        continue;
      }
      const packages = new Map<string, Map<string, SecfixId[]>>();
      for (const line of lines) {
        const versions = packages.get(line.package) ?? new Map<string, SecfixId[]>();
        const entries = versions.get(line.version) ?? [];
        entries.push({ id: line.vulnerabilityId, kind: classifySecfixId(line.vulnerabilityId), ...(line.note === null ? {} : { note: line.note }) });
        versions.set(line.version, entries);
        packages.set(line.package, versions);
        ids.add(line.vulnerabilityId);
      }
      secdb.push({
        repo: repository.name,
        packages: [...packages].map(([name, versions]) => ({ name, secfixes: [...versions].map(([version, entries]) => ({ version, ids: entries })) })),
      });
    }
    if (secdb.length === 0) continue;

    const binaries = branch.repositories.flatMap((repository) => binariesByRepository.get(repository.id) ?? []);
    const index = buildMappingIndex(
      packageUniverse([...binaries.map((row) => ({ name: row.binary, origin: row.origin })), ...[...versionsSeen.keys()].map((origin) => ({ name: origin, origin }))]),
      rules,
    );
    const nvd = new Map<string, PreparedCve>();
    for (const id of ids) {
      const configuration = configurations.get(id);
      if (configuration !== undefined) nvd.set(id, prepareCve(configuration, index));
    }
    findings.push(...checkSecfixQuality({ branch: branch.name, secdb, versionsSeen, nvd }));
    // Each branch takes a while at full size; a server computing the report keeps answering meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
  }
  findings.push(...introducedAfterPublishedFindings(await findStates(db, { evidenceContains: '"kind":"introduced-after-published"' })));
  return { findings, skipped };
}
