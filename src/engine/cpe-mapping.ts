import type { Cpe, CpeValue } from '../formats/cpe.js';
import { type VersionConstraint, parseVersionLine } from '../formats/version-line.js';
import type { MatchRule } from '../base/states.js';
import { groupBy } from '../base/group-by.js';

/**
 * From a CPE criterion (vendor, product, target software) to the origin packages of one branch
 * that may ship that product. Missing a real vulnerability is worse than a false alarm, so the
 * default rules cast wide and the configuration narrows them: it names the CPE vendors of a
 * package (a product of the same name from another vendor is someone else's), denies products,
 * and maps products whose names differ from Alpine's.
 */

/** One branch's packages: its origins and which origin each binary package is built from. */
export interface PackageUniverse {
  readonly origins: ReadonlySet<string>;
  readonly originOfBinary: ReadonlyMap<string, string>;
}

/** A product the configuration maps by hand; without `vendor` it matches every vendor. */
export interface ProductRule {
  readonly vendor?: string;
  readonly product: string;
  /** Origin names. */
  readonly packages: readonly string[];
  /**
   * The version line the rule covers, in the product's NVD numbering (`<4`): a criterion maps
   * through the rule only when it names no version or one in the line (see `isInVersionLine`).
   */
  readonly versions?: string;
}

/** A product that never maps to any package; without `vendor` it is denied for every vendor. */
export interface DenyRule {
  readonly vendor?: string;
  readonly product: string;
}

/**
 * A platform an apk distribution never runs as: a `vulnerable: false` criterion naming it does not
 * hold. Each field left out matches anything; a product ending in `*` matches by prefix.
 */
interface PlatformRule {
  /** CPE part: `o` (operating system) or `h` (hardware). */
  readonly part?: string;
  readonly vendor?: string;
  readonly product?: string;
}

/** Mapping rules from the configuration; names are compared in lower case, as CPE matching is. */
export interface MappingRules {
  readonly products: readonly ProductRule[];
  readonly deny: readonly DenyRule[];
  /** Origin → the CPE vendors known to make it. A criterion from any other vendor does not map. */
  readonly vendors: Readonly<Record<string, readonly string[]>>;
  /** Platforms that are not this distribution; none when left out (every platform holds). */
  readonly foreignPlatforms?: readonly PlatformRule[];
}

/** The parts of a CPE criterion that decide which packages it names, lower case. */
export interface CriterionName {
  /** Undefined when the criterion's vendor is ANY. */
  readonly vendor: string | undefined;
  readonly product: string;
  /** Undefined when ANY or NA. */
  readonly targetSw?: string;
}

export interface PackageMatch {
  readonly origin: string;
  readonly rule: MatchRule;
  /** The version lines of the configured rules that reached the origin; undefined when one covers every version. */
  readonly lines?: readonly (readonly VersionConstraint[])[];
}

/** Lookup tables for one universe and one rule set, built once and reused for every criterion. */
export interface MappingIndex {
  readonly origins: ReadonlySet<string>;
  readonly originOfBinary: ReadonlyMap<string, string>;
  /** `openssl` → [`openssl3`], `postgresql` → [`postgresql13`, `postgresql14`]. */
  readonly versionedOrigins: ReadonlyMap<string, readonly string[]>;
  /**
   * The names of the three tables above with a language prefix taken off (`lxml` for `py3-lxml`):
   * a product none of whose spellings is here reaches nothing through a prefix, so its mapping
   * skips trying every prefix on every spelling, which most products would otherwise pay.
   */
  readonly prefixedBases: ReadonlySet<string>;
  readonly productRules: ReadonlyMap<string, readonly ProductRule[]>;
  /** Origin → the products (keys of `productRules`, in its order) one of whose rules names it. */
  readonly productsOfOrigin: ReadonlyMap<string, readonly string[]>;
  readonly deniedVendors: ReadonlyMap<string, readonly (string | undefined)[]>;
  readonly vendorsOfOrigin: ReadonlyMap<string, ReadonlySet<string>>;
  readonly foreignPlatforms: readonly PlatformRule[];
  /** Answers already worked out, by vendor, product and target software: NVD repeats names a lot. */
  readonly answers: Map<string, readonly PackageMatch[]>;
}

