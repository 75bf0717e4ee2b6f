import { NOT_AFFECTED_VERSION } from '../../formats/secfix-id.js';
import { parseSecdb } from '../../formats/secdb.js';
import { readInput } from '../../sources/file.js';
import type { InspectReader } from './kind.js';

/** How many warnings the summary spells out; the rest are counted. */
const SHOWN_WARNINGS = 2;

/** `secfix inspect secdb FILE`: one record per package of an Alpine secdb JSON document. */
export const secdbReader: InspectReader = {
  async inspect(file, _options, emit) {
    const document = parseSecdb(await readInput(file), file);
    let versionKeys = 0;
    let entries = 0;
    let notAffected = 0;
    const nonCve = new Set<string>();
    for (const pkg of document.packages) {
      versionKeys += pkg.secfixes.length;
      for (const { version, ids } of pkg.secfixes) {
        entries += ids.length;
        if (version === NOT_AFFECTED_VERSION) notAffected += ids.length;
        for (const { id, kind } of ids) if (kind !== 'cve') nonCve.add(id);
      }
      emit({ branch: document.branch, repo: document.repo, package: pkg.name, secfixes: pkg.secfixes });
    }
    const nonCveList = [...nonCve].sort();
    const summary = [
      `secdb branch ${document.branch} repo ${document.repo}: ${document.packages.length} packages, ${versionKeys} version keys, ${entries} secfix entries`,
      `${notAffected} entries under "0" (not affected); ${nonCveList.length} distinct non-CVE ids${nonCveList.length > 0 ? `: ${nonCveList.slice(0, 5).join(' ')}${nonCveList.length > 5 ? ' ...' : ''}` : ''}`,
      `${document.warnings.length} warnings`,
    ];
    for (const warning of document.warnings.slice(0, SHOWN_WARNINGS)) summary.push(`warning: ${warning.place}: ${warning.problem}`);
    return summary;
  },
};
