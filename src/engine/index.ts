/** The matching engine: pure functions from packages, secfixes, rejections and NVD data to states. */
export {
  CRITERION_OUTCOMES,
  MATCH_RULES,
  NVD_OUTCOMES,
  STATE_NAMES,
  type CriterionBounds,
  type CriterionEvidence,
  type CriterionOutcome,
  type Evidence,
  type MatchRule,
  type NvdOutcome,
  type PairState,
  type StateName,
} from '../base/states.js';
export { compareUpstream, cpeVersionText, normalizeNvdVersion, upstreamVersion } from './upstream-version.js';
export {
  binariesByOrigin,
  buildMappingIndex,
  criterionNameOf,
  hasLanguagePrefix,
  mapCriterionToPackages,
  packageUniverse,
  productKey,
  productKeysReaching,
  type CriterionName,
  type DenyRule,
  type MappingIndex,
  type MappingRules,
  type PackageMatch,
  type PackageUniverse,
  type ProductRule,
} from './cpe-mapping.js';
export {
  evaluateCve,
  prepareCve,
  type NvdEvaluation,
  type PreparedConfiguration,
  type PreparedCve,
  type PreparedMatch,
  type PreparedNode,
} from './configuration.js';
export {
  decidePairState,
  decideStates,
  sameState,
  stateDigest,
  type PackageBatch,
  type PairInput,
  type RejectionRecord,
  type SecfixLine,
} from './decide.js';
export { QUALITY_KINDS, checkSecfixQuality, type QualityFinding, type QualityInput, type QualityKind } from './quality.js';
export {
  ANONYMOUS,
  ROLES,
  isRole,
  maintainerEmail,
  mayActOn,
  mayManageTokens,
  signedInRole,
  type Principal,
  type Role,
} from './authorization.js';
