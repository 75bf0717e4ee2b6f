import { applyV8Settings } from '../base/v8-settings.js';
import { openDatabase } from '../store/index.js';
import { listen } from '../web/listen.js';

/**
 * The server side of the web benchmark, a process of its own as in real use:
 * `node web-server.js DATABASE_URL` serves the store on a free loopback port with no rate limit
 * and no request log, prints its address as one line on stdout, and stops on SIGTERM (returning
 * normally, so `--cpu-prof` can write its profile).
 */

// Under the settings `secfix serve` runs with.
applyV8Settings();

const [url] = process.argv.slice(2);
if (url === undefined) {
  console.error('usage: web-server.js DATABASE_URL');
  process.exit(2);
}
const store = await openDatabase(url);
const server = await listen(store, {
  port: 0,
  host: '127.0.0.1',
  site: { distribution: 'Alpine Linux' },
  rateLimitPerMinute: false,
  logger: false,
});
process.stdout.write(`${server.address}\n`);
await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
await server.close();
await store.close();
