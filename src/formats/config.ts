import { LineCounter, isNode, parseDocument } from 'yaml';
import { DEFAULT_PURL_NAMESPACE } from '../base/export.js';
import { InputError } from '../base/input-error.js';
import { jsonPath } from './json-path.js';
import { type JsonObjectReader, type JsonPathStep, JsonReader } from './json-value.js';
import { declaredBranchNameProblem, repositoryNameProblem } from './names.js';
import { parseVersionLine } from './version-line.js';

/**
 * The secfix configuration file (YAML): the distribution, its branches and repositories with
 * the URLs (or local paths) of their indexes and secdb files, the NVD, CVE 5 and rejections
 * sources, the trusted keys folder, and the CPE mapping rules. Paths stay as written; the
 * caller resolves them against the file's folder.
 */
export interface SecfixConfig {
  readonly distribution: string;
  /** The purl namespace the exports name packages in (`pkg:apk/<namespace>/…`): `alpine`, `wolfi`, `postmarketos`. */
  readonly purlNamespace: string;
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
  /** Where `notify gitlab` opens maintainer issues; undefined when the file has no `gitlab`. */
  readonly gitlab: GitLabConfig | undefined;
}

/** The severities `minSeverity` accepts, least severe first (NVD's words, any case). */
const GITLAB_MIN_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type GitLabMinSeverity = (typeof GITLAB_MIN_SEVERITIES)[number];

/** The `gitlab` section: the project `secfix notify gitlab` keeps one issue per open (origin, vulnerability) in. */
export interface GitLabConfig {
  /** The GitLab instance, e.g. `https://gitlab.alpinelinux.org` (no `/api/v4`). */
  readonly url: string;
  /** The project: its numeric id or its path (`alpine/aports`). */
  readonly project: string;
  /** The environment variable holding the access token (sent as `PRIVATE-TOKEN`). */
  readonly tokenEnv: string;
  /** Labels every new issue gets. */
  readonly labels: readonly string[];
  /** The least severity that gets an issue; null: every severity, and vulnerabilities without one. */
  readonly minSeverity: GitLabMinSeverity | null;
  /** How long a pair must have been open before an issue is opened. */
  readonly graceHours: number;
  /** Most issues created in one run. */
  readonly maxPerRun: number;
  /** The tracker's public URL, for links in the issues; none when absent. */
  readonly baseUrl: string | undefined;
}

/** People named by verified e-mail address or by an OpenID Connect group (GitLab's `groups_direct` paths). */
interface RoleMembers {
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

interface BranchConfig {
  /** `3.16`, `edge`, … */
  readonly name: string;
  /** ISO date (YYYY-MM-DD) after which the branch gets no security fixes. */
  readonly endOfSupport: string | undefined;
  readonly architectures: readonly string[];
  readonly repositories: readonly RepositoryConfig[];
}

interface RepositoryConfig {
  readonly name: string;
  /** Index location; `{arch}` is replaced by each of the branch's architectures. */
  readonly index: string | undefined;
  readonly secdb: string | undefined;
}

interface RejectionsConfig {
  readonly source: string;
  /** Branches the file applies to; undefined means every branch (Alpine's files have no branch). */
  readonly branches: readonly string[] | undefined;
}

/** CPE-to-package rules on top of the built-in ones (see src/engine/cpe-mapping.ts). */
export interface MappingConfig {
  /** vendor:product pairs that map to these packages, whatever the default rules say. */
  readonly products: readonly { readonly vendor?: string; readonly product: string; readonly packages: readonly string[]; readonly versions?: string }[];
  /** vendor:product (or any vendor's product) that never maps to a package. */
  readonly deny: readonly { readonly vendor?: string; readonly product: string }[];
  /** Known CPE vendors per package: a criterion for the same product from another vendor does not map. */
  readonly vendors: Readonly<Record<string, readonly string[]>>;
  /** Platforms (part, vendor, product; each optional) that a `vulnerable: false` criterion names for another system. */
  readonly foreignPlatforms: readonly { readonly part?: string; readonly vendor?: string; readonly product?: string }[];
}

function loadYaml(text: string, source: string): JsonReader {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, schema: 'core' });
  const [syntaxError] = document.errors;
  if (syntaxError !== undefined) {
    throw new InputError(source, `line ${lineCounter.linePos(syntaxError.pos[0]).line}`, `malformed YAML: ${syntaxError.message}`);
  }
  const placeOf = (path: JsonPathStep[]): string => {
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
  return JsonReader.of(value ?? {}, source, { placeOf, yaml: true });
}

const NO_MAPPING_RULES: MappingConfig = { products: [], deny: [], vendors: {}, foreignPlatforms: [] };

