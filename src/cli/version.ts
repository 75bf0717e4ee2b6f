import type { Command } from 'commander';
import { subcommand } from './subcommand.js';
import { compareVersions, matchVersion, parseOperator } from '../version/compare.js';
import { isValidVersion } from '../version/tokenize.js';
import { type CliIo, type CliStatus, UsageError } from './io.js';

/** Lines of output collected before one write: keeps long --stdin runs to few writes. */
const LINES_PER_WRITE = 4096;

const COMPARE_SYMBOL = { [-1]: '<', 0: '=', 1: '>' } as const;

/** Collects output lines and writes them in batches. */
class LineBuffer {
  private lines: string[] = [];

  constructor(private readonly out: CliIo['stdout']) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length >= LINES_PER_WRITE) this.flush();
  }

  flush(): void {
    if (this.lines.length === 0) return;
    this.out.write(`${this.lines.join('\n')}\n`);
    this.lines = [];
  }
}

/**
 * Yields the lines of `stream` in batches, one batch per chunk read (a final line without
 * newline included, `\r` kept): one await per chunk instead of one per line.
 */
async function* readLineBatches(stream: NodeJS.ReadableStream): AsyncGenerator<string[]> {
  const { StringDecoder } = await import('node:string_decoder');
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    if (lines.length > 0) yield lines;
  }
  pending += decoder.end();
  if (pending !== '') yield [pending];
}

/**
 * Answers each stdin line, which must hold exactly `fieldNames.length` whitespace-separated
 * fields, with one output line, in order. A line that does not fit (blank lines included, so
 * answers stay aligned with input lines) stops the run with a UsageError naming it, after the
 * answers before it are written.
 */
async function answerLines(
  io: CliIo,
  fieldNames: readonly string[],
  answer: (fields: readonly string[]) => string,
): Promise<void> {
  const out = new LineBuffer(io.stdout);
  let lineNumber = 0;
  try {
    for await (const lines of readLineBatches(io.stdin)) {
      for (const line of lines) {
        lineNumber++;
        const trimmed = line.trim();
        const fields = trimmed === '' ? [] : trimmed.split(/\s+/);
        if (fields.length !== fieldNames.length) {
          throw new UsageError(`expected "${fieldNames.join(' ')}", got ${JSON.stringify(line)}`);
        }
        out.push(answer(fields));
      }
    }
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`stdin: line ${lineNumber}: ${error.message}`);
    throw error;
  } finally {
    out.flush();
  }
}

/** The mask of a command-line operator; a UsageError unless it is made of `<`, `>`, `=`, `~`. */
function operatorArgument(text: string): number {
  const op = parseOperator(text);
  if (op === 0) {
    throw new UsageError(`bad operator ${JSON.stringify(text)}: use a combination of <, >, = and ~ (e.g. >=, ~)`);
  }
  return op;
}

function compareAnswer(a: string, b: string): string {
  return COMPARE_SYMBOL[compareVersions(a, b)];
}

function matchAnswer(a: string, op: string, b: string): string {
  return String(matchVersion(a, operatorArgument(op), b));
}

/** Arguments of one form, or --stdin: exactly one of the two. */
function checkForm(command: string, args: readonly (string | undefined)[], stdin: boolean, usage: string): string[] {
  const given = args.filter((arg): arg is string => arg !== undefined);
  if (stdin && given.length > 0) throw new UsageError(`version ${command}: give either ${usage} or --stdin, not both`);
  if (!stdin && given.length !== args.length) throw new UsageError(`version ${command}: expected ${usage} (or --stdin)`);
  return given;
}

interface StdinOption {
  readonly stdin?: boolean;
}

