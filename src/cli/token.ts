import { type Command, Option } from 'commander';
import { withCliStore } from './database.js';
import { type CliIo, type CliStatus, printResult } from './io.js';
import { UsageError } from './io.js';
import { DB_OPTION_HELP } from './options.js';
import { subcommand } from './subcommand.js';

/** The audit log's name for whoever runs the command line (it has the database, so it is trusted). */
const CLI_ACTOR = 'cli';
const ROLE_CHOICES = ['maintainer', 'security-team', 'admin'] as const;

/** `secfix token create|list|revoke`: API tokens for automation (`Authorization: Bearer TOKEN`). */
export function tokenCommand(io: CliIo, _status: CliStatus): Command {
  const create = subcommand(io, 'create')
    .description('create an API token and print it once (only its SHA-256 is stored)')
    .option('--db <url>', DB_OPTION_HELP)
    .requiredOption('--name <name>', 'a unique name (letters, digits, . _ -), used by `token revoke` and the audit log')
    .addOption(new Option('--role <role>', 'maintainer: its e-mail\'s packages; security-team: every package; admin: every package and tokens').choices(ROLE_CHOICES).makeOptionMandatory())
    .option('--email <address>', "whose packages a maintainer token acts on (required for --role maintainer)")
    .option('--json', 'print {name, role, token}', false)
    .addHelpText('after', '\nExamples:\n  secfix token create --name ci --role security-team\n  secfix token create --name jane-bot --role maintainer --email jane@example.org --json\n')
    .action(async (flags: { db?: string; name: string; role: (typeof ROLE_CHOICES)[number]; email?: string; json: boolean }) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { createToken } = await import('../tracker/tokens.js');
        const created = await createToken(store, { name: flags.name, role: flags.role, email: flags.email ?? null }, CLI_ACTOR);
        printResult(io, flags.json, { name: created.name, role: created.role, token: created.token }, () => `${created.token}\n`);
        if (!flags.json) io.stderr.write(`secfix: token "${created.name}" (${created.role}) created; it is shown only this once\n`);
      });
    });

  const list = subcommand(io, 'list')
    .description('list the API tokens (never the tokens themselves): name, role, e-mail, created, revoked')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--json', 'print one JSON array', false)
    .action(async (flags: { db?: string; json: boolean }) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { listTokens } = await import('../tracker/tokens.js');
        const tokens = await listTokens(store, CLI_ACTOR);
        const line = (token: (typeof tokens)[number]) =>
          `${[token.name, token.role, token.email ?? '-', token.createdAt, token.revokedAt === null ? 'live' : `revoked ${token.revokedAt}`].join('  ')}\n`;
        printResult(io, flags.json, tokens, () => `${tokens.map(line).join('')}${tokens.length} tokens\n`);
      });
    });

  const revoke = subcommand(io, 'revoke')
    .description('revoke an API token by name; requests with it are answered 401 from then on')
    .argument('<name>', 'the token name')
    .option('--db <url>', DB_OPTION_HELP)
    .action(async (name: string, flags: { db?: string }) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { revokeToken } = await import('../tracker/tokens.js');
        if (!(await revokeToken(store, name, CLI_ACTOR))) throw new UsageError(`no live token named "${name}"`);
        io.stdout.write(`secfix: token "${name}" revoked\n`);
      });
    });

  return subcommand(io, 'token')
    .description('API tokens for automation: requests send `Authorization: Bearer TOKEN`; every action is kept in the audit log')
    .addCommand(create)
    .addCommand(list)
    .addCommand(revoke);
}
