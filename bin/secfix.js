#!/usr/bin/env node
// CommonJS (bin/package.json), as is what it runs (src/cli/start.ts): an ES module entry would
// start Node's ES module loader, which costs a tenth of a short call's time.
require('../dist/bundle/start.cjs');