/** `secfix version compare|match|valid`: apk-tools version rules on the command line. */
export function versionCommand(io: CliIo, status: CliStatus): Command {
  const version = subcommand(io, 'version').description('Compare, match and validate apk version strings (apk-tools 3.x rules).');

  // Subcommands made with .command() inherit the output and exit settings above.
  version
    .command('compare')
    .description('Compare version A with version B; print <, = or > (like `apk version -t A B`).')
    .argument('[A]', 'first version')
    .argument('[B]', 'second version')
    .option('--stdin', 'read "A B" pairs from standard input, one per line; print one answer per line')
    .addHelpText(
      'after',
      `
Invalid versions are compared token by token, as apk does (1.0 < 1.0bc).

Examples:
  $ secfix version compare 1.2.3_rc1-r2 1.2.3-r0
  <
  $ printf '1.0 1.0-r0\\n2.10 2.9\\n' | secfix version compare --stdin
  <
  >`,
    )
    .action(async (a: string | undefined, b: string | undefined, options: StdinOption) => {
      const stdin = options.stdin === true;
      const [first, second] = checkForm('compare', [a, b], stdin, 'A B');
      if (stdin) {
        await answerLines(io, ['A', 'B'], ([x = '', y = '']) => compareAnswer(x, y));
      } else {
        io.stdout.write(`${compareAnswer(first ?? '', second ?? '')}\n`);
      }
    });

  version
    .command('match')
    .description('Tell whether version A satisfies "OP B"; print true or false.')
    .argument('[A]', 'candidate version')
    .argument('[OP]', 'operator: a combination of <, >, = and ~ (~ = fuzzy, a token-prefix match)')
    .argument('[B]', 'constraint version')
    .option('--stdin', 'read "A OP B" lines from standard input; print one answer per line')
    .addHelpText(
      'after',
      `
Quote the operator: the shell gives <, > and a leading ~ their own meaning.

Examples:
  $ secfix version match 1.2.3-r1 '>=' 1.2.3
  true
  $ secfix version match 3.6.9 '~' 3.6
  true
  $ printf '2.10 ~ 2.1\\n1.0 < 1.0-r0\\n' | secfix version match --stdin
  false
  true`,
    )
    .action(
      async (a: string | undefined, op: string | undefined, b: string | undefined, options: StdinOption) => {
        const stdin = options.stdin === true;
        const [candidate, operator, constraint] = checkForm('match', [a, op, b], stdin, 'A OP B');
        if (stdin) {
          await answerLines(io, ['A', 'OP', 'B'], ([x = '', o = '', y = '']) => matchAnswer(x, o, y));
        } else {
          try {
            io.stdout.write(`${matchAnswer(candidate ?? '', operator ?? '', constraint ?? '')}\n`);
          } catch (error) {
            if (error instanceof UsageError) throw new UsageError(`version match: ${error.message}`);
            throw error;
          }
        }
      },
    );

  version
    .command('valid')
    .description('Check that versions are valid apk versions; exit 1 naming each invalid one.')
    .argument('[V...]', 'versions to check')
    .option('--stdin', 'read one version per line from standard input; print valid or invalid per line (exit 0)')
    .addHelpText(
      'after',
      `
Examples:
  $ secfix version valid 1.2.3-r0 1.0_rc1~0abc
  $ secfix version valid 1.0bc 2.0 1..0
  invalid version: 1.0bc
  invalid version: 1..0
  $ printf '1.0\\n1.0bc\\n' | secfix version valid --stdin
  valid
  invalid`,
    )
    .action(async (versions: string[], options: StdinOption) => {
      const stdin = options.stdin === true;
      if (stdin && versions.length > 0) throw new UsageError('version valid: give either V... or --stdin, not both');
      if (!stdin && versions.length === 0) throw new UsageError('version valid: expected at least one version V (or --stdin)');
      if (stdin) {
        await answerLines(io, ['V'], ([v = '']) => (isValidVersion(v) ? 'valid' : 'invalid'));
        return;
      }
      const invalid = versions.filter((v) => !isValidVersion(v));
      if (invalid.length > 0) {
        io.stderr.write(invalid.map((v) => `invalid version: ${v}\n`).join(''));
        status.exitCode = 1;
      }
    });

  return version;
}
