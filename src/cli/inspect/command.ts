import { type Command, Option } from 'commander';
import { subcommand } from '../subcommand.js';
import type { CliIo, CliStatus } from '../io.js';
import { UsageError } from '../io.js';
import { apkbuildKind } from './apkbuild.js';
import { apkindexKind } from './apkindex.js';
import { cve5Kind } from './cve5.js';
import { installedKind } from './installed.js';
import type { InspectKind } from './kind.js';
import { nvdKind } from './nvd.js';
import { rejectionsKind } from './rejections.js';
import { secdbKind } from './secdb.js';

const kinds: readonly InspectKind[] = [
  apkindexKind,
  installedKind,
  secdbKind,
  apkbuildKind,
  nvdKind,
  cve5Kind,
  rejectionsKind,
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
      const summary = await kind.inspect(file, options, emit);
      flush();
      if (!flags.json) io.stdout.write(`${summary.join('\n')}\n`);
    });
}
