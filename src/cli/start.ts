import { join } from 'node:path';
import { codeCacheFile, codeCacheRoot, requireWithCodeCache } from '../base/code-cache.js';
import { applyV8Settings } from '../base/v8-settings.js';

/**
 * What `bin/secfix.js` runs: scripts/bundle.js bundles this file alone into
 * dist/bundle/start.cjs, which loads the command line's bundle (dist/bundle/secfix-HASH.cjs, whose
 * name it is built with) with V8's code cache of an earlier call of the same command (its leading
 * words: `import nvd`, `update`; `help` for none). Both are CommonJS: Node's ES module loader
 * alone would cost a tenth of a short call.
 */
declare const SECFIX_BUNDLE: string;

// Before the bundle is compiled, which they govern.
applyV8Settings();

// `secfix query states | head`: a reader that stops early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const args = process.argv.slice(2);
const words: string[] = [];
for (const arg of args.slice(0, 2)) {
  if (!/^[a-z][a-z0-9-]*$/.test(arg)) break;
  words.push(arg);
}
const bundleFile = join(import.meta.dirname, SECFIX_BUNDLE);
const cacheRoot = codeCacheRoot(process.env);
const bundle = requireWithCodeCache(bundleFile, cacheRoot === undefined ? undefined : codeCacheFile(cacheRoot, bundleFile, words.join('-') || 'help'));
const main = bundle.exports.main as (argv: readonly string[]) => Promise<number>;
void main(args).then((status) => {
  process.exitCode = status;
  bundle.saveCache();
});