/** Every item of an optional list, as non-empty text. */
function texts(list: readonly JsonReader[]): string[] {
  return list.map((item) => item.asNonEmptyString());
}

function optionalText(object: JsonObjectReader, name: string): string | undefined {
  return object.optional(name)?.asNonEmptyString();
}

function productRule(rule: JsonObjectReader): { vendor?: string; product: string } {
  const vendor = optionalText(rule, 'vendor')?.toLowerCase();
  return { ...(vendor === undefined ? {} : { vendor }), product: rule.field('product').asNonEmptyString().toLowerCase() };
}

function readMapping(mapping: JsonObjectReader): MappingConfig {
  mapping.withOnly(['products', 'deny', 'vendors', 'foreignPlatforms']);
  const vendors: Record<string, string[]> = {};
  for (const [pkg, list] of mapping.optionalObject('vendors')?.entries() ?? []) {
    vendors[pkg] = texts(list.asArray()).map((vendor) => vendor.toLowerCase());
  }
  return {
    products: mapping.optionalArray('products').map((entry) => {
      const rule = entry.asObject().withOnly(['vendor', 'product', 'packages', 'versions']);
      const versions = rule.optional('versions');
      const line = versions?.asNonEmptyString();
      const problem = line === undefined ? undefined : parseVersionLine(line);
      if (typeof problem === 'string') versions?.fail(problem);
      return { ...productRule(rule), packages: texts(rule.optionalArray('packages')), ...(line === undefined ? {} : { versions: line }) };
    }),
    deny: mapping.optionalArray('deny').map((entry) => productRule(entry.asObject().withOnly(['vendor', 'product']))),
    vendors,
    foreignPlatforms: mapping.optionalArray('foreignPlatforms').map((entry) => {
      const rule = entry.asObject().withOnly(['part', 'vendor', 'product']);
      const field = (name: 'part' | 'vendor' | 'product') => {
        const text = optionalText(rule, name)?.toLowerCase();
        if (name === 'part' && text !== undefined && text !== 'o' && text !== 'h') rule.field(name).fail('expected o (operating system) or h (hardware)');
        return text === undefined ? {} : { [name]: text };
      };
      return { ...field('part'), ...field('vendor'), ...field('product') };
    }),
  };
}

/** A branch name as written, without the v of secdb-style names (`v3.20`). */
function branchName(field: JsonReader): string {
  return field.asNonEmptyString().replace(/^v(?=\d)/, '');
}

function readBranch(entry: JsonReader): BranchConfig {
  const branch = entry.asObject().withOnly(['name', 'endOfSupport', 'architectures', 'repositories']);
  const name = branchName(branch.field('name'));
  const nameProblem = declaredBranchNameProblem(name);
  if (nameProblem !== undefined) branch.field('name').fail(nameProblem);
  return {
    name,
    endOfSupport: branch.optional('endOfSupport')?.asDate(),
    architectures: texts(branch.optionalArray('architectures')),
    repositories: branch.optionalArray('repositories').map((item) => {
      const repository = item.asObject().withOnly(['name', 'index', 'secdb']);
      const repositoryName = repository.field('name').asNonEmptyString();
      const problem = repositoryNameProblem(repositoryName);
      if (problem !== undefined) repository.field('name').fail(problem);
      return { name: repositoryName, index: optionalText(repository, 'index'), secdb: optionalText(repository, 'secdb') };
    }),
  };
}

/** Parses a mapping-rules file (`products`, `deny`, `vendors`, `foreignPlatforms` at the top level). */
export function parseMappingConfig(text: string, source: string): MappingConfig {
  return readMapping(loadYaml(text, source).asObject());
}

/** Parses the YAML configuration; every problem is an InputError naming its line. */
export function parseConfig(text: string, source: string): SecfixConfig {
  const root = loadYaml(text, source)
    .asObject()
    .withOnly(['distribution', 'purlNamespace', 'keys', 'branches', 'nvd', 'cve5', 'rejections', 'mapping', 'auth', 'gitlab']);

  const seen = new Set<string>();
  const branches = root.optionalArray('branches').map((entry) => {
    const branch = readBranch(entry);
    if (seen.has(branch.name)) entry.asObject().field('name').fail(`branch "${branch.name}" is listed twice`);
    seen.add(branch.name);
    return branch;
  });

  const mapping = root.optional('mapping');
  const mappingFile = typeof mapping?.value === 'string' ? mapping.asNonEmptyString() : undefined;
  return {
    distribution: optionalText(root, 'distribution') ?? 'unnamed distribution',
    purlNamespace: purlNamespace(root.optional('purlNamespace')),
    keys: optionalText(root, 'keys'),
    branches,
    nvd: texts(root.optionalArray('nvd')),
    cve5: texts(root.optionalArray('cve5')),
    rejections: root.optionalArray('rejections').map((entry) => {
      const rejections = entry.asObject().withOnly(['source', 'branches']);
      return {
        source: rejections.field('source').asNonEmptyString(),
        branches: rejections.has('branches') ? rejections.array('branches').map(branchName) : undefined,
      };
    }),
    mapping: mapping === undefined || mappingFile !== undefined ? NO_MAPPING_RULES : readMapping(mapping.asObject()),
    mappingFile,
    auth: readAuth(root.optionalObject('auth')),
    gitlab: readGitLab(root.optionalObject('gitlab')),
  };
}

