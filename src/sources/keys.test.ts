import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../base/input-error.js';
import { repoPath } from '../test-support/paths.js';
import { readTrustedKeys } from './keys.js';

// The two key files and their names come from data/alpine-sample/keys/README.md.
const KEYS = repoPath('data', 'alpine-sample', 'keys');
const NAMES = ['alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub', 'alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub'];

const made: string[] = [];
afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'secfix-keys-'));
  made.push(dir);
  return dir;
}

async function rejection(dir: string): Promise<InputError> {
  const error = await readTrustedKeys(dir).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe('readTrustedKeys', () => {
  it('maps each *.pub file name to its PEM text and skips other files', async () => {
    const keys = await readTrustedKeys(KEYS);
    expect([...keys.keys()]).toEqual(NAMES);
    for (const name of NAMES) expect(keys.get(name)).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('names a missing folder, and a file given instead of a folder', async () => {
    const missing = join(await scratch(), 'no-such-dir');
    const error = await rejection(missing);
    expect(error.source).toBe(missing);
    expect(error.problem).toMatch(/no such keys folder/);
    expect((await rejection(join(KEYS, 'README.md'))).problem).toMatch(/not a folder/);
  });

  it('names a *.pub file that is not a PEM public key', async () => {
    const dir = await scratch();
    await copyFile(join(KEYS, NAMES[0] ?? ''), join(dir, 'good.rsa.pub'));
    await writeFile(join(dir, 'broken.rsa.pub'), 'not a key\n');
    await writeFile(join(dir, 'notes.txt'), 'ignored\n');
    const error = await rejection(dir);
    expect(error.source).toBe(join(dir, 'broken.rsa.pub'));
  });
});
