import { type Command, InvalidArgumentError } from 'commander';
import type { MappingRules } from '../engine/index.js';
import type { AuthConfig } from '../formats/config.js';
import type { Store } from '../store/index.js';
import type { ListenOptions } from '../web/listen.js';
import { BaseUrlError, DEFAULT_RATE_LIMIT_PER_MINUTE, parseBaseUrl } from '../web/web-context.js';
import { withCliStore } from './database.js';
import { type CliIo, type CliStatus, UsageError } from './io.js';
import { DB_OPTION_HELP, configFor } from './options.js';
import { readSigningKey } from './peers.js';
import { subcommand } from './subcommand.js';

const DEFAULT_PORT = 8080;
const DEFAULT_HOST = 'localhost';

function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
  return Number(value);
}

function parseRateLimit(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a whole number of requests per minute, 0 for no limit');
  return Number(value);
}

function parseBaseUrlOption(value: string): string {
  try {
    return parseBaseUrl(value);
  } catch (error) {
    if (error instanceof BaseUrlError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** An IPv4 or IPv6 address, optionally with a /prefix; one per --trust-proxy, which may repeat. */
function collectProxy(value: string, previous: string[] = []): string[] {
  const [address = '', prefix, ...rest] = value.split('/');
  // node:net is loaded only here (and when serving): the command table loads at every start.
  const { isIP } = process.getBuiltinModule('node:net');
  const bits = isIP(address) === 4 ? 32 : isIP(address) === 6 ? 128 : 0;
  if (bits === 0 || rest.length > 0 || (prefix !== undefined && (!/^\d+$/.test(prefix) || Number(prefix) > bits))) {
    throw new InvalidArgumentError('a proxy is an IP address or CIDR range, e.g. 10.0.0.0/8 or 127.0.0.1');
  }
  return [...previous, value];
}

/** Options `serve` and `demo` share. */
export interface ServeFlags {
  port: number;
  host: string;
  baseUrl?: string;
  rateLimit?: number;
  trustProxy?: string[];
  log: boolean;
  oidcIssuer?: string;
  oidcClientId?: string;
  signingKey?: string;
}

/** What a site serves beyond the data: its name, mapping rules and who holds which role. */
interface ServedSite {
  distribution: string;
  /** The purl namespace of the exports and notifications; `alpine` when absent. */
  purlNamespace?: string;
  mappingRules?: MappingRules;
  roles?: AuthConfig;
}

/** Adds the server options to a command. */
export function withServeOptions(command: Command): Command {
  return command
    .option('--port <n>', 'TCP port to listen on (0 picks a free one)', parsePort, DEFAULT_PORT)
    .option('--host <host>', 'address to listen on (0.0.0.0 for every interface)', DEFAULT_HOST)
    .option('--base-url <url>', 'public origin for absolute links in JSON-LD, feeds and OpenAPI, e.g. https://security.example.org; no path prefix (default: the listen address)', parseBaseUrlOption)
    .option('--trust-proxy <cidr>', 'a proxy (address or CIDR range) whose X-Forwarded-For names the client, for the rate limit and logs; repeat for several (default: trust none)', collectProxy)
    .option('--rate-limit <n>', 'requests per client address and minute before 429 (0 turns the limit off)', parseRateLimit, DEFAULT_RATE_LIMIT_PER_MINUTE)
    .option('--no-log', 'do not print a JSON log line per request')
    .option('--oidc-issuer <url>', 'OpenID Connect issuer to sign in with, e.g. https://gitlab.com (its client secret comes from $SECFIX_OIDC_CLIENT_SECRET); roles come from the auth section of --config')
    .option('--oidc-client-id <id>', 'the OAuth application id registered at the issuer, with redirect URI BASE-URL/auth/callback')
    .option('--signing-key <file>', 'Ed25519 private key (PEM) signing notifications to peers added with a public key (see secfix peers)');
}

/** A failure to listen in one line: the address in use, a privileged port, an address this machine lacks. */
function listenError(error: unknown, flags: ServeFlags): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'EADDRINUSE' ? 'the port is in use (choose another with --port)'
    : code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)'
    : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' ? 'no such address on this machine (see --host)'
    : undefined;
  if (reason === undefined) return error as Error;
  return new UsageError(`cannot listen on ${flags.host}:${flags.port}: ${reason}`);
}

/** Fails fast, before `demo` spends time building, when the server could not listen where asked. */
export async function checkListenable(flags: ServeFlags): Promise<void> {
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(listenError(error, flags)));
    probe.listen({ port: flags.port, host: flags.host }, () => probe.close(() => resolve()));
  });
}

