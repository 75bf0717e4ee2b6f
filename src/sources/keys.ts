import { createPublicKey } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../base/input-error.js';
import { readInputBytes } from './file.js';

/**
 * Reads a folder of trusted apk public keys (like `/etc/apk/keys`) into a map from key file
 * name to PEM text: v2 index signatures name their key by file name. Only `*.pub` files are
 * read; each must hold a PEM public key, so a broken key is reported here rather than looking
 * like a bad signature later.
 */
export async function readTrustedKeys(dir: string): Promise<Map<string, string>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT' ? 'no such keys folder'
      : code === 'ENOTDIR' ? 'is not a folder (expected a folder of *.pub keys)'
      : `cannot read keys folder: ${(error as Error).message}`;
    throw new InputError(dir, undefined, problem);
  }
  const keys = new Map<string, string>();
  for (const name of names.filter((entry) => entry.endsWith('.pub')).sort()) {
    const path = join(dir, name);
    const pem = (await readInputBytes(path)).toString('utf8');
    try {
      createPublicKey(pem);
    } catch {
      throw new InputError(path, undefined, 'not a PEM public key');
    }
    keys.set(name, pem);
  }
  return keys;
}
