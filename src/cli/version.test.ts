import { Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { type CliIo, type CliStatus, UsageError } from './io.js';
import { versionCommand } from './version.js';
import { stableCases } from '../version/test-support/version-data.js';

interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  /** stdout.write calls made. */
  readonly writes: number;
  readonly error: unknown;
}

/** Runs `secfix version ...args` in-process with `input` as stdin. */
async function run(args: readonly string[], input: readonly string[] = []): Promise<Run> {
  let stdout = '';
  let stderr = '';
  let writes = 0;
  const io: CliIo = {
    stdin: Readable.from(input),
    stdout: {
      write: (text: string) => {
        stdout += text;
        writes++;
      },
    },
    stderr: { write: (text: string) => (stderr += text) },
  };
  const status: CliStatus = { exitCode: 0 };
  const program = new Command('secfix').exitOverride().addCommand(versionCommand(io, status));
  let error: unknown;
  try {
    await program.parseAsync(['version', ...args], { from: 'user' });
  } catch (caught) {
    error = caught;
  }
  return { stdout, stderr, exitCode: status.exitCode, writes, error };
}

/** The message of a UsageError (the lead's main prints it and exits 2). */
function usageMessage(result: Run): string {
  expect(result.error).toBeInstanceOf(UsageError);
  return (result.error as UsageError).message;
}

describe('secfix version compare', () => {
  it.each([
    ['1.2.3_rc1-r2', '1.2.3-r0', '<'],
    ['1.0', '1.0', '='],
    ['2.10', '2.9', '>'],
    ['1.0', '1.0bc', '<'],
  ])('%s %s prints %s', async (a, b, expected) => {
    const result = await run(['compare', a, b]);
    expect(result).toMatchObject({ stdout: `${expected}\n`, stderr: '', exitCode: 0, error: undefined });
  });

  it('answers every 2.14-stable vector line read from stdin, in order, in few writes', async () => {
    const cases = stableCases();
    const result = await run(['compare', '--stdin'], cases.map((c) => `${c.a} ${c.b}\n`));
    expect(result.error).toBeUndefined();
    expect(result.stdout.split('\n').slice(0, -1)).toEqual(cases.map((c) => c.result));
    expect(result.writes).toBe(1);
  });

  it('accepts chunks that split lines, CRLF endings and a last line without newline', async () => {
    const result = await run(['compare', '--stdin'], ['1.0 1.', '1\r\n 2.0\t2.0 \n', '3 1']);
    expect(result.stdout).toBe('<\n=\n>\n');
  });

  it('stops at a malformed line, naming it, after writing the answers before it', async () => {
    const result = await run(['compare', '--stdin'], ['1.0 1.1\n', '1.0\n', '2 1\n']);
    expect(usageMessage(result)).toBe('stdin: line 2: expected "A B", got "1.0"');
    expect(result.stdout).toBe('<\n');
  });

  it('counts a blank line as malformed, keeping answers aligned with input lines', async () => {
    const result = await run(['compare', '--stdin'], ['1 2\n', '\n', '2 1\n']);
    expect(usageMessage(result)).toMatch(/^stdin: line 2: /);
  });

  it('rejects missing versions, and versions together with --stdin', async () => {
    expect(usageMessage(await run(['compare', '1.0']))).toMatch(/expected A B/);
    expect(usageMessage(await run(['compare', '--stdin', '1.0', '2.0']))).toMatch(/not both/);
  });

  it('has help with an example', async () => {
    const result = await run(['compare', '--help']);
    expect(result.error).toBeInstanceOf(CommanderError);
    expect((result.error as CommanderError).exitCode).toBe(0);
    expect(result.stdout).toContain('--stdin');
    expect(result.stdout).toContain('$ secfix version compare 1.2.3_rc1-r2 1.2.3-r0');
  });
});

describe('secfix version match', () => {
  it.each([
    ['1.2.3-r1', '>=', '1.2.3', 'true'],
    ['3.6.9', '~', '3.6', 'true'],
    ['2.10', '~', '2.1', 'false'],
    ['3.5', '<~', '3.6', 'true'],
    ['1.0', '=', '1.0-r0', 'false'],
    ['1.0', '~=', '1.0', 'true'],
  ])('%s %s %s prints %s', async (a, op, b, expected) => {
    const result = await run(['match', a, op, b]);
    expect(result).toMatchObject({ stdout: `${expected}\n`, exitCode: 0, error: undefined });
  });

  it('answers "A OP B" lines from stdin', async () => {
    const result = await run(['match', '--stdin'], ['2.10 ~ 2.1\n', '1.0 < 1.0-r0\n', '3.8 ~ 3.8.1\n']);
    expect(result.stdout).toBe('false\ntrue\nfalse\n');
  });

  it.each(['!', '', '=>x', 'lt'])('rejects the operator %j', async (op) => {
    expect(usageMessage(await run(['match', '1.0', op, '2.0']))).toMatch(/^version match: bad operator /);
  });

  it('names the stdin line with a bad operator', async () => {
    const result = await run(['match', '--stdin'], ['1 < 2\n', '1 !~ 2\n']);
    expect(usageMessage(result)).toMatch(/^stdin: line 2: bad operator "!~"/);
    expect(result.stdout).toBe('true\n');
  });

  it('rejects a line with the wrong number of fields', async () => {
    expect(usageMessage(await run(['match', '--stdin'], ['1 < 2 3\n']))).toBe(
      'stdin: line 1: expected "A OP B", got "1 < 2 3"',
    );
  });
});

describe('secfix version valid', () => {
  it('prints nothing and exits 0 when all versions are valid', async () => {
    const result = await run(['valid', '1.2.3-r0', '1.0_rc1~0abc', '01.02']);
    expect(result).toMatchObject({ stdout: '', stderr: '', exitCode: 0, error: undefined });
  });

  it('exits 1 naming each invalid version on stderr', async () => {
    const result = await run(['valid', '1.0bc', '2.0', '1..0', '']);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('invalid version: 1.0bc\ninvalid version: 1..0\ninvalid version: \n');
    expect(result.exitCode).toBe(1);
  });

  it('prints valid or invalid per stdin line and exits 0', async () => {
    const result = await run(['valid', '--stdin'], ['1.0\n1.0bc\n', '0.1_pre2~1234abcd\n']);
    expect(result).toMatchObject({ stdout: 'valid\ninvalid\nvalid\n', exitCode: 0, error: undefined });
  });

  it('rejects a line with more than one field', async () => {
    expect(usageMessage(await run(['valid', '--stdin'], ['1.0 2.0\n']))).toMatch(/^stdin: line 1: expected "V"/);
  });

  it('needs versions or --stdin', async () => {
    expect(usageMessage(await run(['valid']))).toMatch(/expected at least one version/);
  });

  it('batches thousands of stdin answers into few writes', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => (i % 3 === 0 ? `${i}.x\n` : `${i}.0-r${i}\n`));
    const result = await run(['valid', '--stdin'], [lines.join('')]);
    const answers = result.stdout.split('\n').slice(0, -1);
    expect(answers).toHaveLength(10_000);
    expect(answers.filter((a) => a === 'invalid')).toHaveLength(3334);
    expect(result.writes).toBeLessThanOrEqual(3);
  });
});
