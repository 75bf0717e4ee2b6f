import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * The layer rules of src/ (README, "Layout"): data flows one way, so a room may import
 * only the rooms below it. `only` lists every room a room may import (besides itself and the
 * ground-level src/base); `never` lists rooms it must not import. Tests and test-support are
 * free to reach across rooms.
 */
const LAYERS = [
  { room: 'base', only: [] },
  { room: 'version', only: [] },
  { room: 'formats', only: ['version'] },
  { room: 'engine', only: ['formats', 'version'] },
  { room: 'store', never: ['engine', 'cli'] },
  { room: 'sources', never: ['cli'] },
  { room: 'scan', never: ['cli'] },
  { room: 'tracker', never: ['web', 'cli'] },
  { room: 'web', never: ['cli'] },
  { room: 'bench', never: ['cli'] },
];
/** How deep below src/<room>/ a source file may sit (src/web/routes/x.ts is depth 2). */
const DEPTHS = [1, 2, 3];

/** One config per depth: a relative import climbs `depth` levels to leave the room. */
function layerConfigs({ room, only, never }) {
  return DEPTHS.map((depth) => {
    const up = `^(\\.\\./){${depth}}`;
    const regex = only === undefined ? `${up}(${never.join('|')})/` : `${up}(?!(${[...only, 'base'].join('|')})/)`;
    const allowed = only === undefined ? `must not import src/${never.join(', src/')}` : `may import only src/${[...only, 'base'].join(', src/')}`;
    return {
      files: [`src/${room}/${'*/'.repeat(depth - 1)}*.ts`],
      ignores: ['**/*.test.ts', '**/test-support/**'],
      rules: {
        'no-restricted-imports': ['error', { patterns: [{ regex, message: `src/${room} ${allowed} (layer rules, eslint.config.js).` }] }],
      },
    };
  });
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-results/'] },
  js.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['src/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  ...LAYERS.flatMap(layerConfigs),
);
