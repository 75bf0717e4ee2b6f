import { type Command, Option } from 'commander';
import { subcommand } from '../subcommand.js';
import type { CliIo, CliStatus } from '../io.js';
import { UsageError } from '../io.js';
import type { InspectKind } from './kind.js';

const kinds: readonly InspectKind[] = [
  {
    name: 'apkindex',
    description: 'apk repository index: signed APKINDEX.tar.gz (needs --keys) or plain APKINDEX text',
    load: async () => (await import('./apkindex.js')).apkindexReader,
  },
  {
    name: 'installed',
    description: 'apk installed-package database (lib/apk/db/installed)',
    load: async () => (await import('./installed.js')).installedReader,
  },
  {
    name: 'secdb',
    description: 'Alpine secdb JSON (secdb.alpinelinux.org/<branch>/<repo>.json)',
    load: async () => (await import('./secdb.js')).secdbReader,
  },
  {
    name: 'apkbuild',
    description: 'APKBUILD # secfixes: block, or an aports tree (<repo>/<pkg>/APKBUILD)',
    load: async () => (await import('./apkbuild.js')).apkbuildReader,
  },
  {
    name: 'nvd',
    description: 'NVD CVE JSON: 2.0 feed or API page, legacy 1.1 feed, or one 2.0 cve record (.json or .json.gz)',
    load: async () => (await import('./nvd.js')).nvdReader,
  },
  {
    name: 'cve5',
    description: 'CVE JSON 5 record, or a directory of CVE-*.json (cvelistV5, CISA vulnrichment)',
    load: async () => (await import('./cve5.js')).cve5Reader,
  },
  {
    name: 'rejections',
    description: 'Alpine security-rejections YAML (package: [CVE-ID, ...])',
    load: async () => (await import('./rejections.js')).rejectionsReader,
  },
];

interface InspectFlags {
  keys?: string;
  allowUntrusted?: boolean;
  json?: boolean;
}

/** `secfix inspect KIND FILE`: parse one input file and summarize it, or print its records. */
export function inspectCommand(io: CliIo, _status: CliStatus): Command {
  const kindList = kinds.map((kind) => `  ${kind.name.padEnd(11)} ${kind.description}`).join('\n');
  return subcommand(io, 'inspect')
    .description('parse an input file and print a short summary, or its normalized records as JSON lines')
    .argument('<kind>', `input kind: ${kinds.map((kind) => kind.name).join(', ')}`)
    .argument('<file>', 'the file to read (.gz is recognized by content)')
    .addOption(new Option('--keys <dir>', 'folder of trusted apk public keys (apkindex)'))
    .option('--allow-untrusted', 'accept an unsigned or unverifiable index', false)
    .option('--json', 'print each normalized record as one JSON line instead of a summary', false)
    .addHelpText(
      'after',
      `\nKinds:\n${kindList}\n\nBad input exits 2 with one line naming the file and the place.\n\n` +
        'Example:\n  secfix inspect apkindex --keys data/alpine-sample/keys data/alpine-sample/apkindex/v3.16-main-x86_64/APKINDEX.tar.gz',
    )
    .action(async (kindName: string, file: string, flags: InspectFlags) => {
      const kind = kinds.find((candidate) => candidate.name === kindName);
      if (kind === undefined) {
        throw new UsageError(`unknown kind "${kindName}"; expected one of ${kinds.map((k) => k.name).join(', ')}`);
      }
      const options = { keysDir: flags.keys, allowUntrusted: flags.allowUntrusted === true };
      const pending: string[] = [];
      const flush = () => {
        if (pending.length > 0) io.stdout.write(pending.join(''));
        pending.length = 0;
      };
      const emit = flags.json
        ? (record: unknown) => {
            pending.push(`${JSON.stringify(record)}\n`);
            if (pending.length >= 512) flush();
          }
        : () => undefined;
      const summary = await (await kind.load()).inspect(file, options, emit);
      flush();
      if (!flags.json) io.stdout.write(`${summary.join('\n')}\n`);
    });
}
