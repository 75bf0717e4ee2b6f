import { setImmediate } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { openTestStore } from '../test-support/databases.js';
import { buildServer } from './server.js';

// A file of its own: Fastify prints each deprecation once per process, and vitest gives each test file its own.
it('builds the server with no Fastify deprecation warning', async () => {
  const warnings: string[] = [];
  const collect = (warning: Error & { code?: string }) => warnings.push(`${warning.code ?? warning.name}: ${warning.message}`);
  process.on('warning', collect);
  const store = await openTestStore('sqlite');
  try {
    const app = await buildServer({ db: store.db, dialect: store.dialect, site: { distribution: 'x' }, logger: { level: 'silent' } });
    await app.inject({ url: '/healthz' });
    await app.close();
    // process.emitWarning delivers on a later tick.
    await setImmediate();
    expect(warnings.filter((warning) => warning.startsWith('FSTDEP'))).toEqual([]);
  } finally {
    process.off('warning', collect);
    await store.dispose();
  }
});
