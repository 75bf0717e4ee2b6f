import fc from 'fast-check';

/**
 * Digit runs chosen to collide often: equal values written differently (`1`, `01`), leading
 * zeros (string order), and values that wrap modulo 2^64 onto small ones.
 */
const digitRun = fc.oneof(
  fc.constantFrom('0', '1', '2', '9', '00', '01', '001', '10', '010', '18446744073709551616', '18446744073709551617'),
  fc.nat({ max: 1_000_000 }).map(String),
  fc.stringMatching(/^[0-9]{1,24}$/),
);

const suffixName = fc.constantFrom('alpha', 'beta', 'pre', 'rc', 'cvs', 'svn', 'git', 'hg', 'p');

/** Valid apk versions generated from the grammar (reference/formats.md §1.1). */
export const validVersion: fc.Arbitrary<string> = fc
  .record({
    numbers: fc.array(digitRun, { minLength: 1, maxLength: 4 }),
    letter: fc.option(fc.constantFrom('a', 'b', 'z'), { nil: undefined }),
    suffixes: fc.array(fc.tuple(suffixName, fc.option(digitRun, { nil: undefined })), { maxLength: 3 }),
    hash: fc.option(fc.constantFrom('0', 'a', 'ab', 'abc', 'b', '00f', '1234abcd'), { nil: undefined }),
    revision: fc.option(digitRun, { nil: undefined }),
  })
  .map(
    ({ numbers, letter, suffixes, hash, revision }) =>
      numbers.join('.') +
      (letter ?? '') +
      suffixes.map(([name, n]) => `_${name}${n ?? ''}`).join('') +
      (hash === undefined ? '' : `~${hash}`) +
      (revision === undefined ? '' : `-r${revision}`),
  );

/** Strings over the characters versions are made of, mostly invalid, some valid. */
export const versionLikeString: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom('0', '1', '2', '.', '_', '-', '~', 'a', 'b', 'f', 'p', 'r', 'c', 'z', 'A', ' '),
  maxLength: 16,
});

/** Valid versions, version-like strings and arbitrary text, mixed. */
export const anyVersionString: fc.Arbitrary<string> = fc.oneof(validVersion, versionLikeString, fc.string());
