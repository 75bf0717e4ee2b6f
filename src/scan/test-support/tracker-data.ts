import type { MappingRules } from '../../engine/index.js';
import type { Store } from '../../store/index.js';
import { repoPath } from '../../test-support/paths.js';
import { importApkIndex, importNvd, importRejections, importSecdb } from '../../tracker/import.js';
import { updateStates } from '../../tracker/update.js';

const S = ['data', 'alpine-sample'];

/**
 * A tracker for the tracker-backed scan tests: the v3.16 main index, both v3.16 secdb files and
 * the NVD 2.0 sample, optionally a rejections file, then every state decided.
 */
export async function importV316Tracker(store: Store, rules: MappingRules, rejections?: string): Promise<void> {
  await importApkIndex(store, { branch: '3.16', repo: 'main', location: repoPath(...S, 'apkindex', 'v3.16-main-x86_64', 'APKINDEX.tar.gz'), keysDir: repoPath(...S, 'keys') });
  await importSecdb(store, { location: repoPath(...S, 'secdb', 'v3.16', 'main.json') });
  await importSecdb(store, { location: repoPath(...S, 'secdb', 'v3.16', 'community.json') });
  await importNvd(store, { location: repoPath(...S, 'nvd', 'api-2.0', 'nvdcve-2.0-sample.json') });
  if (rejections !== undefined) await importRejections(store, { location: rejections });
  await updateStates(store, { full: true, rules });
}