/**
 * Alpine names language modules with a prefix (`py3-lxml`, `perl-dbd-pg`, `lua5.4-posix`); the
 * CPE's target software says which language when NVD records it, which it often does not.
 */
const LANGUAGE_PREFIXES: ReadonlyMap<string, readonly string[]> = new Map([
  ['python', ['py3-']],
  ['perl', ['perl-']],
  ['ruby', ['ruby-']],
  ['lua', ['lua-', 'lua5.1-', 'lua5.2-', 'lua5.3-', 'lua5.4-']],
]);
const ALL_LANGUAGE_PREFIXES = [...LANGUAGE_PREFIXES.values()].flat();
const LANGUAGE_PREFIX_SET: ReadonlySet<string> = new Set(ALL_LANGUAGE_PREFIXES);

/** An origin that is a product name plus a release series: `openssl3`, `php81`, `lua5.4`, `gtk+3.0`. */
const VERSIONED_NAME = /^(.*[a-z+])\d+(?:\.\d+)*$/;

/** Builds a universe from index entries (APKINDEX packages have both fields). */
export function packageUniverse(packages: Iterable<{ readonly name: string; readonly origin: string }>): PackageUniverse {
  const origins = new Set<string>();
  const originOfBinary = new Map<string, string>();
  for (const { name, origin } of packages) {
    origins.add(origin);
    originOfBinary.set(name, origin);
  }
  return { origins, originOfBinary };
}

/** Builds the lookup tables for one branch and rule set; build once, map every criterion with it. */
export function buildMappingIndex(universe: PackageUniverse, rules: MappingRules): MappingIndex {
  const seriesBase = (origin: string) => VERSIONED_NAME.exec(origin)?.[1];
  const versioned = groupBy([...universe.origins].filter((origin) => seriesBase(origin) !== undefined).sort(), (origin) => seriesBase(origin) ?? '');
  const lowerRule = <T extends { vendor?: string; product: string }>(rule: T): T => ({
    ...rule,
    product: rule.product.toLowerCase(),
    ...(rule.vendor === undefined ? {} : { vendor: rule.vendor.toLowerCase() }),
  });
  const denied = groupBy(rules.deny.map(lowerRule), (rule) => rule.product);
  const prefixedBases = new Set<string>();
  for (const name of [...universe.origins, ...universe.originOfBinary.keys(), ...versioned.keys()]) {
    // Every prefix is a word and its hyphen: a name has at most one, up to its first hyphen.
    const prefixLength = name.indexOf('-') + 1;
    if (prefixLength > 0 && LANGUAGE_PREFIX_SET.has(name.slice(0, prefixLength))) prefixedBases.add(name.slice(prefixLength));
  }
  const productRules = groupBy(rules.products.map(lowerRule), (rule) => rule.product);
  const productsOfOrigin = new Map<string, string[]>();
  for (const [product, productRulesOf] of productRules) {
    for (const origin of new Set(productRulesOf.flatMap((rule) => rule.packages))) {
      const products = productsOfOrigin.get(origin);
      if (products === undefined) productsOfOrigin.set(origin, [product]);
      else products.push(product);
    }
  }
  return {
    origins: universe.origins,
    originOfBinary: universe.originOfBinary,
    versionedOrigins: versioned,
    prefixedBases,
    productRules,
    productsOfOrigin,
    deniedVendors: new Map([...denied].map(([product, list]) => [product, list.map((rule) => rule.vendor)])),
    vendorsOfOrigin: new Map(Object.entries(rules.vendors).map(([origin, vendors]) => [origin, new Set(vendors.map((v) => v.toLowerCase()))])),
    foreignPlatforms: (rules.foreignPlatforms ?? []).map((rule) => ({
      ...(rule.part === undefined ? {} : { part: rule.part.toLowerCase() }),
      ...(rule.vendor === undefined ? {} : { vendor: rule.vendor.toLowerCase() }),
      ...(rule.product === undefined ? {} : { product: rule.product.toLowerCase() }),
    })),
    answers: new Map(),
  };
}

/**
 * Builds or finds a branch's mapping index for a universe by `rules`: consumers of one update
 * (its rounds, the quality check, mapping coverage) each describe the universe they map against,
 * and get the index already built for that branch when the universe is the same.
 */
export type MappingIndexOf = (branch: string, universe: PackageUniverse) => MappingIndex;

