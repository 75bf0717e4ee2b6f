// The importers: one function per kind of source, each a transaction of its own. See import-run.ts
// for what they share (run records, skipping unchanged sources, the write lock).
export { type ImportSummary, type ProgressCallback } from './import-run.js';
export { type ApkIndexImportOptions, importApkIndex } from './import-apkindex.js';
export { type AportsImportOptions, importAports } from './import-aports.js';
export { type Cve5ImportOptions, importCve5 } from './import-cve5.js';
export { type NvdImportOptions, importNvd } from './import-nvd.js';
export { type RejectionsImportOptions, importRejections } from './import-rejections.js';
export { type SecdbImportOptions, importPublishedSecdb, importSecdb } from './import-secdb.js';
