import { basename } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_PURL_NAMESPACE } from '../base/export.js';
import { withCliStore } from './database.js';
import type { CliIo, CliStatus } from './io.js';
import { DB_OPTION_HELP, configFor } from './options.js';
import { subcommand } from './subcommand.js';

const PUBLISH_HELP = `
Writes, at the paths the tracker serves under /export/:
  secdb/<branch>/<repo>.json   Alpine's secdb JSON, one per branch and repository
  security-index/<branch>/<arch>.json
                               what scan reads: published fixes, binaries, not-affected ids
  osv/all.json, osv/<id>.json  OSV records in osv.dev's REST layout
  openvex.json                 one OpenVEX document
  csaf/index.txt, csaf/changes.csv, csaf/<file>.json
                               CSAF 2.0 VEX documents, one per vulnerability
  states.csv, states.json      the states table
and index.json (each file's path, size, SHA-256 and media type, the key's name, the data
version and when the data last changed), SHA256SUMS (sha256sum's format) and SHA256SUMS.sig
(RSA PKCS#1 v1.5 over SHA-256). The key is an abuild private key (abuild-keygen makes one); its
public key, FILE.rsa.pub, is what readers put in their keys folder. The files are written to a
temporary sibling folder, flushed and renamed into place, so a reader never sees half a
publication; an older publication in DIR is replaced, any other non-empty folder refused.
The same data gives the same bytes.

Example:
  secfix publish public/ --key keys/security@example.org-5f0c3d21.rsa --config config/alpine.yaml
  secfix verify public/ --keys /etc/apk/keys
`;

/** `secfix publish DIR --key FILE.rsa`. */
export function publishCommand(io: CliIo, _status: CliStatus): Command {
  return subcommand(io, 'publish')
    .description('write every export into a folder a CDN can serve, with SHA256SUMS, its signature and index.json')
    .argument('<dir>', 'the folder to write (replaced as a whole)')
    .requiredOption('--key <file>', 'RSA private key (PEM, as abuild-keygen makes) to sign SHA256SUMS with')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--config <file>', 'configuration file (YAML): its distribution names the OpenVEX author, its purlNamespace the packages (default alpine)')
    .option('--base-url <url>', "the tracker's public address: OSV records reference <url>/cve/<id>, the OpenVEX id is <url>/export/openvex.json#…")
    .option('--prefix <p>', 'the OSV id prefix', 'ALPINE-')
    .addHelpText('after', PUBLISH_HELP)
    .action(async (dir: string, flags: { key: string; db?: string; config?: string; baseUrl?: string; prefix: string }) => {
      const [{ checkOsvPrefix }, { publicKeyName, readSigningKey }, { readInputBytes }] = await Promise.all([
        import('../formats/osv.js'),
        import('../formats/publication.js'),
        import('../sources/file.js'),
      ]);
      const osvPrefix = checkOsvPrefix(flags.prefix);
      const key = readSigningKey((await readInputBytes(flags.key)).toString('utf8'), flags.key);
      const config = await configFor(flags.config);
      await withCliStore(flags.db, async ({ store }) => {
        const { PUBLISHED_EXPORTS, publish } = await import('../tracker/publish.js');
        const summary = await publish(dir, {
          store,
          exports: PUBLISHED_EXPORTS,
          distribution: config?.distribution ?? 'Alpine Linux',
          baseUrl: flags.baseUrl?.replace(/\/+$/, ''),
          osvPrefix,
          purlNamespace: config?.purlNamespace ?? DEFAULT_PURL_NAMESPACE,
          key,
          keyName: publicKeyName(basename(flags.key)),
        });
        io.stdout.write(`published ${dir}: ${summary.files} files, ${summary.bytes} bytes, data version ${summary.dataVersion}\n`);
      });
    });
}

/** `secfix verify DIR --keys DIR`. */
export function verifyCommand(io: CliIo, _status: CliStatus): Command {
  return subcommand(io, 'verify')
    .description("check a publication: SHA256SUMS.sig against the trusted keys, then every file against SHA256SUMS")
    .argument('<dir>', 'the published folder')
    .requiredOption('--keys <dir>', 'folder of trusted public keys (*.pub), like /etc/apk/keys')
    .addHelpText(
      'after',
      '\nExit status: 0 the publication verifies (one summary line); 2 a file fails, named: a bad or\nunknown-key signature, a changed, missing or extra file, or bad usage.\n\nExample:\n  secfix verify public/ --keys /etc/apk/keys\n',
    )
    .action(async (dir: string, flags: { keys: string }) => {
      const { verifyPublication } = await import('../sources/publication.js');
      const verified = await verifyPublication(dir, flags.keys);
      const { index } = verified;
      io.stdout.write(`verified ${dir}: ${verified.files} files, ${verified.bytes} bytes, signed by ${verified.signer}, data version ${index.dataVersion} (${index.generated})\n`);
    });
}
