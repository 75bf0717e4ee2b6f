// Bundles the CLI (src/cli/main.ts) into dist/bundle/ for bin/secfix.js: one file per lazily
// loaded command instead of hundreds of modules (Kysely alone is ~280), so each call starts faster.
// Skipped when no input changed since the last bundle (its metafile lists the inputs).
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

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
    // Native and optional drivers stay ordinary imports; the rest of node_modules is bundled.
    external: ['better-sqlite3', 'pg', 'pg-native', 'playwright-core', 'cli-progress'],
    // CommonJS dependencies call require(); an ES module has none unless given one.
    banner: { js: "import { createRequire as __secfixCreateRequire } from 'node:module'; const require = __secfixCreateRequire(import.meta.url);" },
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
