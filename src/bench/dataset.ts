import { once } from 'node:events';
import { createWriteStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { elapsedMs } from './measure.js';
import { bundledPath } from './paths.js';

/**
 * A generated, full-size Alpine-like world for the tracker benchmark, the same for a given seed
 * and size: plain-text APKINDEX files and secdb documents for 10 branches x 2 repositories, an
 * NVD 2.0 feed whose configurations target those packages (written streaming) and a "modified"
 * feed that moves the ranges of some of those CVEs.
 *
 * The model behind it:
 * - every origin has a sequence of upstream releases; each branch publishes one of them, older
 *   branches older ones (a few origins appear only from a later branch);
 * - a CVE either targets a package (origin chosen with a heavy-tailed distribution, as NVD has a
 *   few packages with thousands of CVEs and most with a handful), or some product Alpine does
 *   not ship, or has no configurations yet (awaiting analysis, or rejected);
 * - a package CVE is fixed in release `f`: its configuration says so with a range, an "up to and
 *   including", exact vulnerable versions, two ranges, or all versions; some are AND
 *   configurations "running on" a `vulnerable:false` platform;
 * - secdb lists part of each origin's CVEs at their fix version (only the fixes a branch's
 *   version already has), plus CVEs NVD does not map to it and a few `0` (never affected) lines.
 * Record shapes (metrics, weaknesses, descriptions, references) come from the real API 2.0
 * sample records in data/alpine-sample.
 */

export const BRANCHES: readonly string[] = ['3.12', '3.13', '3.14', '3.15', '3.16', '3.17', '3.18', '3.19', '3.20', 'edge'];
export const REPOSITORIES: readonly string[] = ['main', 'community'];
const ARCH = 'x86_64';
/** Upstream releases per origin or foreign product. */
const RELEASES = 24;

export interface DatasetSize {
  readonly cves: number;
  /** Origin packages per repository (every branch has both repositories). */
  readonly packagesPerRepo: number;
  /** CVEs in the modified feed. */
  readonly modifiedCves: number;
  /** Share of the CVEs whose configurations target a package. */
  readonly packageShare: number;
  readonly seed: number;
}

/** A non-negative number from the environment variable `name`, `fallback` when it is unset or empty. */
export function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got ${text}`);
  return value;
}

/**
 * The size the benchmarks generate, full by default: SECFIX_BENCH_CVES (300000),
 * SECFIX_BENCH_PACKAGES (origins per repository, 5000), SECFIX_BENCH_MODIFIED (500),
 * SECFIX_BENCH_PACKAGE_SHARE (0.2) and SECFIX_BENCH_SEED.
 */
export function datasetSizeFromEnv(): DatasetSize {
  return {
    cves: envNumber('SECFIX_BENCH_CVES', 300_000),
    packagesPerRepo: envNumber('SECFIX_BENCH_PACKAGES', 5_000),
    modifiedCves: envNumber('SECFIX_BENCH_MODIFIED', 500),
    packageShare: envNumber('SECFIX_BENCH_PACKAGE_SHARE', 0.2),
    seed: envNumber('SECFIX_BENCH_SEED', 20_261_122),
  };
}

export interface DatasetStats {
  readonly branches: number;
  readonly repositories: number;
  readonly origins: number;
  /** Binary package stanzas over all indexes. */
  readonly indexEntries: number;
  /** Secfix lines (package, version, CVE) over all secdb files, `0` lines included. */
  readonly secfixLines: number;
  readonly secfixZeroLines: number;
  readonly cves: number;
  readonly cvesTargetingPackages: number;
  readonly cvesTargetingOtherProducts: number;
  readonly cvesWithoutConfigurations: number;
  readonly cpeMatches: number;
  readonly andConfigurations: number;
  readonly modifiedCves: number;
  readonly feedMegabytes: number;
  readonly indexMegabytes: number;
  readonly secdbMegabytes: number;
  readonly generationSeconds: number;
}

export interface DatasetManifest {
  readonly dir: string;
  readonly size: DatasetSize;
  readonly indexes: readonly { readonly branch: string; readonly repo: string; readonly path: string }[];
  readonly secdbs: readonly string[];
  readonly feed: string;
  readonly modifiedFeed: string;
  readonly stats: DatasetStats;
}

// ---- deterministic randomness ------------------------------------------------------------

function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Draws that depend only on (seed, entity, salt), so any record can be rebuilt on its own. */
class Hash {
  constructor(private readonly seed: number) {}
  u32(entity: number, salt: number): number {
    return fmix32(fmix32(this.seed ^ Math.imul(entity + 1, 0x9e3779b1)) ^ Math.imul(salt + 1, 0x27d4eb2f));
  }
  unit(entity: number, salt: number): number {
    return this.u32(entity, salt) / 4294967296;
  }
  int(entity: number, salt: number, n: number): number {
    return Math.floor(this.unit(entity, salt) * n);
  }
}

/** Sequential draws (mulberry32) for one entity's many values. */
class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** Salts: one per independent draw. */
const S = {
  lib: 1, doc: 2, openrc: 3, releases: 4, first: 5, kind: 6, target: 7, fix: 8, start: 9, rangeType: 10,
  binaryName: 11, and: 12, distro: 13, netapp: 14, template: 15, date: 16, kev: 17, secfix: 18, extras: 19,
  zero: 20, foreign: 21, foreignReleases: 22, zipf: 23, uuid: 24, stanza: 25, modified: 26, status: 27,
} as const;

const hex = (value: number, digits: number) => value.toString(16).padStart(8, '0').slice(8 - digits);

/** Heavy-tailed choice among `count` items (weight 1/(rank+2)), ranks shuffled by the seed. */
class Zipf {
  private readonly cumulative: Float64Array;
  private readonly itemOfRank: Int32Array;
  constructor(count: number, rng: Rng) {
    this.cumulative = new Float64Array(count);
    let total = 0;
    for (let rank = 0; rank < count; rank += 1) {
      total += 1 / (rank + 2);
      this.cumulative[rank] = total;
    }
    for (let rank = 0; rank < count; rank += 1) this.cumulative[rank]! /= total;
    this.itemOfRank = new Int32Array(count);
    for (let i = 0; i < count; i += 1) this.itemOfRank[i] = i;
    for (let i = count - 1; i > 0; i -= 1) {
      const j = rng.int(i + 1);
      const swap = this.itemOfRank[i]!;
      this.itemOfRank[i] = this.itemOfRank[j]!;
      this.itemOfRank[j] = swap;
    }
  }
  sample(unit: number): number {
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.cumulative[middle]! < unit) low = middle + 1;
      else high = middle;
    }
    return this.itemOfRank[low]!;
  }
}

// ---- the package world -------------------------------------------------------------------

/** Upstream releases, oldest first, in one of the common shapes: 1.2.3, 1.2, or 1.1.1a letters. */
function releaseSequence(rng: Rng): string[] {
  const style = rng.next();
  let major = rng.int(10);
  let minor = rng.int(20);
  let patch = rng.int(6);
  let letter = 0;
  const releases: string[] = [];
  for (let j = 0; j < RELEASES; j += 1) {
    if (j > 0) {
      const step = rng.next();
      if (step < 0.05) [major, minor, patch, letter] = [major + 1, 0, 0, 0];
      else if (step < 0.3 || (style >= 0.7 && style < 0.9)) [minor, patch, letter] = [minor + 1, 0, 0];
      else if (style >= 0.9 && letter < 25) letter += 1;
      else [patch, letter] = [patch + 1, 0];
    }
    if (style < 0.7) releases.push(`${major}.${minor}.${patch}`);
    else if (style < 0.9) releases.push(`${major}.${minor}`);
    else releases.push(`${major}.${minor}.${patch}${letter === 0 ? '' : String.fromCharCode(96 + letter)}`);
  }
  return releases;
}

interface Origin {
  readonly name: string;
  readonly repo: string;
  readonly binaries: readonly string[];
  /** The binary NVD sometimes names instead of the origin (`libfoo`), if any. */
  readonly libraryName: string | undefined;
  readonly releases: readonly string[];
  /** Per branch: index into `releases` of the published version (nondecreasing), and its pkgrel. */
  readonly releaseOfBranch: readonly number[];
  readonly pkgrelOfBranch: readonly number[];
  /** The first branch (index into BRANCHES) that has the package. */
  readonly firstBranch: number;
}

function makeOrigin(hash: Hash, index: number, packagesPerRepo: number): Origin {
  const name = `pkg${String(index + 1).padStart(5, '0')}`;
  const hasLibrary = hash.unit(index, S.lib) < 0.35;
  const binaries = [name];
  if (hasLibrary) binaries.push(`lib${name}`, `${name}-dev`);
  if (hash.unit(index, S.doc) < 0.6) binaries.push(`${name}-doc`);
  if (hash.unit(index, S.openrc) < 0.1) binaries.push(`${name}-openrc`);
  const rng = new Rng(hash.u32(index, S.releases));
  const releases = releaseSequence(rng);
  const releaseOfBranch: number[] = [];
  const pkgrelOfBranch: number[] = [];
  let release = 1 + rng.int(6);
  for (let branch = 0; branch < BRANCHES.length; branch += 1) {
    if (branch > 0) {
      const step = rng.next();
      release += step < 0.3 ? 0 : step < 0.8 ? 1 : 2;
    }
    release = Math.min(release, RELEASES - 1);
    releaseOfBranch.push(release);
    pkgrelOfBranch.push(rng.int(4));
  }
  const firstBranch = hash.unit(index, S.first) < 0.92 ? 0 : 1 + hash.int(index, S.first + 100, BRANCHES.length - 1);
  return {
    name,
    repo: index < packagesPerRepo ? REPOSITORIES[0]! : REPOSITORIES[1]!,
    binaries,
    libraryName: hasLibrary ? `lib${name}` : undefined,
    releases,
    releaseOfBranch,
    pkgrelOfBranch,
    firstBranch,
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'nu', 're', 'sa', 'te', 'vi', 'zo', 'an', 'el', 'or', 'ux', 'ip', 'qua', 'bri'];

/** A product Alpine does not ship, with a pronounceable name (never `pkg…`). */
function foreignProduct(hash: Hash, index: number): { vendor: string; product: string; releases: string[] } {
  let name = '';
  let rest = index + SYLLABLES.length;
  while (rest > 0) {
    name += SYLLABLES[rest % SYLLABLES.length];
    rest = Math.floor(rest / SYLLABLES.length);
  }
  const vendor = index % 3 === 0 ? `${name}_project` : name;
  return { vendor, product: name, releases: releaseSequence(new Rng(hash.u32(index, S.foreignReleases))) };
}

// ---- NVD records -------------------------------------------------------------------------

const KIND_REJECTED = 0;
const KIND_UNANALYZED = 1;
const KIND_PACKAGE = 2;
const KIND_FOREIGN = 3;

interface CpeMatchJson {
  vulnerable: boolean;
  criteria: string;
  matchCriteriaId: string;
  versionStartIncluding?: string;
  versionEndIncluding?: string;
  versionEndExcluding?: string;
}
interface ConfigurationJson {
  operator?: 'AND';
  nodes: { operator: 'OR'; negate: false; cpeMatch: CpeMatchJson[] }[];
}
interface TemplateCve {
  id: string;
  sourceIdentifier: string;
  descriptions: { lang: string; value: string }[];
  metrics: unknown;
  weaknesses: unknown;
  references: { url: string; source: string; tags?: string[] }[];
}

const PLATFORMS = [
  'cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*',
  'cpe:2.3:o:apple:macos:-:*:*:*:*:*:*:*',
  'cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*',
];
const NETAPP_PRODUCTS = ['cloud_backup', 'hci_management_node', 'solidfire', 'active_iq_unified_manager', 'oncommand_insight', 'ontap_select_deploy_administration_utility'];

const cpe = (part: string, vendor: string, product: string, version: string) => `cpe:2.3:${part}:${vendor}:${product}:${version}:*:*:*:*:*:*:*`;

/** The world the records are drawn from: origins, per-CVE choices, and the sample templates. */
class World {
  readonly hash: Hash;
  readonly origins: Origin[];
  readonly kind: Uint8Array;
  readonly target: Int32Array;
  readonly fix: Uint8Array;
  readonly foreignCount: number;
  private readonly templates: TemplateCve[];
  private readonly perYear: number;

  constructor(readonly size: DatasetSize) {
    this.hash = new Hash(size.seed);
    const originCount = size.packagesPerRepo * REPOSITORIES.length;
    this.origins = Array.from({ length: originCount }, (_, index) => makeOrigin(this.hash, index, size.packagesPerRepo));
    this.foreignCount = Math.max(1000, Math.round(size.cves / 10));
    const packageZipf = new Zipf(originCount, new Rng(this.hash.u32(0, S.zipf)));
    const foreignZipf = new Zipf(this.foreignCount, new Rng(this.hash.u32(1, S.zipf)));
    this.kind = new Uint8Array(size.cves);
    this.target = new Int32Array(size.cves);
    this.fix = new Uint8Array(size.cves);
    for (let i = 0; i < size.cves; i += 1) {
      const draw = this.hash.unit(i, S.kind);
      const kind = draw < 0.01 ? KIND_REJECTED : draw < 0.08 ? KIND_UNANALYZED : draw < 0.08 + size.packageShare ? KIND_PACKAGE : KIND_FOREIGN;
      this.kind[i] = kind;
      this.target[i] = kind === KIND_PACKAGE ? packageZipf.sample(this.hash.unit(i, S.target)) : kind === KIND_FOREIGN ? foreignZipf.sample(this.hash.unit(i, S.target)) : -1;
      this.fix[i] = 1 + this.hash.int(i, S.fix, RELEASES - 1);
    }
    const sample = JSON.parse(readFileSync(bundledPath('data', 'alpine-sample', 'nvd', 'api-2.0', 'nvdcve-2.0-sample.json'), 'utf8')) as {
      vulnerabilities: { cve: TemplateCve }[];
    };
    this.templates = sample.vulnerabilities.map((item) => item.cve);
    this.perYear = Math.ceil(size.cves / 24);
  }

  cveId(i: number): string {
    return `CVE-${2002 + Math.floor(i / this.perYear)}-${1000 + (i % this.perYear)}`;
  }

  private year(i: number): number {
    return 2002 + Math.floor(i / this.perYear);
  }

  private timestamp(year: number, dayOfYear: number, salt: number, i: number): string {
    const date = new Date(Date.UTC(year, 0, 1 + dayOfYear, this.hash.int(i, salt, 24), this.hash.int(i, salt + 1, 60), this.hash.int(i, salt + 2, 60), this.hash.int(i, salt + 3, 1000)));
    return date.toISOString().slice(0, -1);
  }

  private matchId(i: number, n: number): string {
    const a = this.hash.u32(i, S.uuid + 100 * n);
    const b = this.hash.u32(i, S.uuid + 100 * n + 1);
    const c = this.hash.u32(i, S.uuid + 100 * n + 2);
    const d = this.hash.u32(i, S.uuid + 100 * n + 3);
    return `${hex(a, 8)}-${hex(b, 4)}-4${hex(b >>> 16, 3)}-${hex(c, 4)}-${hex(c >>> 16, 4)}${hex(d, 8)}`.toUpperCase();
  }

  /** The vulnerable matches of one product, fixed in release `fix`, vulnerable from release `start`. */
  private productMatches(i: number, vendor: string, product: string, releases: readonly string[], fix: number, start: number): CpeMatchJson[] {
    const any = cpe('a', vendor, product, '*');
    const type = this.hash.unit(i, S.rangeType);
    const from = start > 0 ? { versionStartIncluding: releases[start]! } : {};
    if (type < 0.45) return [{ vulnerable: true, criteria: any, matchCriteriaId: this.matchId(i, 0), ...from, versionEndExcluding: releases[fix]! }];
    if (type < 0.6) return [{ vulnerable: true, criteria: any, matchCriteriaId: this.matchId(i, 0), ...from, versionEndIncluding: releases[fix - 1]! }];
    if (type < 0.8) {
      const matches: CpeMatchJson[] = [];
      for (let j = Math.max(start, fix - 4); j < fix; j += 1) {
        matches.push({ vulnerable: true, criteria: cpe('a', vendor, product, releases[j]!), matchCriteriaId: this.matchId(i, matches.length) });
      }
      return matches;
    }
    if (type < 0.92) {
      const again = Math.min(fix + 2, RELEASES - 2);
      return [
        { vulnerable: true, criteria: any, matchCriteriaId: this.matchId(i, 0), ...from, versionEndExcluding: releases[fix]! },
        { vulnerable: true, criteria: any, matchCriteriaId: this.matchId(i, 1), versionStartIncluding: releases[again]!, versionEndExcluding: releases[again + 1]! },
      ];
    }
    return [{ vulnerable: true, criteria: any, matchCriteriaId: this.matchId(i, 0) }];
  }

  private configurations(i: number, variant: number, stats: FeedStats): ConfigurationJson[] {
    const kind = this.kind[i]!;
    let fix = this.fix[i]!;
    if (variant === 1) fix = fix < RELEASES - 1 ? fix + 1 : fix - 1;
    const start = Math.min(this.hash.unit(i, S.start) < 0.5 ? 0 : this.hash.int(i, S.start + 100, fix), fix - 1);
    let matches: CpeMatchJson[];
    if (kind === KIND_PACKAGE) {
      const origin = this.origins[this.target[i]!]!;
      const name = origin.libraryName !== undefined && this.hash.unit(i, S.binaryName) < 0.2 ? origin.libraryName : origin.name;
      matches = this.productMatches(i, name, name, origin.releases, fix, start);
    } else {
      const foreign = foreignProduct(this.hash, this.target[i]!);
      matches = this.productMatches(i, foreign.vendor, foreign.product, foreign.releases, fix, start);
    }
    const configurations: ConfigurationJson[] = [];
    if (this.hash.unit(i, S.and) < 0.1) {
      stats.andConfigurations += 1;
      const platform = PLATFORMS[this.hash.int(i, S.and + 100, PLATFORMS.length)]!;
      configurations.push({
        operator: 'AND',
        nodes: [
          { operator: 'OR', negate: false, cpeMatch: matches },
          { operator: 'OR', negate: false, cpeMatch: [{ vulnerable: false, criteria: platform, matchCriteriaId: this.matchId(i, 10) }] },
        ],
      });
    } else {
      configurations.push({ nodes: [{ operator: 'OR', negate: false, cpeMatch: matches }] });
    }
    const distro = this.hash.unit(i, S.distro);
    if (distro < 0.3) {
      const fedora = distro < 0.18;
      const first = this.hash.int(i, S.distro + 100, fedora ? 8 : 4);
      const count = 1 + this.hash.int(i, S.distro + 200, 3);
      const cpeMatch: CpeMatchJson[] = [];
      for (let k = 0; k < count; k += 1) {
        const criteria = fedora ? cpe('o', 'fedoraproject', 'fedora', String(33 + first + k)) : cpe('o', 'debian', 'debian_linux', `${9 + first + k}.0`);
        cpeMatch.push({ vulnerable: true, criteria, matchCriteriaId: this.matchId(i, 20 + k) });
      }
      configurations.push({ nodes: [{ operator: 'OR', negate: false, cpeMatch }] });
    }
    if (this.hash.unit(i, S.netapp) < 0.1) {
      const count = 1 + this.hash.int(i, S.netapp + 100, 3);
      const cpeMatch: CpeMatchJson[] = [];
      for (let k = 0; k < count; k += 1) {
        const product = NETAPP_PRODUCTS[(this.hash.int(i, S.netapp + 200, NETAPP_PRODUCTS.length) + k) % NETAPP_PRODUCTS.length]!;
        cpeMatch.push({ vulnerable: true, criteria: cpe('a', 'netapp', product, '-'), matchCriteriaId: this.matchId(i, 30 + k) });
      }
      configurations.push({ nodes: [{ operator: 'OR', negate: false, cpeMatch }] });
    }
    for (const configuration of configurations) for (const node of configuration.nodes) stats.cpeMatches += node.cpeMatch.length;
    return configurations;
  }

  /** One feed element as compact JSON; variant 1 is the record as the modified feed has it. */
  record(i: number, variant: number, stats: FeedStats): string {
    const template = this.templates[this.hash.int(i, S.template, this.templates.length)]!;
    const id = this.cveId(i);
    const kind = this.kind[i]!;
    const year = this.year(i);
    const day = this.hash.int(i, S.date, 360);
    const published = this.timestamp(year, day, S.date + 10, i);
    const lastModified = variant === 1 ? this.timestamp(2026, 10, S.date + 20, i) : this.timestamp(Math.min(year + 1 + this.hash.int(i, S.date + 30, 3), 2025), day, S.date + 40, i);
    const cve: Record<string, unknown> = { id, sourceIdentifier: template.sourceIdentifier, published, lastModified };
    if (kind === KIND_REJECTED) {
      cve.vulnStatus = 'Rejected';
      cve.descriptions = [{ lang: 'en', value: 'Rejected reason: This candidate was withdrawn by its CNA. Further investigation showed that it was not a security issue.' }];
      cve.metrics = {};
      cve.references = [];
      return JSON.stringify({ cve });
    }
    cve.vulnStatus = kind === KIND_UNANALYZED ? (this.hash.unit(i, S.status) < 0.5 ? 'Awaiting Analysis' : 'Received') : variant === 1 ? 'Modified' : this.hash.unit(i, S.status) < 0.6 ? 'Analyzed' : 'Modified';
    if (kind === KIND_PACKAGE && this.hash.unit(i, S.kev) < 0.004) {
      const origin = this.origins[this.target[i]!]!;
      Object.assign(cve, {
        cisaExploitAdd: `${year + 1}-03-15`,
        cisaActionDue: `${year + 1}-04-05`,
        cisaRequiredAction: 'Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.',
        cisaVulnerabilityName: `${origin.name} Improper Input Validation Vulnerability`,
      });
    }
    const subject = kind === KIND_PACKAGE ? this.origins[this.target[i]!]!.name : kind === KIND_FOREIGN ? foreignProduct(this.hash, this.target[i]!).product : undefined;
    cve.descriptions = template.descriptions.map((description, index) =>
      index === 0 && subject !== undefined ? { lang: description.lang, value: `${subject}: ${description.value}` } : description,
    );
    cve.metrics = kind === KIND_UNANALYZED ? {} : template.metrics;
    if (kind !== KIND_UNANALYZED) {
      cve.weaknesses = template.weaknesses;
      cve.configurations = this.configurations(i, variant, stats);
    }
    cve.references = template.references.map((reference) => ({ ...reference, url: `${reference.url}${reference.url.includes('?') ? '&' : '?'}id=${id}` }));
    return JSON.stringify({ cve });
  }
}

interface FeedStats {
  cpeMatches: number;
  andConfigurations: number;
}

/** Writes a feed one record at a time, in 1 MiB writes, never holding the whole document. */
async function writeFeed(path: string, ids: Iterable<number>, total: number, element: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  let pending = `{"resultsPerPage":${total},"startIndex":0,"totalResults":${total},"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-22T00:00:00.000","vulnerabilities":[`;
  let first = true;
  const flush = async () => {
    if (!out.write(pending)) await once(out, 'drain');
    pending = '';
  };
  for (const i of ids) {
    pending += first ? element(i) : `,${element(i)}`;
    first = false;
    if (pending.length >= 1 << 20) await flush();
  }
  pending += ']}';
  await flush();
  out.end();
  await once(out, 'finish');
}

function* range(count: number): Generator<number> {
  for (let i = 0; i < count; i += 1) yield i;
}

// ---- secdb and APKINDEX --------------------------------------------------------------------

interface SecfixPlan {
  /** Fix events: release index of the fix → CVE ids. */
  readonly fixes: Map<number, string[]>;
  readonly zero: string[];
}

/**
 * Each origin's secfixes, independent of the branch: about 60% of the CVEs NVD maps to it (at
 * most 300), one or two CVEs NVD does not map to it, and for 10% of origins a `0` line.
 */
function planSecfixes(world: World): SecfixPlan[] {
  const { hash, origins, size } = world;
  const plans: SecfixPlan[] = origins.map(() => ({ fixes: new Map<number, string[]>(), zero: [] }));
  const counts = new Int32Array(origins.length);
  const add = (plan: SecfixPlan, release: number, id: string) => {
    const list = plan.fixes.get(release);
    if (list === undefined) plan.fixes.set(release, [id]);
    else list.push(id);
  };
  for (let i = 0; i < size.cves; i += 1) {
    if (world.kind[i] !== KIND_PACKAGE) continue;
    const o = world.target[i]!;
    if (counts[o]! >= 300 || hash.unit(i, S.secfix) >= 0.6) continue;
    counts[o]! += 1;
    add(plans[o]!, world.fix[i]!, world.cveId(i));
  }
  const otherCve = (o: number, n: number) => {
    for (let attempt = 0; ; attempt += 1) {
      const i = hash.int(o, S.extras + 1000 * n + attempt, size.cves);
      if (world.kind[i] !== KIND_PACKAGE || attempt > 20) return world.cveId(i);
    }
  };
  origins.forEach((origin, o) => {
    const plan = plans[o]!;
    const extras = 1 + hash.int(o, S.extras, 2);
    for (let n = 0; n < extras; n += 1) {
      // At or before the first branch's release, so every branch that has the package has a secfix.
      add(plan, 1 + hash.int(o, S.extras + 500 + n, origin.releaseOfBranch[origin.firstBranch]!), otherCve(o, n));
    }
    if (hash.unit(o, S.zero) < 0.1) {
      const zeros = 1 + hash.int(o, S.zero + 100, 2);
      for (let n = 0; n < zeros; n += 1) plan.zero.push(otherCve(o, 10 + n));
    }
  });
  return plans;
}

function secdbDocument(world: World, plans: readonly SecfixPlan[], branch: number, repo: string): { text: string; lines: number; zeroLines: number } {
  const packages: unknown[] = [];
  let lines = 0;
  let zeroLines = 0;
  world.origins.forEach((origin, o) => {
    if (origin.repo !== repo || origin.firstBranch > branch) return;
    const plan = plans[o]!;
    const published = origin.releaseOfBranch[branch]!;
    const secfixes: Record<string, string[]> = {};
    if (plan.zero.length > 0) {
      secfixes['0'] = plan.zero;
      zeroLines += plan.zero.length;
      lines += plan.zero.length;
    }
    for (const release of [...plan.fixes.keys()].sort((a, b) => a - b)) {
      if (release > published) continue;
      const ids = plan.fixes.get(release)!;
      secfixes[`${origin.releases[release]!}-r0`] = ids;
      lines += ids.length;
    }
    packages.push({ pkg: { name: origin.name, secfixes } });
  });
  const document = {
    apkurl: '{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk',
    archs: ['aarch64', 'armhf', 'armv7', 'ppc64le', 's390x', 'x86', 'x86_64'],
    reponame: repo,
    urlprefix: 'https://dl-cdn.alpinelinux.org/alpine',
    distroversion: BRANCHES[branch] === 'edge' ? 'edge' : `v${BRANCHES[branch]!}`,
    packages,
  };
  // Tab-indented, as secdb.alpinelinux.org serves it.
  return { text: JSON.stringify(document, null, '\t'), lines, zeroLines };
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LICENSES = ['MIT', 'GPL-2.0-or-later', 'Apache-2.0', 'BSD-3-Clause', 'LGPL-2.1-or-later', 'ISC'];

function apkIndexText(world: World, branch: number, repo: string): { text: string; entries: number } {
  const { hash } = world;
  const parts: string[] = [];
  let entries = 0;
  world.origins.forEach((origin, o) => {
    if (origin.repo !== repo || origin.firstBranch > branch) return;
    const version = `${origin.releases[origin.releaseOfBranch[branch]!]!}-r${origin.pkgrelOfBranch[branch]!}`;
    const entity = o * BRANCHES.length + branch;
    const rng = new Rng(hash.u32(entity, S.stanza));
    const maintainer = `Maintainer ${o % 97} <maintainer${o % 97}@example.org>`;
    const buildTime = 1_600_000_000 + branch * 15_000_000 + rng.int(10_000_000);
    let commit = '';
    for (let k = 0; k < 5; k += 1) commit += hex(rng.int(0x100000000), 8);
    const license = rng.pick(LICENSES);
    for (const binary of origin.binaries) {
      let checksum = 'Q1';
      for (let k = 0; k < 26; k += 1) checksum += BASE64[rng.int(64)];
      const depends = binary === origin.name && origin.libraryName !== undefined ? `so:libc.musl-x86_64.so.1 so:${origin.libraryName}.so.1` : 'so:libc.musl-x86_64.so.1';
      const lines = [
        `C:${checksum}=`,
        `P:${binary}`,
        `V:${version}`,
        `A:${ARCH}`,
        `S:${10_000 + rng.int(2_000_000)}`,
        `I:${40_960 + rng.int(8_000_000)}`,
        `T:${binary.endsWith('-doc') ? `${origin.name} (documentation)` : `The ${origin.name} package`}`,
        `U:https://example.org/projects/${origin.name}`,
        `L:${license}`,
        `o:${origin.name}`,
        `m:${maintainer}`,
        `t:${buildTime}`,
        `c:${commit}`,
        `D:${depends}`,
      ];
      if (binary === origin.libraryName) lines.push(`p:so:${binary}.so.1=1.${rng.int(20)}.0`);
      if (binary.endsWith('-doc')) lines.push(`i:docs ${origin.name}=${version}`);
      parts.push(`${lines.join('\n')}\n\n`);
      entries += 1;
    }
  });
  return { text: parts.join(''), entries };
}

