#!/usr/bin/env node
// Node 22.1+ keeps compiled code between runs (in the OS temp folder); Node 20 has no such cache.
// Called before the bundle is imported, so the bundle is what it caches. (getBuiltinModule, not
// an import: the import's facade of node:module would load its source-map support on each start.)
process.getBuiltinModule('node:module').enableCompileCache?.();

// V8's settings for secfix (src/base/v8-settings.ts), before the bundle is compiled; not for help
// and version, which print and exit, and for which loading node:v8 (with Node's stream modules)
// would be a tenth of their time.
const args = process.argv.slice(2);
const printsOnly = args.length === 0 || args[0] === 'help' || args.some((arg) => ['--help', '-h', '--version'].includes(arg));
if (!printsOnly) (await import('../dist/base/v8-settings.js')).applyV8Settings();

// `secfix query states | head`: a reader that stops early is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const { main } = await import('../dist/bundle/main.js');
process.exitCode = await main(args);
