import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { InputError } from '../base/input-error.js';
import { checkCommand } from './check.js';
import { conformanceCommand } from './conformance.js';
import { demoCommand } from './demo.js';
import { importCommand } from './import.js';
import { initCommand } from './init.js';
import { notifyCommand } from './notify.js';
import { inspectCommand } from './inspect/command.js';
import { type CliIo, type CliStatus, UsageError, processIo } from './io.js';
import { peersCommand } from './peers.js';
import { publishCommand, verifyCommand } from './publish.js';
import { queryCommand } from './query.js';
import { scanCommand } from './scan.js';
import { serveCommand } from './serve.js';
import { withCliOutput } from './subcommand.js';
import { syncCommand } from './sync.js';
import { exportCommand } from './export.js';
import { triageCommand } from './triage.js';
import { tokenCommand } from './token.js';
import { updateCommand } from './update.js';
import { versionCommand } from './version.js';

const FIRST_STEPS = `Try it on the bundled Alpine sample data:
  secfix inspect apkindex --keys data/alpine-sample/keys data/alpine-sample/apkindex/v3.16-main-x86_64/APKINDEX.tar.gz
  secfix inspect secdb data/alpine-sample/secdb/v3.16/main.json
  secfix inspect nvd data/alpine-sample/nvd/feed-1.1/nvdcve-1.1-2023.json
  secfix version compare 1.2.3_rc1-r2 1.2.3-r0
`;

const ENVIRONMENT = `
Environment:
  SECFIX_DB          the database of a command given no --db (else sqlite:./secfix.db)
  SECFIX_CODE_CACHE  the folder keeping each command's compiled code for its next call
                     (else $XDG_CACHE_HOME/secfix/code or ~/.cache/secfix/code; off for none)
  SECFIX_DEBUG=1     add the stack trace to an unexpected error`;

/** The top-level commands by name, in the order help lists them. */
export const COMMANDS: Readonly<Record<string, (io: CliIo, status: CliStatus) => Command>> = {
  version: versionCommand,
  inspect: inspectCommand,
  init: initCommand,
  import: importCommand,
  update: updateCommand,
  query: queryCommand,
  check: checkCommand,
  triage: triageCommand,
  export: exportCommand,
  publish: publishCommand,
  verify: verifyCommand,
  scan: scanCommand,
  conformance: conformanceCommand,
  sync: syncCommand,
  serve: serveCommand,
  demo: demoCommand,
  token: tokenCommand,
  peers: peersCommand,
  notify: notifyCommand,
};

/**
 * Builds the `secfix` command tree; `status` collects the exit code commands set. A call naming a
 * command gets only that one (building every command's options and help cost each start more than
 * running a small one); anything else (help, an unknown or misspelled name) gets them all.
 */
function buildProgram(io: CliIo, status: CliStatus, argv: readonly string[]): Command {
  const program = withCliOutput(new Command('secfix'), io)
    .description('Security tracker for apk-based Linux distributions (Alpine, Wolfi, postmarketOS).')
    .version(packageVersion(), '--version', 'print the secfix version')
    // `--version` is secfix's own only before a command: `triage set ... --version V` is the fix version.
    .enablePositionalOptions()
    .addHelpText('after', ENVIRONMENT);
  const [first] = argv;
  const names = first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS);
  for (const name of names) program.addCommand(COMMANDS[name]!(io, status));
  return program;
}

/** System errors a user can act on, worded; others keep their own message. */
function describeUnexpected(error: unknown, message: string): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_READONLY') return `the database is read-only (${message}); check the file's permissions`;
  return message.split('\n', 1)[0] ?? message;
}

/** The package's version, from package.json (two folders up from src/cli and dist/cli alike). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/**
 * Runs the CLI and returns the exit status: 0 success, 1 a negative answer (e.g. an invalid
 * version), 2 bad input or usage. Bad input is reported as one line, never a stack trace.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const status: CliStatus = { exitCode: 0 };
  const program = buildProgram(io, status, argv);
  if (argv.length === 0) {
    io.stdout.write(`${program.helpInformation()}${ENVIRONMENT}\n\n${FIRST_STEPS}`);
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return status.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version output are successful exits; commander already printed its message.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof InputError || error instanceof UsageError) {
      io.stderr.write(`secfix: ${error.message}\n`);
      return 2;
    }
    // Anything else is still one line and exit 2 (1 means a negative answer); SECFIX_DEBUG=1 adds the stack.
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`secfix: ${describeUnexpected(error, message)}\n`);
    if (process.env['SECFIX_DEBUG'] === '1' && error instanceof Error && error.stack !== undefined) io.stderr.write(`${error.stack}\n`);
    return 2;
  }
}