/** Picks `count` distinct items from `items` (a partial Fisher-Yates shuffle), then sorts them. */
function pickSorted(items: number[], count: number, rng: Rng): number[] {
  const chosen = Math.min(count, items.length);
  for (let k = 0; k < chosen; k += 1) {
    const j = k + rng.int(items.length - k);
    [items[k], items[j]] = [items[j]!, items[k]!];
  }
  return items.slice(0, chosen).sort((a, b) => a - b);
}

/** Generates the whole dataset into `dir` (which must exist). */
export async function generateDataset(dir: string, size: DatasetSize): Promise<DatasetManifest> {
  const started = process.hrtime.bigint();
  const world = new World(size);
  const plans = planSecfixes(world);
  const indexes: { branch: string; repo: string; path: string }[] = [];
  const secdbs: string[] = [];
  let indexEntries = 0;
  let indexBytes = 0;
  let secdbBytes = 0;
  let secfixLines = 0;
  let secfixZeroLines = 0;
  BRANCHES.forEach((branch, b) => {
    for (const repo of REPOSITORIES) {
      const index = apkIndexText(world, b, repo);
      const indexPath = join(dir, `APKINDEX-${branch}-${repo}-${ARCH}`);
      writeFileSync(indexPath, index.text);
      indexes.push({ branch, repo, path: indexPath });
      indexEntries += index.entries;
      indexBytes += index.text.length;
      const secdb = secdbDocument(world, plans, b, repo);
      const secdbPath = join(dir, `secdb-${branch}-${repo}.json`);
      writeFileSync(secdbPath, secdb.text);
      secdbs.push(secdbPath);
      secfixLines += secdb.lines;
      secfixZeroLines += secdb.zeroLines;
      secdbBytes += secdb.text.length;
    }
  });

  const feedStats: FeedStats = { cpeMatches: 0, andConfigurations: 0 };
  const feed = join(dir, 'nvdcve-2.0-all.json');
  await writeFeed(feed, range(size.cves), size.cves, (i) => world.record(i, 0, feedStats));

  // The modified feed: 60% CVEs that target packages, the rest other analyzed CVEs, ranges moved.
  const targetingPackages: number[] = [];
  const others: number[] = [];
  for (let i = 0; i < size.cves; i += 1) {
    if (world.kind[i] === KIND_PACKAGE) targetingPackages.push(i);
    else if (world.kind[i] === KIND_FOREIGN) others.push(i);
  }
  const rng = new Rng(world.hash.u32(0, S.modified));
  const packageCount = Math.round(size.modifiedCves * 0.6);
  const modifiedIds = [
    ...pickSorted(targetingPackages, packageCount, rng),
    ...pickSorted(others, size.modifiedCves - Math.min(packageCount, targetingPackages.length), rng),
  ].sort((a, b) => a - b);
  const modifiedFeed = join(dir, 'nvdcve-2.0-modified.json');
  await writeFeed(modifiedFeed, modifiedIds, modifiedIds.length, (i) => world.record(i, 1, { cpeMatches: 0, andConfigurations: 0 }));

  let cvesTargetingPackages = 0;
  let cvesTargetingOtherProducts = 0;
  for (const kind of world.kind) {
    if (kind === KIND_PACKAGE) cvesTargetingPackages += 1;
    else if (kind === KIND_FOREIGN) cvesTargetingOtherProducts += 1;
  }
  const megabytes = (bytes: number) => Math.round(bytes / 1e5) / 10;
  return {
    dir,
    size,
    indexes,
    secdbs,
    feed,
    modifiedFeed,
    stats: {
      branches: BRANCHES.length,
      repositories: BRANCHES.length * REPOSITORIES.length,
      origins: world.origins.length,
      indexEntries,
      secfixLines,
      secfixZeroLines,
      cves: size.cves,
      cvesTargetingPackages,
      cvesTargetingOtherProducts,
      cvesWithoutConfigurations: size.cves - cvesTargetingPackages - cvesTargetingOtherProducts,
      cpeMatches: feedStats.cpeMatches,
      andConfigurations: feedStats.andConfigurations,
      modifiedCves: modifiedIds.length,
      feedMegabytes: megabytes(statSync(feed).size),
      indexMegabytes: megabytes(indexBytes),
      secdbMegabytes: megabytes(secdbBytes),
      generationSeconds: Math.round(elapsedMs(started) / 100) / 10,
    },
  };
}
