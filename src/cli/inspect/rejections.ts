import { readInput } from '../../sources/file.js';
import type { InspectKind } from './kind.js';

/** `secfix inspect rejections FILE`: one record per rejected (package, id). */
export const rejectionsKind: InspectKind = {
  name: 'rejections',
  description: 'Alpine security-rejections YAML (package: [CVE-ID, ...])',
  async inspect(file, _options, emit) {
    // The YAML library is loaded only when needed: every other command starts faster without it.
    const { parseRejections } = await import('../../formats/rejections.js');
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
