import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: ['src/test-support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Vitest's default (one worker fewer than the cores) runs a 2-core machine's files one at a
    // time, while most of a file's time is spent waiting on PostgreSQL or on child processes.
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
