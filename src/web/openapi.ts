import { TRIAGE_JUSTIFICATIONS, TRIAGE_STATUSES } from '../base/triage.js';
import { QUALITY_KINDS } from '../engine/quality.js';
import { BRANCH_PACKAGE_SORTS, SEVERITY_LEVELS, STATE_NAMES } from '../store/index.js';
import { CONTEXT_PATH } from './linked-data.js';
import { MAX_CHANGES_LIMIT } from './routes/change-log.js';
import { CHANGES_FEED_PATH } from './urls.js';

/** Where the OpenAPI document is served. */
export const OPENAPI_PATH = '/openapi.json';

interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly description: string;
  readonly schema: Record<string, unknown>;
  /** A value the API accepts, used in the document and by its test. */
  readonly example: string;
  /** Other query parameters this one needs beside it (name=value): an OpenAPI extension field, so a client can build a valid example request. */
  readonly 'x-needs'?: string;
}

const path = (name: string, description: string, example: string): Parameter => ({ name, in: 'path', description, schema: { type: 'string' }, example });
const query = (name: string, description: string, schema: Record<string, unknown>, example: string): Parameter => ({ name, in: 'query', description, schema, example });
const page = query('page', 'page number, from 1', { type: 'integer', minimum: 1 }, '1');
const branchFilter = query('branch', 'only this branch', { type: 'string' }, '3.16');
const stateFilter = (what: string) => query('state', what, { type: 'string', enum: STATE_NAMES }, 'fixed');

/** One GET operation of the JSON API: its path under /api, what it answers, and its parameters. */
export interface ApiOperation {
  readonly path: string;
  readonly summary: string;
  readonly parameters: readonly Parameter[];
}

