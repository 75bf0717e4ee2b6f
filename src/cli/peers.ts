import type { KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import { withCliStore } from './database.js';
import type { CliIo, CliStatus } from './io.js';
import { UsageError } from './io.js';
import { DB_OPTION_HELP } from './options.js';
import { subcommand } from './subcommand.js';

/** Reads a key file named by an option, as text without surrounding whitespace. */
async function readKeyFile(path: string, option: string): Promise<string> {
  try {
    return (await (await import('node:fs/promises')).readFile(path, 'utf8')).trim();
  } catch (error) {
    throw new UsageError(`${option} ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/** The Ed25519 private key `serve --signing-key` and `peers flush --signing-key` sign with. */
export async function readSigningKey(path: string | undefined): Promise<KeyObject | undefined> {
  if (path === undefined) return undefined;
  const { createPrivateKey } = await import('node:crypto');
  try {
    const key = createPrivateKey(await readKeyFile(path, '--signing-key'));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
    return key;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--signing-key ${path}: not an Ed25519 private key in PEM (${(error as Error).message})`);
  }
}

/** `secfix peers list|add|remove|flush`: the trackers this one exchanges notifications with. */
export function peersCommand(io: CliIo, _status: CliStatus): Command {
  const list = subcommand(io, 'list')
    .description('list the peers: origin, inbox URL and key type (never the key)')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--json', 'print one JSON array', false)
    .action(async (flags: { db?: string; json: boolean }) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { listPeers } = await import('../store/index.js');
        const peers = (await listPeers(store.db)).map((peer) => ({ origin: peer.origin, inbox: peer.inboxUrl, keyType: peer.keyType, addedAt: peer.addedAt }));
        if (flags.json) {
          io.stdout.write(`${JSON.stringify(peers)}\n`);
          return;
        }
        for (const peer of peers) io.stdout.write(`${peer.origin}  ${peer.inbox}  ${peer.keyType}\n`);
        io.stdout.write(`${peers.length} peers\n`);
      });
    });

  const add = subcommand(io, 'add')
    .description('add a peer (or replace its inbox and key): its notifications are accepted when signed with the key, and triage decisions are sent to its inbox')
    .argument('<origin>', 'the peer\'s origin, e.g. https://security.example.org; its signatures name it as keyid')
    .requiredOption('--inbox <url>', 'the peer\'s inbox, e.g. https://security.example.org/inbox')
    .option('--hmac-key-file <file>', 'a shared secret (base64, at least 32 bytes) both trackers sign with (HMAC-SHA256)')
    .option('--public-key-file <file>', 'the peer\'s Ed25519 public key (PEM); this tracker then signs with serve --signing-key')
    .option('--db <url>', DB_OPTION_HELP)
    .addHelpText('after', '\nExamples:\n  openssl rand -base64 32 > b.key\n  secfix peers add https://b.example --inbox https://b.example/inbox --hmac-key-file b.key\n  secfix peers add https://c.example --inbox https://c.example/inbox --public-key-file c.pub.pem\n')
    .action(async (origin: string, flags: { db?: string; inbox: string; hmacKeyFile?: string; publicKeyFile?: string }) => {
      if ((flags.hmacKeyFile === undefined) === (flags.publicKeyFile === undefined)) throw new UsageError('give exactly one of --hmac-key-file and --public-key-file');
      const key = flags.hmacKeyFile !== undefined ? await readKeyFile(flags.hmacKeyFile, '--hmac-key-file') : await readKeyFile(flags.publicKeyFile!, '--public-key-file');
      await withCliStore(flags.db, async ({ store }) => {
        const { addPeer } = await import('../tracker/exchange.js');
        const peer = await addPeer(store, { origin, inboxUrl: flags.inbox, keyType: flags.hmacKeyFile !== undefined ? 'hmac-sha256' : 'ed25519', key });
        io.stdout.write(`secfix: peer ${peer.origin} (inbox ${peer.inboxUrl}, ${peer.keyType}) saved\n`);
      });
    });

  const remove = subcommand(io, 'remove')
    .description('remove a peer: its notifications are refused from then on, and what was still to be sent to it is dropped')
    .argument('<origin>', 'the peer\'s origin')
    .option('--db <url>', DB_OPTION_HELP)
    .action(async (origin: string, flags: { db?: string }) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { removePeer, withWriteLock } = await import('../store/index.js');
        if (!(await withWriteLock(store, (db) => removePeer(db, origin), { changedData: () => false }))) throw new UsageError(`no peer ${origin}`);
        io.stdout.write(`secfix: peer ${origin} removed\n`);
      });
    });

  const flush = subcommand(io, 'flush')
    .description('send the outbox entries that are due now, once (serve sends them by itself every few seconds)')
    .requiredOption('--base-url <url>', 'this tracker\'s public origin: the actor and keyid of what it sends')
    .option('--signing-key <file>', 'this tracker\'s Ed25519 private key (PEM), for peers added with --public-key-file')
    .option('--db <url>', DB_OPTION_HELP)
    .action(async (flags: { db?: string; baseUrl: string; signingKey?: string }) => {
      const { parseBaseUrl, BaseUrlError } = await import('../web/web-context.js');
      let origin: string;
      try {
        origin = parseBaseUrl(flags.baseUrl);
      } catch (error) {
        if (error instanceof BaseUrlError) throw new UsageError(error.message);
        throw error;
      }
      const signingKey = await readSigningKey(flags.signingKey);
      await withCliStore(flags.db, async ({ store }) => {
        const { deliverDue } = await import('../tracker/outbox.js');
        const counts = await deliverDue(store, { origin, signingKey });
        io.stdout.write(`secfix: outbox: ${counts.sent} sent, ${counts.retrying} to retry, ${counts.failed} failed\n`);
      });
    });

  return subcommand(io, 'peers')
    .description('peer trackers that exchange triage decisions over Linked Data Notifications (signed, RFC 9421)')
    .addCommand(list)
    .addCommand(add)
    .addCommand(remove)
    .addCommand(flush);
}