/** A purl namespace: one lower-case segment, as the apk purl type asks (`alpine` when absent). */
function purlNamespace(field: JsonReader | undefined): string {
  if (field === undefined) return DEFAULT_PURL_NAMESPACE;
  const text = field.asNonEmptyString();
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(text)) field.fail(`"${text}" is not a purl namespace: lower-case letters, digits, ".", "_" and "-", such as alpine or wolfi`);
  return text;
}

/** An http(s) URL without a trailing slash. */
function httpUrl(field: JsonReader): string {
  const text = field.asNonEmptyString().trim();
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) field.fail(`expected an http(s) URL, found "${text}"`);
  return text.replace(/\/+$/, '');
}

/** A whole number, at least `least`. */
function wholeNumber(field: JsonReader, least: number): number {
  const value = field.asNumber();
  if (!Number.isInteger(value) || value < least) field.fail(`expected a whole number of at least ${least}, found ${value}`);
  return value;
}

function readGitLab(gitlab: JsonObjectReader | undefined): GitLabConfig | undefined {
  if (gitlab === undefined) return undefined;
  gitlab.withOnly(['url', 'project', 'tokenEnv', 'labels', 'minSeverity', 'graceHours', 'maxPerRun', 'baseUrl']);
  const project = gitlab.field('project');
  const projectText = typeof project.value === 'number' ? String(wholeNumber(project, 1)) : project.asNonEmptyString().trim().replace(/^\/+|\/+$/g, '');
  const tokenEnv = gitlab.field('tokenEnv').asNonEmptyString().trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenEnv)) gitlab.field('tokenEnv').fail(`"${tokenEnv}" is not an environment variable name`);
  const minSeverityField = gitlab.optional('minSeverity');
  const minSeverity = minSeverityField?.asNonEmptyString().trim().toLowerCase();
  if (minSeverityField !== undefined && !(GITLAB_MIN_SEVERITIES as readonly (string | undefined)[]).includes(minSeverity)) {
    minSeverityField.fail(`expected one of ${GITLAB_MIN_SEVERITIES.join(', ')}, found "${minSeverity}"`);
  }
  const graceHours = gitlab.optional('graceHours')?.asNumber() ?? 24;
  if (!(graceHours >= 0)) gitlab.field('graceHours').fail(`expected a number of hours of at least 0, found ${graceHours}`);
  const baseUrl = gitlab.optional('baseUrl');
  return {
    url: httpUrl(gitlab.field('url')),
    project: projectText,
    tokenEnv,
    labels: gitlab.optionalArray('labels').map((label) => {
      const text = label.asNonEmptyString().trim();
      if (text.includes(',')) label.fail(`a label cannot contain a comma: "${text}"`);
      return text;
    }),
    minSeverity: (minSeverity as GitLabMinSeverity | undefined) ?? null,
    graceHours,
    maxPerRun: gitlab.has('maxPerRun') ? wholeNumber(gitlab.field('maxPerRun'), 0) : 50,
    baseUrl: baseUrl === undefined ? undefined : httpUrl(baseUrl),
  };
}

function readAuth(auth: JsonObjectReader | undefined): AuthConfig {
  const members = (entry: JsonObjectReader | undefined): RoleMembers => {
    const record = entry?.withOnly(['emails', 'groups']);
    return {
      emails: (record?.optionalArray('emails') ?? []).map((email) => {
        const text = email.asString().trim();
        if (!/^[^@\s<>]+@[^@\s<>]+$/.test(text)) email.fail(`"${text}" is not an e-mail address`);
        return text.toLowerCase();
      }),
      groups: (record?.optionalArray('groups') ?? []).map((group) => group.asString().trim()),
    };
  };
  const checked = auth?.withOnly(['securityTeam', 'admins']);
  return { securityTeam: members(checked?.optionalObject('securityTeam')), admins: members(checked?.optionalObject('admins')) };
}
