import { type MappingIndexOf, type MappingRules, type PackageUniverse, buildMappingIndex, hasLanguagePrefix, mapCriterionToPackages, productRulesOnly } from './cpe-mapping.js';

/**
 * Mapping coverage behind `secfix check --mapping`: the CPE products of the NVD data that reach
 * no package although their name resembles one of the index, so the team can extend the rules
 * from data (`libexpat_project:libexpat` and Alpine's `expat`).
 */

export interface ProductCount {
  readonly vendor: string;
  readonly product: string;
  /** Vulnerabilities whose vulnerable criteria name the product. */
  readonly vulnerabilities: number;
}

export interface UnmappedProduct extends ProductCount {
  /** Index names (origins, binary packages) the product or its `_project` vendor resembles, sorted. */
  readonly resembles: readonly string[];
  /** The branches where it reaches no package but resembles one of their names, in the order given. */
  readonly branches: readonly string[];
}

/** One branch's packages, by name. */
export interface BranchUniverse {
  readonly branch: string;
  readonly universe: PackageUniverse;
}

/**
 * A name with the differences that do not tell products apart taken out: case, `-`, `_` and `.`,
 * a language prefix (`py3-`), a `lib` prefix, trailing release digits (`libgcrypt20`), and a
 * trailing `d` of a daemon (`dhcpd`).
 */
export function resemblanceKey(name: string): string {
  let key = name.toLowerCase();
  if (hasLanguagePrefix(key)) key = key.slice(key.indexOf('-') + 1);
  key = key.replace(/^lib(?=.)/, '').replace(/[-_.]/g, '');
  key = key.replace(/(?<=[a-z])\d+$/, '');
  return key.length > 3 && key.endsWith('d') ? key.slice(0, -1) : key;
}

/** The index names of every branch by resemblance key, each with the branches that have it. */
class ResemblingNames {
  private readonly byKey = new Map<string, Map<string, Set<string>>>();
  private readonly everywhere = new Map<string, { readonly names: readonly string[]; readonly branches: ReadonlySet<string> }>();
  /** Answers by keys and branches: products unmapped in the same branches often share a key. */
  private readonly answers = new Map<string, { readonly names: readonly string[]; readonly branches: ReadonlySet<string> }>();

  add(name: string, key: string, branch: string): void {
    const names = this.byKey.get(key) ?? new Map<string, Set<string>>();
    this.byKey.set(key, names);
    names.set(name, (names.get(name) ?? new Set()).add(branch));
  }

  /** Whether `branch` has a name under one of `keys`. */
  heldIn(keys: readonly string[], branch: string): boolean {
    for (const key of keys) for (const holders of this.byKey.get(key)?.values() ?? []) if (holders.has(branch)) return true;
    return false;
  }

  /** The names under `keys` that one of `branches` has (sorted), and which of those branches have one. */
  resembling(keys: readonly string[], branches: ReadonlySet<string>, everyBranch: boolean): { readonly names: readonly string[]; readonly branches: ReadonlySet<string> } {
    // A short product name can resemble thousands of index names, and most products reach no
    // package on any branch: their answer per key is built once and shared.
    if (everyBranch && keys.length === 1) return this.underKey(keys[0]!);
    const question = `${keys.join('\n')}\t${[...branches].sort().join('\n')}`;
    const known = this.answers.get(question);
    if (known !== undefined) return known;
    const names = new Set<string>();
    const hit = new Set<string>();
    for (const key of keys) {
      for (const [name, holders] of this.byKey.get(key) ?? []) {
        const shared = [...holders].filter((branch) => branches.has(branch));
        if (shared.length === 0) continue;
        names.add(name);
        for (const branch of shared) hit.add(branch);
      }
    }
    const answer = { names: [...names].sort(), branches: hit };
    this.answers.set(question, answer);
    return answer;
  }

  private underKey(key: string): { readonly names: readonly string[]; readonly branches: ReadonlySet<string> } {
    const held = this.everywhere.get(key);
    if (held !== undefined) return held;
    const names = this.byKey.get(key) ?? new Map<string, Set<string>>();
    const built = { names: [...names.keys()].sort(), branches: new Set([...names.values()].flatMap((holders) => [...holders])) };
    this.everywhere.set(key, built);
    return built;
  }
}

/**
 * The products that map to no package of a branch by `rules` but resemble one of its names, with
 * those branches, most vulnerabilities first. A product that the default rules would map but the
 * configuration keeps away (deny list, another vendor's product) is left out: that is a decision,
 * not a gap. `indexOf` gives a branch's mapping index, built by `rules` unless the caller holds it.
 */
export function findUnmappedProducts(
  products: readonly ProductCount[],
  branches: readonly BranchUniverse[],
  rules: MappingRules,
  indexOf: MappingIndexOf = (_branch, universe) => buildMappingIndex(universe, rules),
): UnmappedProduct[] {
  const candidates = products
    .filter((entry) => !/[*?]/.test(entry.product) && entry.product !== '-')
    .map((entry) => {
      const name = { vendor: entry.vendor === '*' ? undefined : entry.vendor.toLowerCase(), product: entry.product.toLowerCase() };
      const keys = new Set([resemblanceKey(name.product)]);
      if (name.vendor?.endsWith('_project') === true) keys.add(resemblanceKey(name.vendor.slice(0, -'_project'.length)));
      return { entry, name, keys: [...keys], unmappedIn: new Set<string>() };
    });
  // Only names under a candidate's key are ever asked for: a few products need few of them.
  const wanted = new Set(candidates.flatMap((candidate) => candidate.keys));
  const names = new ResemblingNames();
  // Branches share most names: each name's key is made once.
  const keys = new Map<string, string>();
  for (const { branch, universe } of branches) {
    for (const held of [universe.origins, universe.originOfBinary.keys()]) {
      for (const name of held) {
        let key = keys.get(name);
        if (key === undefined) keys.set(name, (key = resemblanceKey(name)));
        if (wanted.has(key)) names.add(name, key, branch);
      }
    }
  }
  // Whether a product maps matters only where it resembles a name: most resemble none anywhere,
  // and mapping each of them in every branch was most of the check's time.
  for (const { branch, universe } of branches) {
    const resembling = candidates.filter((candidate) => names.heldIn(candidate.keys, branch));
    if (resembling.length === 0) continue;
    const index = indexOf(branch, universe);
    const unchecked = productRulesOnly(index);
    for (const candidate of resembling) {
      if (mapCriterionToPackages(candidate.name, index).length > 0 || mapCriterionToPackages(candidate.name, unchecked).length > 0) continue;
      candidate.unmappedIn.add(branch);
    }
  }
  const found: UnmappedProduct[] = [];
  for (const { entry, keys, unmappedIn } of candidates) {
    if (unmappedIn.size === 0) continue;
    const resembling = names.resembling(keys, unmappedIn, unmappedIn.size === branches.length);
    if (resembling.names.length === 0) continue;
    found.push({ ...entry, resembles: resembling.names, branches: branches.map(({ branch }) => branch).filter((branch) => resembling.branches.has(branch)) });
  }
  return found.sort(compareUnmappedProducts);
}

/** The order unmapped products are listed in: most vulnerabilities first, then by vendor and product. */
export function compareUnmappedProducts(a: ProductCount, b: ProductCount): number {
  return b.vulnerabilities - a.vulnerabilities || (a.vendor < b.vendor ? -1 : a.vendor > b.vendor ? 1 : a.product < b.product ? -1 : a.product > b.product ? 1 : 0);
}
