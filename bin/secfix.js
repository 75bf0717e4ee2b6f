#!/usr/bin/env node
// Node 22.1+ keeps compiled code between runs (in the OS temp folder); Node 20 has no such cache.
// Called before the bundle is imported, so the bundle is what it caches. (getBuiltinModule, not
// an import: the import's facade of node:module would load its source-map support on each start.)
process.getBuiltinModule('node:module').enableCompileCache?.();

// Most commands run for a second or less, and V8's optimizing compiler spent a third of the
// instructions of `update` on the 3.16 sample compiling functions the process then barely ran
// (3,573M instructions; with this, 2,623M). Four times Node 20's budget before a function is
// optimized leaves that to code that runs long: a full update, the server. Set before the bundle
// is compiled, so every function gets it; not for help and version, which print and exit, and
// for which loading node:v8 (with Node's stream modules) would be a tenth of their time.
const args = process.argv.slice(2);
const printsOnly = args.length === 0 || args[0] === 'help' || args.some((arg) => ['--help', '-h', '--version'].includes(arg));
if (!printsOnly) process.getBuiltinModule('node:v8').setFlagsFromString('--interrupt-budget=270336');

// `secfix query states | head`: a reader that stops early is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const { main } = await import('../dist/bundle/main.js');
process.exitCode = await main(args);
