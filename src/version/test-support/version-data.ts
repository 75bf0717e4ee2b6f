import { readFileSync } from 'node:fs';
import { repoPath } from '../../test-support/paths.js';

/** A line of apk-tools master `test/unit/version.data` (format: fixtures/apk-tools/README.md). */
export type MasterCase =
  | { readonly kind: 'match'; readonly line: number; readonly text: string; readonly candidate: string; readonly op: string; readonly constraint: string; readonly expected: boolean }
  | { readonly kind: 'validity'; readonly line: number; readonly text: string; readonly version: string; readonly expected: boolean };

/** A line of apk-tools 2.14-stable `test/version.data`: `a result b`. */
export interface StableCase {
  readonly line: number;
  readonly a: string;
  readonly result: '<' | '=' | '>';
  readonly b: string;
}

function readLines(branch: string): string[] {
  return readFileSync(repoPath('fixtures', 'apk-tools', branch, 'version.data'), 'utf8').split('\n');
}

/** Cases of master/version.data: comments stripped, lines trimmed, empty lines skipped. */
export function masterCases(): MasterCase[] {
  const cases: MasterCase[] = [];
  readLines('master').forEach((raw, index) => {
    const text = (raw.split('#')[0] ?? '').trim();
    if (text === '') return;
    const line = index + 1;
    const space = text.indexOf(' ');
    if (space < 0) {
      const negated = text.startsWith('!');
      cases.push({ kind: 'validity', line, text, version: negated ? text.slice(1) : text, expected: !negated });
      return;
    }
    const rest = text.slice(space + 1);
    const opEnd = rest.indexOf(' ');
    if (opEnd < 0) throw new Error(`master/version.data line ${line}: expected "ver1 op ver2"`);
    const op = rest.slice(0, opEnd);
    const negated = op.startsWith('!');
    cases.push({
      kind: 'match',
      line,
      text,
      candidate: text.slice(0, space),
      op: negated ? op.slice(1) : op,
      constraint: rest.slice(opEnd + 1),
      expected: !negated,
    });
  });
  return cases;
}

/** Cases of 2.14-stable/version.data, read like its runner: `read a result b rest`. */
export function stableCases(): StableCase[] {
  const cases: StableCase[] = [];
  readLines('2.14-stable').forEach((raw, index) => {
    const [a, result, b] = raw.trim().split(/\s+/);
    if (a === undefined || a === '') return;
    if (b === undefined || (result !== '<' && result !== '=' && result !== '>')) {
      throw new Error(`2.14-stable/version.data line ${index + 1}: expected "a <|=|> b"`);
    }
    cases.push({ line: index + 1, a, result, b });
  });
  return cases;
}

/** Every distinct version string named in either vector file, valid or not. */
export function vectorVersions(): string[] {
  const seen = new Set<string>();
  for (const c of masterCases()) {
    if (c.kind === 'match') {
      seen.add(c.candidate);
      seen.add(c.constraint);
    } else {
      seen.add(c.version);
    }
  }
  for (const c of stableCases()) {
    seen.add(c.a);
    seen.add(c.b);
  }
  return [...seen];
}
