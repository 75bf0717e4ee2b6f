import type { AportsPackage, ApkbuildSecfixes } from '../../formats/secfixes.js';
import { parseApkbuild, parseAportsApkbuild } from '../../formats/secfixes.js';
import { isDirectory, readApkbuild, walkAports } from '../../sources/aports.js';
import type { InspectReader } from './kind.js';

interface Totals {
  packages: number;
  withSecfixes: number;
  entries: number;
  warnings: number;
}

function count(totals: Totals, parsed: ApkbuildSecfixes): void {
  totals.packages++;
  if (parsed.secfixes.length > 0) totals.withSecfixes++;
  for (const version of parsed.secfixes) totals.entries += version.ids.length;
  totals.warnings += parsed.warnings.length;
}

/** `secfix inspect apkbuild FILE|DIR`: the `# secfixes:` block of one APKBUILD, or of every package in an aports tree. */
export const apkbuildReader: InspectReader = {
  async inspect(file, _options, emit) {
    const totals: Totals = { packages: 0, withSecfixes: 0, entries: 0, warnings: 0 };
    if (!(await isDirectory(file))) {
      const parsed = parseApkbuild(await readApkbuild(file), file);
      count(totals, parsed);
      emit({ path: file, ...parsed });
      return [
        `APKBUILD ${parsed.pkgname ?? '(no pkgname)'} ${parsed.pkgver ?? '?'}-r${parsed.pkgrel ?? '?'}: ${parsed.secfixes.length} version keys, ${totals.entries} secfix entries, ${totals.warnings} warnings`,
      ];
    }
    const repos = new Set<string>();
    for await (const apkbuild of walkAports(file)) {
      const record: AportsPackage = parseAportsApkbuild(apkbuild);
      repos.add(record.repo);
      count(totals, record);
      emit(record);
    }
    return [
      `aports tree: ${totals.packages} packages in ${repos.size} repos (${[...repos].join(', ')})`,
      `${totals.withSecfixes} with secfixes, ${totals.entries} secfix entries, ${totals.warnings} warnings`,
    ];
  },
};
