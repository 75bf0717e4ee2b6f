import { LineCounter, isNode, parseDocument } from 'yaml';
import { InputError } from '../base/input-error.js';
import { jsonPath } from './json-path.js';
import { declaredBranchNameProblem, repositoryNameProblem } from './names.js';

/**
 * The secfix configuration file (YAML): the distribution, its branches and repositories with
 * the URLs (or local paths) of their indexes and secdb files, the NVD, CVE 5 and rejections
 * sources, the trusted keys folder, and the CPE mapping rules. Paths stay as written; the
 * caller resolves them against the file's folder.
 */
export interface SecfixConfig {
  readonly distribution: string;
  /** Folder of trusted apk public keys. */
  readonly keys: string | undefined;
  readonly branches: readonly BranchConfig[];
  /** NVD 2.0 or 1.1 feeds (`.json` or `.json.gz`), imported in order. */
  readonly nvd: readonly string[];
  /** CVE JSON 5 files or folders. */
  readonly cve5: readonly string[];
  readonly rejections: readonly RejectionsConfig[];
  /** Inline mapping rules; empty when they live in `mappingFile`. */
  readonly mapping: MappingConfig;
  /** A YAML file holding the mapping rules (parsed with `parseMappingConfig`). */
  readonly mappingFile: string | undefined;
  /** Who holds which role when signed in (`serve --oidc-issuer`); nobody when the file has no `auth`. */
  readonly auth: AuthConfig;
}

/** People named by verified e-mail address or by an OpenID Connect group (GitLab's `groups_direct` paths). */
export interface RoleMembers {
  readonly emails: readonly string[];
  readonly groups: readonly string[];
}

/** The roles sign-in grants beyond `maintainer` (which every signed-in person with a verified e-mail has). */
export interface AuthConfig {
  /** May act on every package. */
  readonly securityTeam: RoleMembers;
  /** May act on every package and manage API tokens. */
  readonly admins: RoleMembers;
}

export interface BranchConfig {
  /** `3.16`, `edge`, … */
  readonly name: string;
  /** ISO date (YYYY-MM-DD) after which the branch gets no security fixes. */
  readonly endOfSupport: string | undefined;
  readonly architectures: readonly string[];
  readonly repositories: readonly RepositoryConfig[];
}

export interface RepositoryConfig {
  readonly name: string;
  /** Index location; `{arch}` is replaced by each of the branch's architectures. */
  readonly index: string | undefined;
  readonly secdb: string | undefined;
}

export interface RejectionsConfig {
  readonly source: string;
  /** Branches the file applies to; undefined means every branch (Alpine's files have no branch). */
  readonly branches: readonly string[] | undefined;
}

/** CPE-to-package rules on top of the built-in ones (see src/engine/cpe-mapping.ts). */
export interface MappingConfig {
  /** vendor:product pairs that map to these packages, whatever the default rules say. */
  readonly products: readonly { readonly vendor?: string; readonly product: string; readonly packages: readonly string[] }[];
  /** vendor:product (or any vendor's product) that never maps to a package. */
  readonly deny: readonly { readonly vendor?: string; readonly product: string }[];
  /** Known CPE vendors per package: a criterion for the same product from another vendor does not map. */
  readonly vendors: Readonly<Record<string, readonly string[]>>;
}

type Path = (string | number)[];

class ConfigReader {
  constructor(
    private readonly source: string,
    private readonly placeOf: (path: Path) => string,
  ) {}

  fail(path: Path, problem: string): never {
    throw new InputError(this.source, this.placeOf(path), problem);
  }

  object(value: unknown, path: Path, known: readonly string[]): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'expected a mapping');
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!known.includes(key)) this.fail([...path, key], `unknown setting "${key}"; expected one of ${known.join(', ')}`);
    }
    return record;
  }

  string(value: unknown, path: Path): string {
    // YAML reads 3.20 as the number 3.2: demand quotes rather than guess what was meant.
    if (typeof value === 'number') this.fail(path, `expected text, got the number ${value}; quote it ("${value}")`);
    if (typeof value !== 'string' || value.trim() === '') this.fail(path, 'expected a non-empty string');
    return value;
  }

  optionalString(value: unknown, path: Path): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, path);
  }

  list<T>(value: unknown, path: Path, item: (entry: unknown, path: Path) => T): T[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(path, 'expected a list');
    return value.map((entry, index) => item(entry, [...path, index]));
  }

  date(value: unknown, path: Path): string | undefined {
    if (value === undefined || value === null) return undefined;
    // YAML reads an unquoted 2024-05-23 as a string with the core schema used here.
    const text = this.string(value, path);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) {
      this.fail(path, `expected a date YYYY-MM-DD, got "${text}"`);
    }
    return text;
  }
}

function loadYaml(text: string, source: string): { value: unknown; read: ConfigReader } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, schema: 'core' });
  const [syntaxError] = document.errors;
  if (syntaxError !== undefined) {
    throw new InputError(source, `line ${lineCounter.linePos(syntaxError.pos[0]).line}`, `malformed YAML: ${syntaxError.message}`);
  }
  const placeOf = (path: Path): string => {
    // Point at the deepest node that exists along the path: a missing key is reported at its parent.
    for (let depth = path.length; depth >= 0; depth -= 1) {
      const node = depth === 0 ? document.contents : document.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return `line ${lineCounter.linePos(node.range[0]).line} (${jsonPath(path)})`;
    }
    return jsonPath(path);
  };
  let value: unknown;
  try {
    // toJS resolves aliases: an unknown one, or an alias bomb, throws here.
    value = document.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (error) {
    throw new InputError(source, undefined, `malformed YAML: ${(error as Error).message}`);
  }
  return { value: value ?? {}, read: new ConfigReader(source, placeOf) };
}