/** Every resource of the JSON API. Pages answer the same parameters at the path without `/api`. */
const API_OPERATIONS: readonly ApiOperation[] = [
  { path: '/api', summary: 'The distribution, its branches with open and state counts per repository (no open pairs past a branch\'s end of support), and the trend of vulnerable pairs', parameters: [] },
  {
    path: '/api/branch/{branch}',
    summary: 'One page of a branch\'s packages with pairs in a state, with their vulnerabilities, and the branch\'s open count',
    parameters: [
      path('branch', 'branch name, e.g. 3.20 or edge', '3.16'),
      query('repo', 'only this repository', { type: 'string' }, 'main'),
      stateFilter('pairs in this state (default vulnerable)'),
      query('severity', 'minimum NVD severity', { type: 'string', enum: SEVERITY_LEVELS }, 'high'),
      query('maintainer', 'only packages of this maintainer (e-mail address, or the whole name when there is none)', { type: 'string' }, 'ncopa@alpinelinux.org'),
      query('orphaned', 'only packages without a maintainer', { type: 'string', enum: ['1', '0'] }, '1'),
      query('sort', 'order of the packages', { type: 'string', enum: BRANCH_PACKAGE_SORTS }, 'severity'),
      page,
    ],
  },
  { path: '/api/cve/{id}', summary: 'A vulnerability: its record, CPE criteria and why each matched, and its state in every branch, repository and package', parameters: [path('id', 'vulnerability id (CVE, GHSA, ...)', 'CVE-2023-42363')] },
  {
    path: '/api/package/{name}',
    summary: 'A source package: versions per branch, its secfixes history, and one page of its states',
    parameters: [path('name', 'origin (source package) name', 'busybox'), stateFilter('only states of this name'), page],
  },
  { path: '/api/maintainers', summary: 'Every maintainer with their package and open-pair counts', parameters: [page] },
  {
    path: '/api/maintainer/{key}',
    summary: 'A maintainer\'s packages and their open vulnerabilities',
    parameters: [path('key', 'e-mail address, or the whole maintainer text when it has none', 'ncopa@alpinelinux.org'), branchFilter, page],
  },
  { path: '/api/orphans', summary: 'Packages without a maintainer, with their open-pair counts', parameters: [branchFilter, page] },
  {
    path: '/api/quality',
    summary: 'Data-quality findings (`secfix check`), grouped by kind',
    parameters: [
      query('kind', 'only findings of this kind', { type: 'string', enum: QUALITY_KINDS }, QUALITY_KINDS[0]),
      { ...page, description: 'page number within one kind, from 1 (needs kind)', 'x-needs': `kind=${QUALITY_KINDS[0]}` },
    ],
  },
  {
    path: '/api/audit',
    summary: 'The audit log (triage decisions and API-token actions), newest first, 50 a page; `next` pages to older rows',
    parameters: [
      query('vuln', 'only rows about this vulnerability id', { type: 'string' }, 'CVE-2023-42363'),
      query('package', 'only rows about this origin package', { type: 'string' }, 'busybox'),
      query('user', 'only rows by this actor (an e-mail address, or cli)', { type: 'string' }, 'cli'),
      query('before', 'only rows with a smaller id (the previous page\'s last row)', { type: 'integer', minimum: 1 }, '1000'),
    ],
  },
  {
    path: '/api/search',
    summary: 'Vulnerabilities (by id start or description words in any order), packages and maintainers matching a text, 50 of each a page; names an exact match',
    parameters: [query('q', 'CVE id, words, package name or maintainer (at most 200 characters)', { type: 'string', maxLength: 200 }, 'openssl'), page],
  },
];

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** The OpenAPI 3.1 document of the JSON API, the security-data endpoint and the feeds. */
export function openApiDocument(base: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const operation of API_OPERATIONS) {
    paths[operation.path] = {
      get: {
        summary: operation.summary,
        parameters: operation.parameters.map((parameter) => ({ ...parameter, ...(parameter.in === 'path' ? { required: true } : {}) })),
        responses: {
          '200': {
            description: `The resource as JSON, or as JSON-LD (context ${base}${CONTEXT_PATH}) with \`Accept: application/ld+json\`. ETag and Last-Modified allow conditional requests.`,
            content: { 'application/json': { schema: { type: 'object' } }, 'application/ld+json': { schema: { type: 'object' } } },
          },
          '304': { description: 'Not modified since the ETag or date the request gave' },
          '400': errorResponse('A bad or unknown query parameter'),
          '404': errorResponse('No such resource, or a page past the last'),
          '429': errorResponse('Too many requests from this address; retry after the Retry-After header'),
        },
      },
    };
  }
  paths['/api/branch/{branch}/security-data'] = {
    post: {
      summary: 'What `secfix scan --server` reads: fixes, open vulnerabilities, rejections, not-affected ids and published versions of the given origins in a branch',
      parameters: [{ name: 'branch', in: 'path', required: true, schema: { type: 'string' }, example: '3.16' }],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object', required: ['packages'], properties: { packages: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, maxItems: 20_000 } } } } },
      },
      responses: { '200': { description: 'The branch\'s security data', content: { 'application/json': { schema: { type: 'object' } } } }, '400': errorResponse('A malformed body'), '404': errorResponse('No such branch') },
    },
  };
  paths['/api/branch/{branch}/security-index'] = {
    get: {
      summary:
        'The branch\'s security index (what `secfix scan --index-url` reads): per origin the published version, its binary packages, the fixes the branch publishes (version to ids) and the not-affected ids',
      parameters: [
        { name: 'branch', in: 'path', required: true, schema: { type: 'string' }, example: '3.16' },
        { name: 'arch', in: 'query', schema: { type: 'string' }, example: 'x86_64', description: 'only binaries of this architecture; absent: all' },
      ],
      responses: {
        '200': { description: 'The index (format `secfix-security-index/1`); ETag and Last-Modified allow conditional requests', content: { 'application/json': { schema: { type: 'object', required: ['format', 'branch', 'arch', 'repos', 'packages'] } } } },
        '304': { description: 'Not modified since the ETag or date the request gave' },
        '400': errorResponse('An unknown query parameter'),
        '404': errorResponse('No such branch, or no such architecture in it'),
      },
    },
  };
  paths[CHANGES_FEED_PATH] = {
    get: {
      summary:
        'Every change in order, for mirrors and scanners pulling increments: state changes (`kind: state`), triage events (`triage`) and finished imports (`import`: the data every export is made from changed), ordered by time, then kind (import, state, triage), then id. The first call goes without `after`; each next call passes the `next` of the answer before, until `more` is false; later calls with the last `next` get only what came since.',
      parameters: [
        query('after', 'an opaque cursor this endpoint gave (`next`, or a change\'s `cursor`): only changes after it', { type: 'string' }, 'WyIyMDI0LTAxLTAxVDAwOjAwOjAwLjAwMFoiLCJzdGF0ZSIsMV0'),
        query('limit', 'changes per answer (default 100)', { type: 'integer', minimum: 1, maximum: MAX_CHANGES_LIMIT }, '500'),
      ],
      responses: {
        '200': {
          description: '`changes` (each with its `cursor`, `kind`, `time` and `id`), `next` (the cursor to ask with next; null before any change exists) and `more` (a full page came: ask again now)',
          content: { 'application/json': { schema: { type: 'object', required: ['changes', 'next', 'more'], properties: { changes: { type: 'array', items: { type: 'object', required: ['cursor', 'kind', 'time', 'id'] } }, next: { type: ['string', 'null'] }, more: { type: 'boolean' } } } } },
        },
        '304': { description: 'Not modified since the ETag or date the request gave' },
        '400': errorResponse('A cursor this server did not give, a limit out of range, or an unknown parameter'),
      },
    },
  };
  for (const [feed, summary] of [
    ['/feed.atom', 'Every state change'],
    ['/branch/{branch}/feed.atom', 'State changes in one branch'],
    ['/package/{name}/feed.atom', 'State changes of one package'],
    ['/maintainer/{key}/feed.atom', 'State changes of one maintainer\'s packages'],
  ] as const) {
    const parameter = /\{(\w+)\}/.exec(feed)?.[1];
    paths[feed] = {
      get: {
        summary: `${summary} (Atom, newest 100)`,
        parameters: parameter === undefined ? [] : [{ name: parameter, in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'An Atom 1.0 feed', content: { 'application/atom+xml': { schema: { type: 'string' } } } }, '404': errorResponse('No such branch, package or maintainer') },
      },
    };
  }
  paths['/api/me'] = {
    get: {
      summary: 'Who the request is: `role` (anonymous, maintainer, security-team, admin), `email`, `via` (session, token or null); a session also gets its `groups` and the `csrfToken` its state-changing requests must send (form field `csrf` or header `X-CSRF-Token`)',
      security: [{}, { bearer: [] }, { session: [] }],
      responses: { '200': { description: 'The identity, never cached', content: { 'application/json': { schema: { type: 'object', required: ['role', 'email', 'via', 'signInAvailable'] } } } }, '401': errorResponse('An unknown or revoked API token') },
    },
  };
  Object.assign(paths, exchangePaths());
  const triageEvent = {
    type: 'object',
    required: ['id', 'package', 'vulnerabilityId', 'branches', 'status', 'justification', 'version', 'note', 'author', 'createdAt', 'computedDigests'],
    properties: {
      id: { type: 'integer' },
      package: { type: 'string' },
      vulnerabilityId: { type: 'string' },
      branches: { type: ['array', 'null'], items: { type: 'string' }, description: 'null: every branch' },
      status: { type: 'string', enum: TRIAGE_STATUSES },
      justification: { type: ['string', 'null'], enum: [...TRIAGE_JUSTIFICATIONS, null] },
      version: { type: ['string', 'null'] },
      note: { type: ['string', 'null'] },
      author: { type: 'string' },
      createdAt: { type: 'string', format: 'date-time' },
      computedDigests: { type: 'object', additionalProperties: { type: 'string' } },
    },
  };
  const names = (what: string) => ({ oneOf: [{ type: 'string', description: `one ${what}, or a comma list` }, { type: 'array', items: { type: 'string' }, minItems: 1 }] });
  const events = { type: 'object', required: ['events'], properties: { events: { type: 'array', items: { $ref: '#/components/schemas/TriageEvent' } } } };
  paths['/api/triage'] = {
    get: {
      summary: 'The triage history, oldest first',
      parameters: [
        query('package', 'only this origin package', { type: 'string' }, 'busybox'),
        query('vuln', 'only this vulnerability id', { type: 'string' }, 'CVE-2023-42363'),
        query('author', 'only events by this author (security-rejections: imported rejections)', { type: 'string' }, 'security-rejections'),
        query('since', 'only events at or after this ISO-8601 date or time', { type: 'string' }, '2026-01-01'),
      ],
      responses: {
        '200': { description: 'The events', content: { 'application/json': { schema: events } } },
        '304': { description: 'Not modified since the ETag or date the request gave' },
        '400': errorResponse('A bad or unknown query parameter'),
      },
    },
    post: {
      summary: 'Records one triage event per package x vulnerability for the token\'s or session\'s user, in one transaction, each with an audit-log row. A session must send its CSRF token (header `X-CSRF-Token`).',
      security: [{ bearer: [] }, { session: [] }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['package', 'vuln', 'status'],
              additionalProperties: false,
              properties: {
                package: names('origin package'),
                vuln: names('vulnerability id'),
                status: { type: 'string', enum: TRIAGE_STATUSES },
                justification: { type: 'string', enum: TRIAGE_JUSTIFICATIONS, description: 'required for not-affected' },
                version: { type: 'string', description: 'required for fixed: the apk version that fixes it' },
                note: { type: 'string', maxLength: 2000, description: 'required for pending-upstream-fix, fix-not-planned and analysis-not-planned' },
                branches: { ...names('branch'), description: 'the branches it concerns; absent or empty: every branch' },
              },
            },
            example: { package: 'openssl', vuln: 'CVE-2019-0190', status: 'not-affected', justification: 'component-not-present', note: 'mod_ssl is part of httpd' },
          },
        },
      },
      responses: {
        '201': { description: 'The recorded events', content: { 'application/json': { schema: events } } },
        '400': errorResponse('A bad field, named in the message: unknown package or branch, malformed id, missing justification, note or version'),
        '401': errorResponse('No credentials, or an unknown or revoked API token'),
        '403': errorResponse('A package outside the user\'s role (another maintainer\'s), or a session request without its CSRF token'),
      },
    },
  };
  paths['/healthz'] = { get: { summary: 'Whether the server reaches its database', responses: { '200': { description: 'Healthy' }, '503': { description: 'The database cannot be reached' } } } };
  paths['/metrics'] = { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } } } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'secfix tracker API',
      version: '1',
      description: 'Every page of the tracker is also JSON under /api (and JSON-LD by content negotiation). Lists are paged; answers carry ETag and Last-Modified.',
    },
    servers: [{ url: base }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token from `secfix token create`' },
        session: { type: 'apiKey', in: 'cookie', name: 'secfix_session', description: 'A browser session from signing in at /login' },
      },
      schemas: {
        TriageEvent: triageEvent,
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['status', 'message'], properties: {
                status: { type: 'integer' },
                message: { type: 'string' },
                // Only on a 404 for a well-formed CVE id the tracker holds nothing about.
                links: { type: 'array', items: { type: 'object', required: ['name', 'url'], properties: { name: { type: 'string' }, url: { type: 'string' } } } },
              },
            },
          },
        },
      },
    },
  };
}

