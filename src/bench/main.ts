import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench`: runs each benchmark in its own process (so peak RSS is its own) and prints
 * one JSON object with every figure. `npm run bench -- NAME...` runs only the named ones.
 */
const benches = ['version', 'apkindex', 'nvd', 'hostile', 'tracker', 'scan', 'web', 'startup', 'triage', 'export', 'notify', 'exchange'] as const;

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(benches as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${benches.join(', ')}`);
  process.exit(2);
}

const results: Record<string, unknown> = {
  machine: { node: process.version, platform: `${process.platform}-${process.arch}` },
};
for (const name of benches) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const child = spawnSync(process.execPath, ['--expose-gc', script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 << 20,
  });
  if (child.status !== 0) {
    console.error(`benchmark ${name} failed with status ${child.status}`);
    process.exit(1);
  }
  results[name] = JSON.parse(child.stdout) as unknown;
}
console.log(JSON.stringify(results, null, 2));
