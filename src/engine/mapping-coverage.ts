import { type MappingRules, type PackageUniverse, buildMappingIndex, hasLanguagePrefix, mapCriterionToPackages } from './cpe-mapping.js';

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

/**
 * The products that map to no package of `universe` by `rules` but resemble one of its names,
 * most vulnerabilities first. A product that the default rules would map but the configuration
 * keeps away (deny list, another vendor's product) is left out: that is a decision, not a gap.
 */
export function findUnmappedProducts(products: readonly ProductCount[], universe: PackageUniverse, rules: MappingRules): UnmappedProduct[] {
  const index = buildMappingIndex(universe, rules);
  const unchecked = buildMappingIndex(universe, { products: rules.products, deny: [], vendors: {} });
  const namesByKey = new Map<string, Set<string>>();
  for (const name of [...universe.origins, ...universe.originOfBinary.keys()]) {
    const key = resemblanceKey(name);
    namesByKey.set(key, (namesByKey.get(key) ?? new Set()).add(name));
  }
  const found: UnmappedProduct[] = [];
  for (const entry of products) {
    if (/[*?]/.test(entry.product) || entry.product === '-') continue;
    const name = { vendor: entry.vendor === '*' ? undefined : entry.vendor.toLowerCase(), product: entry.product.toLowerCase() };
    if (mapCriterionToPackages(name, index).length > 0 || mapCriterionToPackages(name, unchecked).length > 0) continue;
    const keys = new Set([resemblanceKey(name.product)]);
    if (name.vendor?.endsWith('_project') === true) keys.add(resemblanceKey(name.vendor.slice(0, -'_project'.length)));
    const resembles = [...keys].flatMap((key) => [...(namesByKey.get(key) ?? [])]);
    if (resembles.length > 0) found.push({ ...entry, resembles: [...new Set(resembles)].sort() });
  }
  return found.sort((a, b) => b.vulnerabilities - a.vulnerabilities || (a.vendor < b.vendor ? -1 : a.vendor > b.vendor ? 1 : a.product < b.product ? -1 : 1));
}