/** The exchange between trackers (docs/exchange.md): the LDN inbox, suggestions and the outbox. */
function exchangePaths(): Record<string, unknown> {
  const jsonLd = (description: string) => ({ description, content: { 'application/ld+json': { schema: { type: 'object' } } } });
  const id = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
  const decide = (what: string) => ({
    post: {
      summary: what,
      parameters: [id('id')],
      security: [{ bearer: [] }, { session: [] }],
      responses: { '200': { description: 'The suggestion as decided' }, '303': { description: 'Back to /suggestions (a form post)' }, '401': errorResponse('Not signed in'), '403': errorResponse('May not act on the package, or no CSRF token'), '404': errorResponse('No such suggestion'), '409': errorResponse('Already decided or withdrawn') },
    },
  });
  return {
    '/inbox': {
      get: { summary: 'The notifications received, as an LDP container (`contains`)', responses: { '200': jsonLd('The inbox listing') } },
      post: {
        summary: 'A notification from a peer tracker: JSON-LD, signed with HTTP Message Signatures (RFC 9421) over @method, @target-uri and Content-Digest',
        requestBody: { required: true, content: { 'application/ld+json': { schema: { type: 'object' } } } },
        responses: {
          '201': { description: 'Stored; Location names it' },
          '400': errorResponse('Not JSON-LD of the expected shape, or a context outside the allow-list'),
          '401': errorResponse('Unsigned, not a peer, forged, too old or replayed'),
          '413': errorResponse('The body is too large'),
          '415': errorResponse('Not application/ld+json'),
          '429': errorResponse('Too many notifications from this peer'),
        },
      },
      options: { summary: 'Allow and Accept-Post', responses: { '204': { description: 'No body' } } },
    },
    '/inbox/{id}': { get: { summary: 'One notification, as received', parameters: [id('id')], responses: { '200': jsonLd('The notification'), '404': errorResponse('No such notification') } } },
    '/suggestions': { get: { summary: 'What peers suggested, open ones first (JSON with Accept: application/json)', responses: { '200': { description: '`{suggestions}`' } } } },
    '/suggestions/{id}/accept': decide('Accept a suggestion: records its triage event with the peer as author'),
    '/suggestions/{id}/dismiss': decide('Dismiss a suggestion; nothing else changes'),
    '/outbox': { get: { summary: 'What this tracker sent its peers, newest first, with the last result (JSON with Accept: application/json)', responses: { '200': { description: '`{entries}`' } } } },
  };
}
