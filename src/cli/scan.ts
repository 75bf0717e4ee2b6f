import { type Command, Option } from 'commander';
import { branchNameProblem } from '../formats/names.js';
import { FINDING_KINDS, type FindingKind } from '../engine/scan-model.js';
import type { ScanOptions, ScanReport, SecurityDataLoader } from '../scan/run.js';
import { type CliIo, type CliStatus, UsageError, todayOf } from './io.js';
import { collectValues, parseByteSize } from './options.js';
import { subcommand } from './subcommand.js';

interface ScanFlags {
  installed?: string;
  branch?: string;
  secdb?: string[];
  db?: string;
  server?: string;
  indexUrl?: string;
  index?: string[];
  keys?: string;
  format: 'text' | 'json' | 'sarif';
  failOn: string;
  maxImageBytes?: string;
}

const EXAMPLES = `
Reads lib/apk/db/installed, etc/apk/repositories, etc/apk/arch, etc/alpine-release and
etc/os-release from a root folder, a container image (docker save or OCI layout, tarball or
folder, layers applied with their whiteouts) or just an installed database (--installed).
The branch comes from etc/alpine-release (else the alpine-release package, os-release or the
repositories); --branch overrides it. Fix data comes only from the package's origin in that
branch.

Exit status: 0 nothing to do, 1 findings of a --fail-on kind, 2 bad input or usage.

Examples:
  secfix scan / --secdb ./secdb
  secfix scan / --secdb https://security.example.org/published/ --keys /etc/apk/keys
  secfix scan --secdb secdb/v3.20/main.json --secdb secdb/v3.20/community.json alpine.tar --format sarif
  secfix scan --installed data/alpine-sample/apkindex/installed/syft-multiple-2.installed \\
      --branch 3.16 --secdb data/alpine-sample/secdb \\
      --index data/alpine-sample/apkindex/v3.16-main-x86_64/APKINDEX.tar.gz --keys data/alpine-sample/keys
  secfix scan rootfs/ --db sqlite:./secfix.db --fail-on upgrade,unfixed
  secfix scan alpine.tar --server http://localhost:8080 --format json
  secfix scan / --index-url http://localhost:8080/api/branch/3.16/security-index?arch=x86_64
`;

/** `v3.16` and `3.16` name the same branch; anything but a release or edge is a usage error. */
function normalizeBranch(flag: string): string {
  const branch = flag.replace(/^v(?=\d)/, '');
  const problem = branchNameProblem(branch);
  if (problem !== undefined) throw new UsageError(`--branch: ${problem}`);
  return branch;
}

function parseFailOn(text: string): Set<FindingKind> {
  const kinds = text.split(',').map((kind) => kind.trim()).filter((kind) => kind !== '');
  const unknown = kinds.filter((kind) => !(FINDING_KINDS as readonly string[]).includes(kind));
  if (kinds.length === 0 || unknown.length > 0) {
    throw new UsageError(`--fail-on ${JSON.stringify(text)}: expected a comma-separated list of ${FINDING_KINDS.join(', ')}`);
  }
  return new Set(kinds as FindingKind[]);
}

/**
 * Runs the scan with tracker data. The store is imported only here, so file-only scans never
 * load the database drivers.
 */
async function scanWithDatabase(url: string, options: Omit<ScanOptions, 'loadSecurityData'>): Promise<ScanReport> {
  const [{ withCliStore }, { trackerSecurityData }, { runScan }] = await Promise.all([import('./database.js'), import('../scan/tracker.js'), import('../scan/run.js')]);
  return withCliStore(url, ({ store, description }) => {
    const loadSecurityData: SecurityDataLoader = (branch, origins) => trackerSecurityData(store.db, description, branch, origins);
    return runScan({ ...options, loadSecurityData });
  });
}

/** The loader for --secdb, --index-url or --server, whichever was given. */
async function fileOrServerLoader(flags: ScanFlags): Promise<SecurityDataLoader> {
  const [{ secdbLoader, serverLoader }, { trackerBaseUrl }] = await Promise.all([import('../scan/run.js'), import('../scan/tracker-api.js')]);
  if (flags.indexUrl !== undefined) return (await import('../scan/security-index.js')).securityIndexLoader(flags.indexUrl, flags.keys);
  if (flags.server === undefined) return secdbLoader(flags.secdb ?? [], flags.keys);
  try {
    return serverLoader(trackerBaseUrl(flags.server));
  } catch (error) {
    throw new UsageError(`--server: ${(error as Error).message}`);
  }
}

