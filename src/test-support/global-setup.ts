import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { BUNDLED_DEMO_CONFIG, compileBundledMappingRules, loadConfig } from '../sources/config.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';
import { syncFromConfig } from '../tracker/sync.js';
import { dropPostgresDatabases, listRunPids, postgresDatabaseUrl, runAdminStatement, runDatabasePrefix } from './postgres-admin.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Every PostgreSQL database of this run starts with this prefix; the teardown drops them all. */
    postgresRunPrefix: string;
    /** A migrated, empty PostgreSQL database that test databases are created from. */
    postgresSchemaTemplate: string;
    /** A PostgreSQL database holding the bundled demo data, a template for tests that only read it. */
    postgresDemoTemplate: string;
    /** A migrated, empty SQLite file, copied by each test database. */
    sqliteSchemaFile: string;
    /** An SQLite file holding the bundled demo data, copied by tests that only read it. */
    sqliteDemoFile: string;
  }
}

/**
 * Builds what many test files share once per run instead of once per `describe` block: the
 * migrated schema and the demo data, on both databases. Test databases are then copies
 * (`CREATE DATABASE ... TEMPLATE`, a file copy), and dropping them waits for the teardown, where
 * the drops run side by side and share PostgreSQL's checkpoints.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const prefix = runDatabasePrefix(process.pid);
  await dropPostgresDatabasesOfEndedRuns();
  const folder = await mkdtemp(join(tmpdir(), 'secfix-test-run-'));
  const teardown = async () => {
    await dropPostgresDatabases(prefix);
    await rm(folder, { recursive: true, force: true });
  };
  try {
    // Tests read the bundled mapping rules as the CLI does, compiled from the YAML they may have just edited.
    await compileBundledMappingRules();
    const schemaTemplate = `${prefix}schema`;
    const demoTemplate = `${prefix}demo`;
    const sqliteSchemaFile = join(folder, 'schema.db');
    const sqliteDemoFile = join(folder, 'demo.db');
    await runAdminStatement(`create database ${schemaTemplate}`);
    await migrateDatabase(postgresDatabaseUrl(schemaTemplate));
    await migrateDatabase(`sqlite:${sqliteSchemaFile}`);
    await runAdminStatement(`create database ${demoTemplate} template ${schemaTemplate}`);
    await copyFile(sqliteSchemaFile, sqliteDemoFile);
    const config = await loadConfig(BUNDLED_DEMO_CONFIG);
    await Promise.all([loadDemo(postgresDatabaseUrl(demoTemplate), config), loadDemo(`sqlite:${sqliteDemoFile}`, config)]);
    project.provide('postgresRunPrefix', prefix);
    project.provide('postgresSchemaTemplate', schemaTemplate);
    project.provide('postgresDemoTemplate', demoTemplate);
    project.provide('sqliteSchemaFile', sqliteSchemaFile);
    project.provide('sqliteDemoFile', sqliteDemoFile);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

async function migrateDatabase(url: string): Promise<void> {
  const store = await openDatabase(url);
  try {
    await migrateToLatest(store);
  } finally {
    await store.close();
  }
}

async function loadDemo(url: string, config: Awaited<ReturnType<typeof loadConfig>>): Promise<void> {
  const store = await openDatabase(url);
  try {
    const summary = await syncFromConfig(store, config);
    const failed = summary.sources.find((source) => source.error !== null);
    if (failed !== undefined) throw new Error(`the demo data failed to load for the tests: ${failed.error}`);
  } finally {
    await store.close();
  }
}

/** A run killed before its teardown leaves its databases behind; its process id is then gone. */
async function dropPostgresDatabasesOfEndedRuns(): Promise<void> {
  for (const pid of await listRunPids()) {
    if (!processIsAlive(pid)) await dropPostgresDatabases(runDatabasePrefix(pid));
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
