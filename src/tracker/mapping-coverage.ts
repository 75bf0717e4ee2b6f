import { type BranchUniverse, type MappingRules, type ProductCount, type UnmappedProduct, findUnmappedProducts, packageUniverse } from '../engine/index.js';
import { type BranchSummary, type Store, countVulnerabilitiesByProduct, listBranches, listPublishedBinaries, listPublishedOriginVersions } from '../store/index.js';

/** Published origins and binaries of every branch, as the mapping coverage reads them. */
export interface PublishedRows {
  readonly origins: readonly { readonly repositoryId: number; readonly origin: string }[];
  readonly binaries: readonly { readonly repositoryId: number; readonly binary: string; readonly origin: string }[];
}

/** Each branch's published packages by name. */
export function branchUniverses(branches: readonly BranchSummary[], rows: PublishedRows): BranchUniverse[] {
  const branchOf = new Map(branches.flatMap((branch) => branch.repositories.map((repository) => [repository.id, branch.name] as const)));
  const packagesOf = new Map(branches.map((branch) => [branch.name, [] as { name: string; origin: string }[]]));
  for (const row of rows.binaries) packagesOf.get(branchOf.get(row.repositoryId)!)!.push({ name: row.binary, origin: row.origin });
  for (const row of rows.origins) packagesOf.get(branchOf.get(row.repositoryId)!)!.push({ name: row.origin, origin: row.origin });
  return branches.map((branch) => ({ branch: branch.name, universe: packageUniverse(packagesOf.get(branch.name)!) }));
}

/** `findUnmappedProducts` of `products` over the branches' published packages. */
export function unmappedProducts(products: readonly ProductCount[], branches: readonly BranchSummary[], rows: PublishedRows, rules: MappingRules): UnmappedProduct[] {
  return findUnmappedProducts(products, branchUniverses(branches, rows), rules);
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
  const [origins, binaries, products] = await Promise.all([
    listPublishedOriginVersions(db, repositoryIds),
    listPublishedBinaries(db, repositoryIds),
    countVulnerabilitiesByProduct(db),
  ]);
  return unmappedProducts(products, branches, { origins, binaries }, rules);
}
