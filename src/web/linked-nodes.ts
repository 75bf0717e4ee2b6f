import type { StateName } from '../store/index.js';
import { branchPath, packagePath, packageVersionId, repositoryId, stateId, vulnerabilityPath } from './urls.js';

/** Turns a path of the tracker into an absolute IRI. */
type Absolute = (path: string) => string;

/**
 * A PackageVersion node as the package lists give it. A package the index does not list has no
 * version; its id then names the package in the repository.
 */
export function packageVersionNode(absolute: Absolute, name: string, branch: string, repo: string, version: string | null) {
  return {
    id: absolute(packageVersionId(name, branch, repo, version ?? '')),
    type: 'PackageVersion',
    package: absolute(packagePath(name)),
    packageName: name,
    ...(version === null ? {} : { version }),
    branch: absolute(branchPath(branch)),
    repository: absolute(repositoryId(branch, repo)),
  };
}

/** A VulnerabilityState node as the package lists give it: the state, its fix and the vulnerability's severity. */
export function listedStateNode(
  absolute: Absolute,
  vulnerabilityId: string,
  place: { readonly branch: string; readonly repo: string; readonly package: string },
  state: { readonly state: StateName; readonly fixedVersion: string | null; readonly severity: string | null; readonly cvssScore: number | null },
) {
  return {
    id: absolute(stateId(vulnerabilityId, place.branch, place.repo, place.package)),
    type: 'VulnerabilityState',
    vulnerability: absolute(vulnerabilityPath(vulnerabilityId)),
    state: state.state,
    ...(state.fixedVersion === null ? {} : { fixedVersion: state.fixedVersion }),
    ...(state.severity === null ? {} : { severity: state.severity }),
    ...(state.cvssScore === null ? {} : { cvssScore: state.cvssScore }),
  };
}
