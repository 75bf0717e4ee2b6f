/** apk version strings: validity, comparison, operators, sort keys and dependency constraints. */
export { isValidVersion, Suffix, TokenKind } from './tokenize.js';
export {
  compareVersions,
  compareVersionsMask,
  matchVersion,
  operatorText,
  parseOperator,
  VersionOp,
  type VersionResult,
} from './compare.js';
export {
  compareParsed,
  matchParsed,
  parseVersion,
  sortVersions,
  versionSortKey,
  type ParsedVersion,
} from './sort-key.js';
export { formatDependency, parseDependency, satisfies, type Dependency } from './constraint.js';