/** `secfix scan`: which security upgrades a system, image or installed database needs. */
export function scanCommand(io: CliIo, status: CliStatus): Command {
  return subcommand(io, 'scan')
    .description('list the security upgrades an apk-based system, container image or installed database needs')
    .argument('[target]', 'root filesystem folder, image tarball (docker save or OCI archive) or OCI layout folder')
    .option('--installed <file>', 'scan this installed database (lib/apk/db/installed) instead of a target')
    .option('--branch <branch>', 'branch to scan against (3.20, edge); overrides what the system says')
    .option('--secdb <path>', 'a secdb JSON file, a folder of them (e.g. a copy of secdb.alpinelinux.org) or a published folder (secfix publish; a folder or a URL); repeat for several', collectValues)
    .option('--db <url>', 'tracker database (sqlite:PATH or postgres://…): also reports unfixed vulnerabilities')
    .option('--server <url>', 'address of a running secfix tracker (http://host:port): the data --db gives, over its API')
    .option('--index-url <url>', "a tracker's security index (GET /api/branch/B/security-index, a file `secfix export security-index` wrote, or a published folder, verified with --keys): published fixes only")
    .option('--index <file>', 'an APKINDEX.tar.gz or APKINDEX file of the branch: what is published now; repeat for several', collectValues)
    .option('--keys <dir>', 'folder of trusted apk public keys to verify signed indexes and published folders')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('--max-image-bytes <size>', 'largest total an image may decompress to, e.g. 512M or 4G (default 2G)')
    .option('--fail-on <kinds>', `finding kinds that make the exit status 1 (${FINDING_KINDS.join(', ')})`, 'upgrade')
    .addHelpText('after', EXAMPLES)
    .action(async (target: string | undefined, flags: ScanFlags) => {
      const input = target === undefined ? (flags.installed === undefined ? undefined : { installed: flags.installed }) : { target };
      if (input === undefined || (target !== undefined && flags.installed !== undefined)) {
        throw new UsageError('give exactly one of a target (root folder or image) and --installed FILE');
      }
      if ([flags.secdb, flags.db, flags.server, flags.indexUrl].filter((flag) => flag !== undefined).length !== 1) {
        throw new UsageError('give exactly one source of security data: --secdb PATH, --db URL, --server URL or --index-url URL|FILE');
      }
      const failOn = parseFailOn(flags.failOn);
      const maxImageBytes = flags.maxImageBytes === undefined ? undefined : parseByteSize(flags.maxImageBytes);
      if (flags.maxImageBytes !== undefined && maxImageBytes === undefined) {
        throw new UsageError(`--max-image-bytes ${JSON.stringify(flags.maxImageBytes)}: expected a byte count such as 500000, 512M or 4G`);
      }
      const options: Omit<ScanOptions, 'loadSecurityData'> = {
        input,
        ...(flags.branch === undefined ? {} : { branch: normalizeBranch(flags.branch) }),
        ...(flags.index === undefined ? {} : { index: flags.index }),
        ...(flags.keys === undefined ? {} : { keysDir: flags.keys }),
        ...(maxImageBytes === undefined ? {} : { maxImageBytes }),
        today: todayOf(io),
      };
      const [{ runScan }, { renderJson, renderSarif, renderText, renderWarnings }] = await Promise.all([import('../scan/run.js'), import('../scan/report.js')]);
      const report = flags.db !== undefined ? await scanWithDatabase(flags.db, options) : await runScan({ ...options, loadSecurityData: await fileOrServerLoader(flags) });
      if (flags.format === 'text') {
        io.stderr.write(renderWarnings(report));
        io.stdout.write(renderText(report));
      } else {
        io.stdout.write(flags.format === 'json' ? renderJson(report) : `${JSON.stringify(renderSarif(report), null, 2)}\n`);
      }
      status.exitCode = report.findings.some((finding) => failOn.has(finding.kind)) ? 1 : 0;
    });
}
