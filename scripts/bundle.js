// Bundles the CLI (src/cli/main.ts) into one CommonJS file in dist/bundle/, instead of hundreds of
// modules (Kysely alone is ~280), and what bin/secfix.js runs (src/cli/start.ts) into another,
// dist/bundle/start.cjs, which compiles the first with V8's code cache kept between calls
// (src/base/code-cache.ts): only a script, not an ES module, can be given one on Node 20. A
// command's modules still run only when it runs (esbuild keeps each dynamically imported module's
// code in a function called at its import).
// Skipped when no input changed since the last bundle (its metafile lists the inputs).
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename } from 'node:path';
import { build } from 'esbuild';

// Packages left to Node's resolution at run time (native, optional or large and rarely used).
const external = ['better-sqlite3', 'pg', 'pg-native', 'playwright-core', 'cli-progress'];
const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
const isExternal = (path) => builtins.has(path) || external.some((name) => path === name || path.startsWith(`${name}/`));

/**
 * Resolves what stays outside the bundle, and sees to two things in it:
 * - A dynamic import of a built-in or external module becomes a require() when reached (each is
 *   CommonJS): a script compiled from V8's code cache has no import() on Node 20 ("A dynamic
 *   import callback was not specified").
 * - Commander requires node:child_process at load for executable subcommands, which secfix has
 *   none of; loading it (with net, dgram and their streams) cost every start ~10% more. Commander
 *   gets a stand-in that loads it if it ever spawns.
 */
const externals = {
  name: 'externals',
  setup(plugin) {
    plugin.onResolve({ filter: /.*/ }, (args) => {
      if (!isExternal(args.path)) return undefined;
      if (args.namespace === 'required') return { path: args.path, external: true };
      if (/^(node:)?child_process$/.test(args.path) && /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)) {
        return { path: 'commander-child-process', namespace: 'required' };
      }
      return args.kind === 'dynamic-import' ? { path: args.path, namespace: 'required' } : { path: args.path, external: true };
    });
    plugin.onLoad({ filter: /.*/, namespace: 'required' }, (args) => ({
      contents:
        args.path === 'commander-child-process'
          ? "module.exports = { spawn: (...args) => require('node:child_process').spawn(...args) };"
          : `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

const outdir = 'dist/bundle';
const metafile = `${outdir}/meta.json`;

function upToDate() {
  if (!existsSync(metafile)) return false;
  const builtAt = statSync(metafile).mtimeMs;
  const inputs = Object.keys(JSON.parse(readFileSync(metafile, 'utf8')).inputs);
  return [...inputs, 'scripts/bundle.js', 'package.json'].every((file) => existsSync(file) && statSync(file).mtimeMs <= builtAt);
}

/**
 * Leaves `file` ASCII, which bin/secfix.js reads as Latin-1 (a third of the time of UTF-8 for its
 * 1.7 MB). esbuild escapes other characters everywhere but in template literals, whose raw text
 * an escape would change; secfix's tags (html, sql) read the cooked text, which it does not.
 * And refuses an import() left in it (see `externals`).
 */
function finishBundle(file) {
  const source = readFileSync(file, 'utf8');
  const dynamicImport = /(?<![\w$.])import\(/.exec(source);
  if (dynamicImport !== null) throw new Error(`${file}: an import() at offset ${dynamicImport.index}, which a script run from V8's code cache cannot do`);
  const escaped = source.replace(/[^\0-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (escaped !== source) writeFileSync(file, escaped);
}

if (!upToDate()) {
  // The bundle's name carries its content hash: without this, every rebuild would leave the old one behind.
  rmSync(outdir, { recursive: true, force: true });
  const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', metafile: true, logLevel: 'warning' };
  const cli = await build({
    ...common,
    entryPoints: { secfix: 'src/cli/main.ts' },
    outdir,
    // The content hash names the file, and so keys the code cache (V8 checks only the length).
    entryNames: '[name]-[hash]',
    outExtension: { '.js': '.cjs' },
    plugins: [externals],
    // Modules find package files two folders up (new URL('../../config/...', import.meta.url)).
    define: { 'import.meta.url': '__moduleUrl' },
    banner: { js: "var __moduleUrl = require('node:url').pathToFileURL(__filename).href;" },
    sourcemap: 'linked',
    // Less to parse on a call without a cache; dist/bundle/*.map (node --enable-source-maps)
    // restores names in stacks in a checkout; package.json's "files" keeps the maps out of the
    // published package.
    minify: true,
  });
  const cliFile = Object.keys(cli.metafile.outputs).find((file) => file.endsWith('.cjs'));
  finishBundle(cliFile);
  const start = await build({
    ...common,
    entryPoints: ['src/cli/start.ts'],
    outfile: `${outdir}/start.cjs`,
    define: { SECFIX_BUNDLE: JSON.stringify(basename(cliFile)), 'import.meta.dirname': '__dirname' },
  });
  writeFileSync(metafile, JSON.stringify({ inputs: { ...cli.metafile.inputs, ...start.metafile.inputs } }));
}

// The bundled mapping rules, parsed and checked here once instead of at every start (tsc's output
// does it: see src/sources/bundled-mapping.ts). Cheap, so done even when the bundle was current.
const { compileBundledMappingRules } = await import('../dist/sources/config.js');
await compileBundledMappingRules();