/** Whether two universes hold the same origins and binaries, each binary from the same origin. */
export function sameUniverse(a: PackageUniverse, b: PackageUniverse): boolean {
  if (a.origins.size !== b.origins.size || a.originOfBinary.size !== b.originOfBinary.size) return false;
  for (const origin of a.origins) if (!b.origins.has(origin)) return false;
  for (const [binary, origin] of a.originOfBinary) if (b.originOfBinary.get(binary) !== origin) return false;
  return true;
}

/**
 * The index `buildMappingIndex` gives for the same universe by the rules' products alone (no deny
 * list, no vendors, no foreign platforms), without building it again: only those three tables
 * differ, and the answers cached start empty.
 */
export function productRulesOnly(index: MappingIndex): MappingIndex {
  return { ...index, deniedVendors: new Map(), vendorsOfOrigin: new Map(), foreignPlatforms: [], answers: new Map() };
}

function exactText(value: CpeValue): string | undefined {
  if (value.kind !== 'literal' || value.leadingWildcard !== '' || value.trailingWildcard !== '') return undefined;
  return value.text.toLowerCase();
}

/**
 * The name parts of a parsed criterion, or undefined when it cannot name a package: hardware
 * (`h`), or a product that is ANY, NA or has wildcards.
 */
export function criterionNameOf(cpe: Cpe): CriterionName | undefined {
  const part = exactText(cpe.part);
  const product = exactText(cpe.product);
  if (part === 'h' || product === undefined) return undefined;
  const targetSw = exactText(cpe.targetSw);
  return { vendor: exactText(cpe.vendor), product, ...(targetSw === undefined ? {} : { targetSw }) };
}

/**
 * Whether a platform criterion names a system the configuration lists as foreign. A field with
 * a wildcard or ANY is an unknown platform, which holds (a false alarm is better than a miss).
 */
export function isForeignPlatform(cpe: Cpe, index: MappingIndex): boolean {
  const part = exactText(cpe.part);
  const vendor = exactText(cpe.vendor);
  const product = exactText(cpe.product);
  return index.foreignPlatforms.some(
    (rule) =>
      (rule.part === undefined || rule.part === part) &&
      (rule.vendor === undefined || rule.vendor === vendor) &&
      (rule.product === undefined ||
        (rule.product.endsWith('*') ? product?.startsWith(rule.product.slice(0, -1)) === true : rule.product === product)),
  );
}

/** NVD joins words with `_` where Alpine uses `-`, and the reverse happens too (`py3-sphinx_rtd_theme`). */
function spellings(product: string): string[] {
  return [...new Set([product, product.replaceAll('_', '-'), product.replaceAll('-', '_')])];
}

function prefixesFor(targetSw: string | undefined): readonly string[] {
  return (targetSw === undefined ? undefined : LANGUAGE_PREFIXES.get(targetSw)) ?? ALL_LANGUAGE_PREFIXES;
}

/**
 * Default-rule matches for the spellings of one name, strongest rule first, so an origin reached
 * several ways is credited to the most direct one; names behind a language prefix all count as
 * `language-prefix`.
 */
function defaultMatches(names: readonly string[], prefixed: boolean, index: MappingIndex, into: Map<string, MatchRule>): void {
  const add = (origin: string, rule: MatchRule) => {
    if (!into.has(origin)) into.set(origin, prefixed ? 'language-prefix' : rule);
  };
  for (const name of names) if (index.origins.has(name)) add(name, 'origin-name');
  for (const name of names) {
    const origin = index.originOfBinary.get(name);
    if (origin !== undefined) add(origin, 'binary-name');
  }
  for (const name of names) for (const origin of index.versionedOrigins.get(name) ?? []) add(origin, 'versioned-origin');
}

function isDenied(criterion: CriterionName, index: MappingIndex): boolean {
  const vendors = index.deniedVendors.get(criterion.product);
  return vendors !== undefined && vendors.some((vendor) => vendor === undefined || vendor === criterion.vendor);
}

/** A vendor the configuration does not list for the origin belongs to some other project's product. */
function isVendorCollision(origin: string, vendor: string | undefined, index: MappingIndex): boolean {
  const known = index.vendorsOfOrigin.get(origin);
  return vendor !== undefined && known !== undefined && !known.has(vendor);
}

