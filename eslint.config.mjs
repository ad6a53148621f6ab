// Type-aware lint: the rules that catch real bugs in async Nest code (floating promises, promises in
// places that ignore them, non-exhaustive switches over our enums).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.kafka/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // @lms/webhook-domain/admin is public: the admin API's commands, kept out of what the workers load.
              group: ['@lms/*/*', '!@lms/webhook-domain/admin', '**/libs/*/src/*'],
              message: 'Import a lib through its public index (@lms/<lib>, or @lms/webhook-domain/admin).',
            },
          ],
        },
      ],
    },
  },
  // The console's components: hooks only at the top level, and every value an effect reads in its deps
  // (a stale closure there is how an older answer overwrites a newer one).
  { ...reactHooks.configs.flat.recommended, files: ['apps/admin-console/**/*.{ts,tsx}'] },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/*.int-spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
