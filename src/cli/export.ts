import { EventEmitter, once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { type Command, Option } from 'commander';
import { DEFAULT_CSAF_NAMESPACE, DEFAULT_PURL_NAMESPACE } from '../base/export.js';
import { withCliStore } from './database.js';
import { type CliIo, type CliStatus, todayOf } from './io.js';
import { DB_OPTION_HELP, configFor } from './options.js';
import { type StatesFlags, statesFilter, withStatesFilters } from './query.js';
import { subcommand } from './subcommand.js';

const branchName = (branch: string) => branch.replace(/^v(?=\d)/, '');

/** Writes `text` to `out`, or to standard output without one. */
async function emit(io: CliIo, text: string, out: string | undefined): Promise<void> {
  if (out === undefined) io.stdout.write(text);
  else await (await import('node:fs/promises')).writeFile(out, text);
}

/** Writes the pieces to `out`, or to standard output without one, as they are made. */
async function emitStream(io: CliIo, pieces: AsyncIterable<string>, out: string | undefined): Promise<void> {
  if (out !== undefined) {
    const [{ Readable }, { pipeline }] = await Promise.all([import('node:stream'), import('node:stream/promises')]);
    return pipeline(Readable.from(pieces), createWriteStream(out));
  }
  const { stdout } = io;
  for await (const piece of pieces) {
    // A slow reader of a pipe holds the export back instead of letting the pieces pile up.
    if (stdout.write(piece) === false && stdout instanceof EventEmitter) await once(stdout, 'drain');
  }
}

const CONFIG_HELP = 'configuration file (YAML): its purlNamespace names the packages (default alpine)';

function rejectionsCommand(io: CliIo): Command {
  return subcommand(io, 'rejections')
    .description("write Alpine's security-rejections YAML from the current every-branch not-affected decisions")
    .option('--db <url>', DB_OPTION_HELP)
    .addOption(new Option('--repo <r>', 'only packages of this repository (e.g. main)'))
    .addHelpText(
      'after',
      '\nEach id carries its note as comments, and a justification other than disputed as a\n"# justification: NAME" line, so `secfix import rejections` reads the same decisions back.\n\nExample:\n  secfix export rejections --repo main > main.yaml\n',
    )
    .action(async (flags: { db?: string; repo?: string }) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { exportRejections } = await import('../tracker/export-rejections.js');
        io.stdout.write(await exportRejections(store, flags.repo));
      });
    });
}

/** An export of one branch's data: `--db` and the required `--branch`. */
function branchExportCommand(io: CliIo, name: string, description: string): Command {
  return subcommand(io, name).description(description).option('--db <url>', DB_OPTION_HELP).requiredOption('--branch <b>', 'the branch (e.g. 3.16, edge)');
}

function secdbCommand(io: CliIo): Command {
  return branchExportCommand(io, 'secdb', "write one branch's repository as Alpine's secdb JSON: fixes (secdb, aports, published triage fixes) and not-affected decisions under \"0\"")
    .requiredOption('--repo <r>', 'the repository (e.g. main)')
    .option('--urlprefix <url>', 'the urlprefix field', 'https://dl-cdn.alpinelinux.org/alpine')
    .option('--out <file>', 'write to this file instead of standard output')
    .addHelpText('after', '\n`secfix import secdb` reads the file back. Example:\n  secfix export secdb --branch 3.16 --repo main --out main.json\n')
    .action(async (flags: { db?: string; branch: string; repo: string; urlprefix: string; out?: string }) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { secdbExport } = await import('../tracker/export.js');
        await emit(io, await secdbExport(store, branchName(flags.branch), flags.repo, flags.urlprefix), flags.out);
      });
    });
}

function securityIndexCommand(io: CliIo): Command {
  return branchExportCommand(
    io,
    'security-index',
    "write one branch's security index: per origin its published version, binaries, published fixes and not-affected ids (what `scan --index-url` reads)",
  )
    .option('--arch <a>', 'only the binaries of this architecture (e.g. x86_64)')
    .option('--out <file>', 'write to this file instead of standard output')
    .addHelpText(
      'after',
      '\nOnly fixes the branch publishes count; the same file is served at\n/api/branch/B/security-index?arch=A. Example:\n  secfix export security-index --branch 3.16 --arch x86_64 --out security-index.json\n',
    )
    .action(async (flags: { db?: string; branch: string; arch?: string; out?: string }) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { securityIndex } = await import('../tracker/security-index.js');
        await emit(io, await securityIndex(store.db, branchName(flags.branch), flags.arch), flags.out);
      });
    });
}

function osvCommand(io: CliIo): Command {
  return subcommand(io, 'osv')
    .description("write OSV 1.7 records in osv.dev's REST layout: DIR/all.json and DIR/<id>.json, one record per vulnerability")
    .argument('<dir>', 'the folder to write (created if missing)')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--prefix <p>', 'the id prefix: ALPINE- gives ALPINE-CVE-2024-1234 (x_NAME for an unregistered database)', 'ALPINE-')
    .option('--base-url <url>', "the tracker's public address: each record references <url>/cve/<id> as its advisory")
    .option('--config <file>', CONFIG_HELP)
    .addHelpText(
      'after',
      '\nEcosystem Alpine:vX.Y per branch (edge keeps its name), package = origin, the binaries in\necosystem_specific.binaries, upstream = [CVE]. A fixed pair is introduced 0 + fixed V, an open\npair introduced 0 only; not-affected pairs are left out (never fixed "0").\n\nExample:\n  secfix export osv --base-url https://security.example.org out/osv\n',
    )
    .action(async (dir: string, flags: { db?: string; prefix: string; baseUrl?: string; config?: string }) => {
      const { checkOsvPrefix } = await import('../formats/osv.js');
      const prefix = checkOsvPrefix(flags.prefix);
      const base = flags.baseUrl?.replace(/\/+$/, '');
      const purlNamespace = (await configFor(flags.config))?.purlNamespace ?? DEFAULT_PURL_NAMESPACE;
      await withCliStore(flags.db, async ({ store }) => {
        const { writeOsvExport } = await import('../tracker/export.js');
        const count = await writeOsvExport(store, dir, { prefix, purlNamespace, advisoryUrl: base === undefined ? undefined : (id) => `${base}/cve/${encodeURIComponent(id)}` });
        io.stderr.write(`wrote ${count} OSV records to ${dir}\n`);
      });
    });
}

