// The store's public surface: open a database, migrate it, and read or write it through typed
// functions. Nothing here decides anything about vulnerabilities.
export * from './database.js';
export * from './database-url.js';
export * from './migrate.js';
export * from './schema.js';
export * from './json-column.js';
export * from './queries/branches.js';
export * from './queries/cve5-affected.js';
export * from './queries/dirty.js';
export * from './queries/import-runs.js';
export * from './queries/packages.js';
export * from './queries/rejections.js';
export * from './queries/secfixes.js';
export * from './queries/triage.js';
export * from './queries/states.js';
export * from './queries/vulnerabilities.js';
export * from './queries/state-trends.js';
export * from './queries/state-changes.js';
export * from './queries/vulnerability-report.js';
export * from './queries/package-report.js';
export * from './queries/branch-report.js';
export * from './queries/maintainer-report.js';
export * from './queries/search.js';
export * from './queries/auth.js';
export * from './queries/exchange.js';
export * from './queries/summaries.js';
export * from './queries/exports.js';