function computeMatches(criterion: CriterionName, index: MappingIndex): PackageMatch[] {
  // A criterion whose vendor is ANY may be any vendor's, so it meets vendor-specific rules too.
  const configured = (index.productRules.get(criterion.product) ?? []).filter(
    (rule) => rule.vendor === undefined || criterion.vendor === undefined || rule.vendor === criterion.vendor,
  );
  if (configured.length > 0) {
    const origins = new Set(configured.flatMap((rule) => rule.packages).filter((origin) => index.origins.has(origin)));
    return [...origins].sort().map((origin) => {
      const rules = configured.filter((rule) => rule.packages.includes(origin));
      if (rules.some((rule) => rule.versions === undefined)) return { origin, rule: 'config-product' };
      // The configuration was checked when read, so every line parses.
      const lines = rules.map((rule) => parseVersionLine(rule.versions ?? '')).filter((line) => typeof line !== 'string');
      return { origin, rule: 'config-product', lines };
    });
  }
  if (isDenied(criterion, index)) return [];
  const names = spellings(criterion.product);
  const found = new Map<string, MatchRule>();
  defaultMatches(names, false, index, found);
  // A product Alpine ships under its own name is that product, not a language binding of it
  // (haxx:curl is not lua-curl), unless the target software names the language.
  const languageNamed = criterion.targetSw !== undefined && LANGUAGE_PREFIXES.has(criterion.targetSw);
  if ((languageNamed || found.size === 0) && names.some((name) => index.prefixedBases.has(name))) {
    for (const prefix of prefixesFor(criterion.targetSw)) {
      defaultMatches(names.map((name) => prefix + name), true, index, found);
    }
  }
  return [...found]
    .filter(([origin]) => !isVendorCollision(origin, criterion.vendor, index))
    .map(([origin, rule]) => ({ origin, rule }));
}

/**
 * The origins a criterion names in the index's universe, each with the rule that matched it.
 * Configured products win over everything; then the deny-list; then the default rules, in the
 * order origin name, binary name, versioned origin, and language prefix (when the target
 * software names the language, or the bare name matches nothing), minus vendor collisions.
 */
export function mapCriterionToPackages(criterion: CriterionName, index: MappingIndex): readonly PackageMatch[] {
  // CPE text is printable ASCII, so a newline cannot occur inside a name.
  const key = `${criterion.vendor ?? '*'}\n${criterion.product}\n${criterion.targetSw ?? '*'}`;
  let answer = index.answers.get(key);
  if (answer === undefined) {
    answer = computeMatches(criterion, index);
    index.answers.set(key, answer);
  }
  return answer;
}

/**
 * A product name with `_` and `-` made alike: every spelling the mapping tries for a product has
 * the same key, so products that may reach a name can be found by key.
 */
export function productKey(product: string): string {
  return product.replaceAll('_', '-');
}

/** Whether a package name carries a language-module prefix (`py3-`, `perl-`, `lua5.4-`, ...). */
export function hasLanguagePrefix(name: string): boolean {
  return ALL_LANGUAGE_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** Origin → the binary packages built from it: the reverse of `originOfBinary`. */
export function binariesByOrigin(universe: PackageUniverse): Map<string, string[]> {
  const binaries = new Map<string, string[]>();
  for (const [binary, origin] of universe.originOfBinary) {
    const list = binaries.get(origin);
    if (list === undefined) binaries.set(origin, [binary]);
    else list.push(binary);
  }
  return binaries;
}

/**
 * The product keys (see `productKey`) of every CPE product some rule could map to `origin`, given
 * the binary packages built from it: its own name and its binaries' names, its release-series
 * base (`openssl` for `openssl3`), those names without a language prefix, and configured products
 * naming it. A superset, so a caller can map only the criteria whose product key is listed and
 * still miss nothing for this origin.
 */
export function productKeysReaching(origin: string, binaries: readonly string[], index: MappingIndex): Set<string> {
  const names = [origin, ...binaries];
  const base = VERSIONED_NAME.exec(origin)?.[1];
  if (base !== undefined) names.push(base);
  const keys = new Set<string>();
  for (const name of names) {
    keys.add(productKey(name));
    for (const prefix of ALL_LANGUAGE_PREFIXES) if (name.startsWith(prefix)) keys.add(productKey(name.slice(prefix.length)));
  }
  for (const product of index.productsOfOrigin.get(origin) ?? []) keys.add(productKey(product));
  return keys;
}