/**
 * Serves the store until SIGINT or SIGTERM, then closes the server (finishing requests in flight).
 * `announce` gets the address once listening.
 */
export async function serveUntilStopped(store: Store, site: ServedSite, flags: ServeFlags, announce: (address: string) => void): Promise<void> {
  const { listen } = await import('../web/listen.js');
  if ((flags.oidcIssuer === undefined) !== (flags.oidcClientId === undefined)) throw new UsageError('--oidc-issuer and --oidc-client-id go together');
  let oidc;
  if (flags.oidcIssuer !== undefined && flags.oidcClientId !== undefined) {
    const { issuerProblem } = await import('../web/auth.js');
    const problem = issuerProblem(flags.oidcIssuer);
    if (problem !== undefined) throw new UsageError(`--oidc-issuer: ${problem}`);
    const secret = process.env['SECFIX_OIDC_CLIENT_SECRET'];
    oidc = { issuer: flags.oidcIssuer, clientId: flags.oidcClientId, ...(secret === undefined || secret === '' ? {} : { clientSecret: secret }) };
  }
  const nobody = { emails: [], groups: [] };
  const options: ListenOptions = {
    port: flags.port,
    host: flags.host,
    trustProxy: flags.trustProxy ?? [],
    site: { distribution: site.distribution, ...(site.purlNamespace === undefined ? {} : { purlNamespace: site.purlNamespace }), ...(flags.baseUrl === undefined ? {} : { baseUrl: flags.baseUrl }) },
    ...(site.mappingRules === undefined ? {} : { mappingRules: site.mappingRules }),
    rateLimitPerMinute: flags.rateLimit === 0 ? false : (flags.rateLimit ?? DEFAULT_RATE_LIMIT_PER_MINUTE),
    logger: flags.log ? { level: 'info' } : false,
    auth: { roles: site.roles ?? { securityTeam: nobody, admins: nobody }, ...(oidc === undefined ? {} : { oidc }) },
    sender: { signingKey: await readSigningKey(flags.signingKey), ...(site.purlNamespace === undefined ? {} : { purlNamespace: site.purlNamespace }) },
  };
  let server;
  try {
    server = await listen(store, options);
  } catch (error) {
    throw listenError(error, flags);
  }
  announce(server.address);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}

/** `secfix serve`: the web pages, JSON and JSON-LD API and feeds over the configured database. */
export function serveCommand(io: CliIo, _status: CliStatus): Command {
  return withServeOptions(
    subcommand(io, 'serve')
      .description('serve the tracker over HTTP: pages, the JSON and JSON-LD API (/api, /openapi.json), Atom feeds, /healthz and /metrics')
      .option('--db <url>', DB_OPTION_HELP)
      .option('--config <file>', 'configuration file (YAML): its distribution name is shown on the pages and its mapping rules used by /quality')
      .option('--distribution <name>', 'distribution name to show when no --config is given', 'Alpine Linux'),
  )
    .addHelpText('after', '\nExamples:\n  secfix serve --db sqlite:secfix.db --port 8080\n  secfix serve --config config/alpine.yaml --host 0.0.0.0 --base-url https://security.example.org\n  SECFIX_OIDC_CLIENT_SECRET=... secfix serve --config config/alpine.yaml --base-url https://security.example.org \\\n      --oidc-issuer https://gitlab.com --oidc-client-id APP_ID\n')
    .action(async (flags: ServeFlags & { db?: string; config?: string; distribution: string }) => {
      const config = await configFor(flags.config);
      const site: ServedSite =
        config === undefined
          ? { distribution: flags.distribution }
          : { distribution: config.distribution, purlNamespace: config.purlNamespace, mappingRules: config.mapping, roles: config.auth };
      await withCliStore(flags.db, ({ store, description }) =>
        serveUntilStopped(store, site, flags, (address) => io.stdout.write(`secfix: serving ${description} at ${address} (Ctrl-C stops)\n`)),
      );
    });
}
