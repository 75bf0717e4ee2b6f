import { stat } from 'node:fs/promises';
import { parseCve5 } from '../../formats/cve5.js';
import { listFolderFiles, readInput } from '../../sources/file.js';
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

/** `secfix inspect cve5 FILE|DIR`: CVE JSON 5 records, with CISA vulnrichment merged in. */
export const cve5Reader: InspectReader = {
  async inspect(file, _options, emit) {
    const files = (await isDirectory(file)) ? (await listFolderFiles(file, isRecordFileName)).files : [file];
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
