import { type MappingRules, type UnmappedProduct, findUnmappedProducts, packageUniverse } from '../engine/index.js';
import { type Store, countVulnerabilitiesByProduct, listBranches, listPublishedBinaries, listPublishedOriginVersions } from '../store/index.js';

/**
 * `secfix check --mapping`: the CPE products of the imported NVD data that reach no package of a
 * branch but resemble a package, binary or origin name of its index (see `findUnmappedProducts`),
 * with how many vulnerabilities each would add; one entry per product, naming its branches.
 */
export async function checkMapping(store: Pick<Store, 'db'>, rules: MappingRules): Promise<UnmappedProduct[]> {
  const { db } = store;
  const branches = await listBranches(db);
  const repositoryIds = branches.flatMap((branch) => branch.repositories.map((repository) => repository.id));
  const [origins, binaries, products] = await Promise.all([
    listPublishedOriginVersions(db, repositoryIds),
    listPublishedBinaries(db, repositoryIds),
    countVulnerabilitiesByProduct(db),
  ]);
  const branchOf = new Map(branches.flatMap((branch) => branch.repositories.map((repository) => [repository.id, branch.name] as const)));
  const packagesOf = new Map(branches.map((branch) => [branch.name, [] as { name: string; origin: string }[]]));
  for (const row of binaries) packagesOf.get(branchOf.get(row.repositoryId)!)!.push({ name: row.binary, origin: row.origin });
  for (const row of origins) packagesOf.get(branchOf.get(row.repositoryId)!)!.push({ name: row.origin, origin: row.origin });
  return findUnmappedProducts(
    products,
    branches.map((branch) => ({ branch: branch.name, universe: packageUniverse(packagesOf.get(branch.name)!) })),
    rules,
  );
}
