import { streamInstalledDb } from '../../formats/installed.js';
import { streamInput } from '../../sources/file.js';
import { PackageTally } from './apkindex.js';
import type { InspectReader } from './kind.js';

/** `secfix inspect installed FILE`: an installed-package database (`lib/apk/db/installed`). */
export const installedReader: InspectReader = {
  async inspect(file, _options, emit) {
    const tally = new PackageTally();
    let files = 0;
    const unversioned: string[] = [];
    for await (const pkg of streamInstalledDb(streamInput(file), file)) {
      tally.add(pkg);
      files += pkg.files.length;
      if (pkg.version === undefined) unversioned.push(`${pkg.name} (line ${pkg.line})`);
      emit(pkg);
    }
    const lines = [...tally.lines(), `files: ${files}`];
    // A package without V: cannot be matched against fixed versions; say so rather than hide it.
    if (unversioned.length > 0) lines.push(`without a version (V:): ${unversioned.join(', ')}`);
    return lines;
  },
};
