import { type MappingRules, type UnmappedProduct, findUnmappedProducts, packageUniverse } from '../engine/index.js';
import { type Store, countVulnerabilitiesByProduct, listBranches, listPublishedBinaries, listPublishedOriginVersions } from '../store/index.js';

/** An unmapped product with the branches whose packages it reaches none of. */
export interface UnmappedProductReport extends UnmappedProduct {
  readonly branches: readonly string[];
}

/**
 * `secfix check --mapping`: per branch, the CPE products of the imported NVD data that reach no
 * package but resemble a package, binary or origin name of its index (see `findUnmappedProducts`),
 * with how many vulnerabilities each would add; one entry per product, naming its branches.
 */
export async function checkMapping(store: Pick<Store, 'db'>, rules: MappingRules): Promise<UnmappedProductReport[]> {
  const { db } = store;
  const branches = await listBranches(db);
  const repositoryIds = branches.flatMap((branch) => branch.repositories.map((repository) => repository.id));
  const [origins, binaries, products] = await Promise.all([
    listPublishedOriginVersions(db, repositoryIds),
    listPublishedBinaries(db, repositoryIds),
    countVulnerabilitiesByProduct(db),
  ]);
  const found = new Map<string, UnmappedProductReport>();
  for (const branch of branches) {
    const ids = new Set(branch.repositories.map((repository) => repository.id));
    const universe = packageUniverse([
      ...binaries.filter((row) => ids.has(row.repositoryId)).map((row) => ({ name: row.binary, origin: row.origin })),
      ...origins.filter((row) => ids.has(row.repositoryId)).map((row) => ({ name: row.origin, origin: row.origin })),
    ]);
    for (const product of findUnmappedProducts(products, universe, rules)) {
      const key = `${product.vendor}:${product.product}`;
      const held = found.get(key);
      found.set(key, {
        ...product,
        resembles: [...new Set([...(held?.resembles ?? []), ...product.resembles])].sort(),
        branches: [...(held?.branches ?? []), branch.name],
      });
    }
  }
  return [...found.values()].sort((a, b) => b.vulnerabilities - a.vulnerabilities || (a.vendor < b.vendor ? -1 : a.vendor > b.vendor ? 1 : a.product < b.product ? -1 : 1));
}