function openVexCommand(io: CliIo): Command {
  return subcommand(io, 'openvex')
    .description('write one OpenVEX 0.2.0 document: not_affected (with justification), affected (with action), fixed, under_investigation')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--branch <b>', 'only this branch')
    .option('--author <name>', 'the document author', 'secfix')
    .option('--id-base <iri>', "the document @id's start; a digest of the statements ends it", 'urn:secfix:openvex:')
    .option('--config <file>', CONFIG_HELP)
    .option('--out <file>', 'write to this file instead of standard output')
    .addHelpText('after', '\nProducts are PURLs of the binary packages with version and ?arch=, no distro qualifier.\n\nExample:\n  secfix export openvex --branch 3.20 --out alpine-3.20.openvex.json\n')
    .action(async (flags: { db?: string; branch?: string; author: string; idBase: string; config?: string; out?: string }) => {
      const purlNamespace = (await configFor(flags.config))?.purlNamespace ?? DEFAULT_PURL_NAMESPACE;
      await withCliStore(flags.db, async ({ store }) => {
        const { openVexExport } = await import('../tracker/export.js');
        const scope = flags.branch === undefined ? {} : { branch: branchName(flags.branch) };
        await emitStream(io, openVexExport(store, scope, { author: flags.author, idBase: flags.idBase, purlNamespace }), flags.out);
      });
    });
}

function csafCommand(io: CliIo): Command {
  return subcommand(io, 'csaf')
    .description('write CSAF 2.0 VEX documents, one per vulnerability, with index.txt and changes.csv, into a folder')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--config <file>', 'configuration file (YAML): its distribution is the vendor and the publisher, its purlNamespace names the packages')
    .option('--distribution <name>', 'the vendor and publisher when no --config is given', 'Alpine Linux')
    .option('--base-url <url>', `the tracker's public address: the publisher namespace (default ${DEFAULT_CSAF_NAMESPACE}), and each document references <url>/cve/<id>`)
    .option('--branch <b>', "only this branch (its name ends each document's tracking id)")
    .option('--out <dir>', 'the folder to write (created if missing)', 'csaf')
    .addHelpText(
      'after',
      '\nFile names follow CSAF\'s rule (cve-2024-1234.json). Products: vendor > branch > origin > published\nversion, ids like 3.20/main/openssl@3.3.2-r0. known_not_affected carries the VEX justification as a\nflag and the note as an impact threat; known_affected and fixed carry remediations.\n\nExample:\n  secfix export csaf --config config/alpine.yaml --base-url https://security.example.org --out public/csaf\n',
    )
    .action(async (flags: { db?: string; config?: string; distribution: string; baseUrl?: string; branch?: string; out: string }) => {
      const config = await configFor(flags.config);
      const distribution = config?.distribution ?? flags.distribution;
      const base = flags.baseUrl?.replace(/\/+$/, '');
      await withCliStore(flags.db, async ({ store }) => {
        const { writeCsafExport } = await import('../tracker/export.js');
        const count = await writeCsafExport(store, flags.out, {
          distribution,
          namespace: base ?? DEFAULT_CSAF_NAMESPACE,
          purlNamespace: config?.purlNamespace ?? DEFAULT_PURL_NAMESPACE,
          branch: flags.branch === undefined ? undefined : branchName(flags.branch),
          advisoryUrl: base === undefined ? undefined : (id) => `${base}/cve/${encodeURIComponent(id)}`,
        });
        io.stderr.write(`wrote ${count} CSAF documents to ${flags.out}\n`);
      });
    });
}

function statesCommand(io: CliIo): Command {
  return withStatesFilters(subcommand(io, 'states').description('write the states table with triage, as CSV (for spreadsheets) or JSON'))
    .addOption(new Option('--format <f>', 'csv or json').choices(['csv', 'json']).default('csv'))
    .option('--out <file>', 'write to this file instead of standard output')
    .addHelpText('after', '\nThe JSON rows are those of `secfix query states --json`.\n\nExample:\n  secfix export states --branch 3.16 --state vulnerable --out vulnerable.csv\n')
    .action(async (flags: StatesFlags & { format: 'csv' | 'json'; out?: string }) => {
      await withCliStore(flags.db, async ({ store }) => {
        const { statesTable } = await import('../tracker/export.js');
        await emitStream(io, statesTable(store, statesFilter(flags), todayOf(io), flags.format), flags.out);
      });
    });
}

/** `secfix export rejections|secdb|security-index|osv|openvex|csaf|states`. */
export function exportCommand(io: CliIo, _status: CliStatus): Command {
  return subcommand(io, 'export')
    .description("write data in other tools' formats")
    .addCommand(rejectionsCommand(io))
    .addCommand(secdbCommand(io))
    .addCommand(securityIndexCommand(io))
    .addCommand(osvCommand(io))
    .addCommand(openVexCommand(io))
    .addCommand(csafCommand(io))
    .addCommand(statesCommand(io));
}