function readMapping(read: ConfigReader, value: unknown, at: Path): MappingConfig {
  const mapping = read.object(value ?? {}, at, ['products', 'deny', 'vendors']);
  const vendorsAt = [...at, 'vendors'];
  const vendorsRaw = read.object(mapping.vendors ?? {}, vendorsAt, Object.keys((mapping.vendors as object | null) ?? {}));
  const vendors: Record<string, string[]> = {};
  for (const [pkg, list] of Object.entries(vendorsRaw)) {
    vendors[pkg] = read.list(list, [...vendorsAt, pkg], (vendor, p) => read.string(vendor, p).toLowerCase());
  }
  const productRule = (entry: unknown, path: Path) => {
    const rule = read.object(entry, path, ['vendor', 'product']);
    const vendor = read.optionalString(rule.vendor, [...path, 'vendor'])?.toLowerCase();
    return { ...(vendor === undefined ? {} : { vendor }), product: read.string(rule.product, [...path, 'product']).toLowerCase() };
  };
  return {
    products: read.list(mapping.products, [...at, 'products'], (entry, path) => {
      const { packages, ...rule } = read.object(entry, path, ['vendor', 'product', 'packages']);
      return {
        ...productRule(rule, path),
        packages: read.list(packages, [...path, 'packages'], (pkg, p) => read.string(pkg, p)),
      };
    }),
    deny: read.list(mapping.deny, [...at, 'deny'], productRule),
    vendors,
  };
}

/** Parses a mapping-rules file (`products`, `deny`, `vendors` at the top level). */
export function parseMappingConfig(text: string, source: string): MappingConfig {
  const { value, read } = loadYaml(text, source);
  return readMapping(read, value, []);
}

/** Parses the YAML configuration; every problem is an InputError naming its line. */
export function parseConfig(text: string, source: string): SecfixConfig {
  const { value, read } = loadYaml(text, source);
  const root = read.object(value, [], ['distribution', 'keys', 'branches', 'nvd', 'cve5', 'rejections', 'mapping', 'auth']);

  const branches = read.list(root.branches, ['branches'], (entry, path) => {
    const branch = read.object(entry, path, ['name', 'endOfSupport', 'architectures', 'repositories']);
    return {
      name: read.string(branch.name, [...path, 'name']).replace(/^v(?=\d)/, ''),
      endOfSupport: read.date(branch.endOfSupport, [...path, 'endOfSupport']),
      architectures: read.list(branch.architectures, [...path, 'architectures'], (arch, p) => read.string(arch, p)),
      repositories: read.list(branch.repositories, [...path, 'repositories'], (repo, p) => {
        const repository = read.object(repo, p, ['name', 'index', 'secdb']);
        return {
          name: read.string(repository.name, [...p, 'name']),
          index: read.optionalString(repository.index, [...p, 'index']),
          secdb: read.optionalString(repository.secdb, [...p, 'secdb']),
        };
      }),
    };
  });
  const seen = new Set<string>();
  branches.forEach((branch, index) => {
    const nameProblem = declaredBranchNameProblem(branch.name);
    if (nameProblem !== undefined) read.fail(['branches', index, 'name'], nameProblem);
    branch.repositories.forEach((repository, position) => {
      const problem = repositoryNameProblem(repository.name);
      if (problem !== undefined) read.fail(['branches', index, 'repositories', position, 'name'], problem);
    });
    if (seen.has(branch.name)) read.fail(['branches', index, 'name'], `branch "${branch.name}" is listed twice`);
    seen.add(branch.name);
  });

  const mappingFile = typeof root.mapping === 'string' ? read.string(root.mapping, ['mapping']) : undefined;
  return {
    distribution: read.optionalString(root.distribution, ['distribution']) ?? 'unnamed distribution',
    keys: read.optionalString(root.keys, ['keys']),
    branches,
    nvd: read.list(root.nvd, ['nvd'], (entry, p) => read.string(entry, p)),
    cve5: read.list(root.cve5, ['cve5'], (entry, p) => read.string(entry, p)),
    rejections: read.list(root.rejections, ['rejections'], (entry, path) => {
      const rejections = read.object(entry, path, ['source', 'branches']);
      return {
        source: read.string(rejections.source, [...path, 'source']),
        branches:
          rejections.branches === undefined
            ? undefined
            : read.list(rejections.branches, [...path, 'branches'], (b, p) => read.string(b, p).replace(/^v(?=\d)/, '')),
      };
    }),
    mapping: mappingFile === undefined ? readMapping(read, root.mapping, ['mapping']) : { products: [], deny: [], vendors: {} },
    mappingFile,
    auth: readAuth(read, root.auth, ['auth']),
  };
}

function readAuth(read: ConfigReader, value: unknown, at: Path): AuthConfig {
  const auth = read.object(value ?? {}, at, ['securityTeam', 'admins']);
  const members = (entry: unknown, path: Path): RoleMembers => {
    const record = read.object(entry ?? {}, path, ['emails', 'groups']);
    return {
      emails: read.list(record.emails, [...path, 'emails'], (email, p) => {
        const text = read.string(email, p).trim();
        if (!/^[^@\s<>]+@[^@\s<>]+$/.test(text)) read.fail(p, `"${text}" is not an e-mail address`);
        return text.toLowerCase();
      }),
      groups: read.list(record.groups, [...path, 'groups'], (group, p) => read.string(group, p).trim()),
    };
  };
  return { securityTeam: members(auth.securityTeam, [...at, 'securityTeam']), admins: members(auth.admins, [...at, 'admins']) };
}
