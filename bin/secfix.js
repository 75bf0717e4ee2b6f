#!/usr/bin/env node
// Node 22.1+ keeps compiled code between runs (in the OS temp folder); Node 20 has no such cache.
// Called before the bundle is imported, so the bundle is what it caches. (getBuiltinModule, not
// an import: the import's facade of node:module would load its source-map support on each start.)
process.getBuiltinModule('node:module').enableCompileCache?.();

// `secfix query states | head`: a reader that stops early is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const { main } = await import('../dist/bundle/main.js');
process.exitCode = await main(process.argv.slice(2));
