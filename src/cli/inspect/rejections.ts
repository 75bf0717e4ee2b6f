import { parseRejections } from '../../formats/rejections.js';
import { readInput } from '../../sources/file.js';
import type { InspectReader } from './kind.js';

/** `secfix inspect rejections FILE`: one record per rejected (package, id). */
export const rejectionsReader: InspectReader = {
  async inspect(file, _options, emit) {
    const rejections = parseRejections(await readInput(file), file);
    const packages = new Set<string>();
    let nonCve = 0;
    let withRationale = 0;
    for (const rejection of rejections) {
      packages.add(rejection.package);
      if (rejection.kind !== 'cve') nonCve++;
      if (rejection.rationale !== undefined) withRationale++;
      emit(rejection);
    }
    return [
      `${rejections.length} rejected ids for ${packages.size} packages (${nonCve} non-CVE ids)`,
      `${withRationale} with a rationale comment`,
    ];
  },
};
