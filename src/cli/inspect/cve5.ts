import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCve5 } from '../../formats/cve5.js';
import { InputError } from '../../base/input-error.js';
import { readInput } from '../../sources/file.js';
import type { InspectReader } from './kind.js';

/** cvelistV5 and vulnrichment name each record file after its CVE id. */
function isRecordFileName(name: string): boolean {
  return name.startsWith('CVE-') && name.endsWith('.json');
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    // readInput reports a missing or unreadable path with the right wording.
    return false;
  }
}

/** Record files under `root`, recursively; symbolic links are not followed, so no cycles. */
async function listRecordFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const pending = [root];
  for (let directory = pending.pop(); directory !== undefined; directory = pending.pop()) {
    let entries: Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      throw new InputError(directory, undefined, `cannot read directory: ${(error as Error).message}`);
    }
    for (const entry of entries) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile() && isRecordFileName(entry.name)) found.push(path);
    }
  }
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `secfix inspect cve5 FILE|DIR`: CVE JSON 5 records, with CISA vulnrichment merged in. */
export const cve5Reader: InspectReader = {
  async inspect(file, _options, emit) {
    const files = (await isDirectory(file)) ? await listRecordFiles(file) : [file];
    let rejected = 0;
    let withSsvc = 0;
    let withKev = 0;
    let withCpes = 0;
    for (const path of files) {
      const record = parseCve5(await readInput(path), path);
      if (record.state === 'REJECTED') rejected++;
      if (record.ssvc !== undefined) withSsvc++;
      if (record.kev !== undefined) withKev++;
      if (record.affected.some((entry) => entry.cpes.length > 0)) withCpes++;
      emit(record);
    }
    return [
      `${files.length} CVE records (${files.length - rejected} published, ${rejected} rejected)`,
      `${withSsvc} with SSVC, ${withKev} with KEV listing, ${withCpes} with affected CPEs`,
    ];
  },
};
