import { isValidVersion } from '../version/index.js';

/**
 * A version line of a mapping rule (`>=1 <4`): constraints separated by spaces, each an operator
 * (`<`, `<=`, `>`, `>=`, `=`) glued to an apk version, all of which must hold.
 */
export interface VersionConstraint {
  readonly operator: '<' | '<=' | '>' | '>=' | '=';
  readonly version: string;
}

const CONSTRAINT = /^(<=|>=|<|>|=)(.+)$/;

/** The constraints of a version line, or a problem in words when it is malformed. */
export function parseVersionLine(text: string): readonly VersionConstraint[] | string {
  const words = text.trim().split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) return 'expected constraints such as ">=1 <4"';
  const constraints: VersionConstraint[] = [];
  for (const word of words) {
    const parts = CONSTRAINT.exec(word);
    if (parts === null || !isValidVersion(parts[2]!)) return `"${word}" is not an operator (<, <=, >, >=, =) followed by an apk version`;
    constraints.push({ operator: parts[1] as VersionConstraint['operator'], version: parts[2]! });
  }
  return constraints;
}
