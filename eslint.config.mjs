// ESLint for the page's JavaScript (web/) and the tests' browser-side modules: the recommended rules and one brace
// style. `python3 build.py test` runs it (tests/test_lint.py), so CI does.
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import globals from 'globals';

export default [
  { ignores: ['dist/', 'build/', 'node_modules/', '.venv/', 'test-results/', 'models/', '.cache/'] },
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: { ...globals.browser, ...globals.worker },
    },
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
      'no-unused-vars': ['error', { caughtErrors: 'none' }],
    },
  },
  { files: ['web/sw.js', 'web/sw-*.js'], languageOptions: { globals: globals.serviceworker } },
];
