import type { ScanWarning } from '../engine/scan-model.js';
import type { ScannedSystem } from './system.js';

/** Where the scanned branch came from. */
export type BranchSource = 'flag' | 'etc/alpine-release' | 'alpine-release package' | 'etc/os-release' | 'etc/apk/repositories';

interface BranchDecision {
  /** `3.16`, `edge`; undefined when nothing tells it. */
  readonly branch: string | undefined;
  readonly source: BranchSource | undefined;
  /** The release version the system states (`3.16.2`), when it states one. */
  readonly release: string | undefined;
  readonly warnings: readonly ScanWarning[];
}

interface Signal {
  readonly source: BranchSource;
  readonly release: string;
  readonly branch: string;
}

/**
 * `3.16.2` → `3.16`; a development snapshot (`3.21_alpha20240807`) → `edge`, as
 * `parseAlpineRelease` reads etc/alpine-release. Undefined for anything else.
 */
function branchOfRelease(release: string): string | undefined {
  const match = /^(\d+)\.(\d+)(?:\.\d+)*((?:_[a-z]+\d*)*)$/.exec(release);
  if (match === null) return undefined;
  return match[3] === '' ? `${match[1]}.${match[2]}` : 'edge';
}

/**
 * The release the system states, most direct first: etc/alpine-release; else the installed
 * `alpine-release` package, which owns that file (so an installed database alone still tells
 * it); else os-release's VERSION_ID when os-release says the system is Alpine.
 */
function releaseSignal(system: ScannedSystem): Signal | undefined {
  if (system.alpineRelease !== undefined) {
    return { source: 'etc/alpine-release', release: system.alpineRelease.release, branch: system.alpineRelease.branch };
  }
  const pkg = system.packages.find((candidate) => candidate.name === 'alpine-release' && candidate.version !== undefined);
  const packageRelease = pkg?.version?.replace(/-r\d+$/, '');
  const packageBranch = packageRelease === undefined ? undefined : branchOfRelease(packageRelease);
  if (packageRelease !== undefined && packageBranch !== undefined) {
    return { source: 'alpine-release package', release: packageRelease, branch: packageBranch };
  }
  const versionId = system.osRelease?.get('VERSION_ID');
  const osBranch = versionId === undefined ? undefined : branchOfRelease(versionId);
  if (system.osRelease?.get('ID') === 'alpine' && versionId !== undefined && osBranch !== undefined) {
    return { source: 'etc/os-release', release: versionId, branch: osBranch };
  }
  return undefined;
}

/**
 * Decides which branch's security data applies. An explicit `--branch` wins; otherwise the
 * stated release, then the branch the untagged repositories use (tagged ones serve only
 * packages asked for by tag). Every disagreement between these is a warning, as is a release
 * nobody states.
 */
export function decideBranch(system: ScannedSystem, flag: string | undefined): BranchDecision {
  const warnings: ScanWarning[] = [];
  const osId = system.osRelease?.get('ID');
  if (osId !== undefined && osId !== 'alpine') {
    warnings.push({ code: 'not-alpine', message: `etc/os-release says ID=${osId}: Alpine's security data may not apply to it` });
  }
  const repositoryBranches = [
    ...new Set(system.repositories.filter((repository) => repository.tag === undefined).flatMap((repository) => repository.branch ?? [])),
  ];
  if (repositoryBranches.length > 1) {
    warnings.push({
      code: 'mixed-repositories',
      message: `etc/apk/repositories mixes branches ${repositoryBranches.join(', ')}; packages may come from any of them`,
    });
  }
  const stated = releaseSignal(system);
  const fromRepositories = repositoryBranches.length === 1 ? repositoryBranches[0] : undefined;
  if (stated !== undefined && fromRepositories !== undefined && fromRepositories !== stated.branch) {
    warnings.push({
      code: 'branch-conflict',
      message: `${stated.source} says ${stated.release} (branch ${stated.branch}) but etc/apk/repositories uses ${fromRepositories}`,
    });
  }
  const detected: Omit<Signal, 'release'> | undefined =
    stated ?? (fromRepositories === undefined ? undefined : { source: 'etc/apk/repositories', branch: fromRepositories });
  const chosen = flag === undefined ? detected : { source: 'flag' as const, branch: flag };
  if (flag !== undefined && detected !== undefined && detected.branch !== flag) {
    warnings.push({ code: 'branch-conflict', message: `--branch ${flag} overrides branch ${detected.branch} from ${detected.source}` });
  }
  if (stated === undefined) {
    const using = chosen === undefined ? '' : `; scanning as branch ${chosen.branch} (from ${chosen.source === 'flag' ? '--branch' : chosen.source})`;
    warnings.push({
      code: 'release-unknown',
      message: `cannot tell the Alpine release: no etc/alpine-release, alpine-release package or Alpine os-release${using}`,
    });
  }
  return { branch: chosen?.branch, source: chosen?.source, release: stated?.release, warnings };
}
