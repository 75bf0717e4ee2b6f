// Bundles the CLI (src/cli/main.ts) into dist/bundle/ for bin/secfix.js: one file per lazily
// loaded command instead of hundreds of modules (Kysely alone is ~280), so each call starts faster.
// Skipped when no input changed since the last bundle (its metafile lists the inputs).
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { build } from 'esbuild';

// Packages left to Node's resolution at run time (native, optional or large and rarely used).
const external = ['better-sqlite3', 'pg', 'pg-native', 'playwright-core', 'cli-progress'];
const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
const isExternal = (path) => builtins.has(path) || external.some((name) => path === name || path.startsWith(`${name}/`));

/**
 * Node's built-in and external modules statically imported are loaded with require(), not import
 * (a dynamic import stays one: it runs only when reached, and needs the named exports). An imported built-in
 * is an ES module facade that reads every export when created, and node:fs's `promises` getter
 * then loads fs/promises, readline and streams: ~9% of a bare `node -e 0` on each start. An
 * imported CommonJS package is first scanned for its export names (WebAssembly lexer start-up).
 * Through require() a command touches only what it uses, when it uses it.
 *
 * Commander requires node:child_process at load for executable subcommands, which secfix has none
 * of; loading it (with net, dgram and their streams) cost every start ~10% more. Commander gets a
 * stand-in that loads it if it ever spawns.
 */
const requireExternals = {
  name: 'require-externals',
  setup(plugin) {
    plugin.onResolve({ filter: /.*/ }, (args) => {
      if (!isExternal(args.path)) return undefined;
      // A dynamic import is loaded only when reached, and keeps its named exports as an import.
      if (args.namespace === 'require-external' || args.kind === 'dynamic-import') return { path: args.path, external: true };
      if (/^(node:)?child_process$/.test(args.path) && /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)) {
        return { path: 'commander-child-process', namespace: 'require-external' };
      }
      // One stand-in per importing file: shared ones would each become a chunk of a few bytes,
      // and every chunk is one more file for the module loader to resolve, read and link.
      return { path: `${args.path}|${args.importer}`, namespace: 'require-external' };
    });
    plugin.onLoad({ filter: /.*/, namespace: 'require-external' }, (args) => ({
      contents:
        args.path === 'commander-child-process'
          ? "module.exports = { spawn: (...args) => require('node:child_process').spawn(...args) };"
          : `module.exports = require(${JSON.stringify(args.path.split('|')[0])});`,
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

if (!upToDate()) {
  // Chunk names carry content hashes: without this, every rebuild would leave the old ones behind.
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { main: 'src/cli/main.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Native and optional drivers are required at run time; the rest of node_modules is bundled.
    plugins: [requireExternals],
    // CommonJS dependencies call require(); an ES module has none unless given one.
    // (Through getBuiltinModule, not an import of node:module, for the reason given above.)
    banner: { js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);" },
    // Chunks beside main.js: modules find package files two folders up (new URL('../../config/...')).
    chunkNames: '[name]-[hash]',
    sourcemap: 'linked',
    // Less to parse at each start; dist/bundle/*.map (node --enable-source-maps) restores names in
    // stacks in a checkout; package.json's "files" keeps the maps out of the published package.
    minify: true,
    metafile: true,
    logLevel: 'warning',
  });
  writeFileSync(metafile, JSON.stringify({ inputs: result.metafile.inputs }));
}

// The bundled mapping rules, parsed and checked here once instead of at every start (tsc's output
// does it: see src/sources/bundled-mapping.ts). Cheap, so done even when the bundle was current.
const { compileBundledMappingRules } = await import('../dist/sources/config.js');
await compileBundledMappingRules();
