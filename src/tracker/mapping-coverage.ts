import { type BranchUniverse, type MappingIndexOf, type MappingRules, type ProductCount, type UnmappedProduct, findUnmappedProducts, packageUniverse } from '../engine/index.js';
import { type BranchSummary, type Store, countVulnerabilitiesByProduct, listBranches, listPublishedBinaries } from '../store/index.js';

/** The binary packages every branch publishes now, with their origins (`listPublishedBinaries`). */
export type PublishedBinaries = readonly { readonly repositoryId: number; readonly binary: string; readonly origin: string }[];

/**
 * Each branch's published packages by name: its binaries, then its origins, which are those of
 * its binaries (a version stays published while one of its binaries is).
 */
function branchUniverses(branches: readonly BranchSummary[], binaries: PublishedBinaries): BranchUniverse[] {
  const branchOf = new Map(branches.flatMap((branch) => branch.repositories.map((repository) => [repository.id, branch.name] as const)));
  const packagesOf = new Map(branches.map((branch) => [branch.name, [] as { name: string; origin: string }[]]));
  const originsOf = new Map(branches.map((branch) => [branch.name, new Set<string>()]));
  for (const row of binaries) {
    const branch = branchOf.get(row.repositoryId)!;
    packagesOf.get(branch)!.push({ name: row.binary, origin: row.origin });
    originsOf.get(branch)!.add(row.origin);
  }
  return branches.map((branch) => {
    const packages = packagesOf.get(branch.name)!;
    for (const origin of originsOf.get(branch.name)!) packages.push({ name: origin, origin });
    return { branch: branch.name, universe: packageUniverse(packages) };
  });
}

/** `findUnmappedProducts` of `products` over the branches' published packages; `indexOf` gives their mapping indexes when the caller holds them. */
export function unmappedProducts(
  products: readonly ProductCount[],
  branches: readonly BranchSummary[],
  binaries: PublishedBinaries,
  rules: MappingRules,
  indexOf?: MappingIndexOf,
): UnmappedProduct[] {
  return findUnmappedProducts(products, branchUniverses(branches, binaries), rules, indexOf);
}

/**
 * `secfix check --mapping`: the CPE products of the imported NVD data that reach no package of a
 * branch but resemble a package, binary or origin name of its index (see `findUnmappedProducts`),
 * with how many vulnerabilities each would add; one entry per product, naming its branches.
 */
export async function checkMapping(store: Pick<Store, 'db'>, rules: MappingRules): Promise<UnmappedProduct[]> {
  const { db } = store;
  const branches = await listBranches(db);
  const repositoryIds = branches.flatMap((branch) => branch.repositories.map((repository) => repository.id));
  const [binaries, products] = await Promise.all([listPublishedBinaries(db, repositoryIds), countVulnerabilitiesByProduct(db)]);
  return unmappedProducts(products, branches, binaries, rules);
}
