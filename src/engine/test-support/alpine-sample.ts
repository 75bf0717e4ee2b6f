import { createReadStream, readFileSync, readdirSync } from 'node:fs';
import { parseApkIndexText } from '../../formats/apkindex.js';
import type { ApkPackage } from '../../formats/apkindex.js';
import { readNvd } from '../../formats/nvd.js';
import type { NvdCve } from '../../formats/nvd.js';
import { parseSecdb } from '../../formats/secdb.js';
import type { SecdbDocument } from '../../formats/secdb.js';
import { repoPath } from '../../test-support/paths.js';
import type { SecfixLine } from '../decide.js';

/** Loaders for the real slices in data/alpine-sample, through the project's own parsers. */

const SAMPLE = ['data', 'alpine-sample'];

export function loadApkIndex(folder: 'v3.16-main-x86_64' | 'v3.17-main-aarch64'): ApkPackage[] {
  const path = repoPath(...SAMPLE, 'apkindex', folder, 'APKINDEX');
  return parseApkIndexText(readFileSync(path, 'utf8'), path);
}

export function loadSecdb(branch: 'v3.14' | 'v3.16' | 'v3.17', repo: 'main' | 'community'): SecdbDocument {
  const path = repoPath(...SAMPLE, 'secdb', branch, `${repo}.json`);
  return parseSecdb(readFileSync(path), path);
}

/**
 * Every NVD record of the sample by id. Two CVEs are there in both formats; the copy NVD
 * modified last is kept, as a tracker importing both would do.
 */
export async function loadNvd(): Promise<Map<string, NvdCve>> {
  const files = readdirSync(repoPath(...SAMPLE, 'nvd', 'feed-1.1')).map((name) => repoPath(...SAMPLE, 'nvd', 'feed-1.1', name));
  files.push(repoPath(...SAMPLE, 'nvd', 'api-2.0', 'nvdcve-2.0-sample.json'));
  const records = new Map<string, NvdCve>();
  for (const file of files) {
    for await (const record of readNvd(createReadStream(file), file)) {
      const held = records.get(record.id);
      if (held === undefined || held.lastModified < record.lastModified) records.set(record.id, record);
    }
  }
  return records;
}

/** One package's secfixes lines from a secdb document, as the engine takes them. */
export function secfixLines(document: SecdbDocument, packageName: string): SecfixLine[] {
  const entry = document.packages.find((candidate) => candidate.name === packageName);
  return (entry?.secfixes ?? []).flatMap(({ version, ids }) =>
    ids.map(({ id, note }) => ({ repo: document.repo, version, id, text: note === undefined ? id : `${id} ${note}` })),
  );
}
