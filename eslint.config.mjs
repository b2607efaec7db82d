import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '.retort/**', '.nx/**', 'test-results/**'] },
  ...tseslint.configs.recommended,
  { files: ['**/*.js', '**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          // The CLI is the composition root: `retort api`, `worker` and `serve` start those apps in-process.
          allow: ['@retort/api', '@retort/worker', '@retort/serve'],
          depConstraints: [
            // tfjs stays out of the API and the browser bundle.
            { sourceTag: 'no-tfjs', notDependOnLibsWithTags: ['tfjs'], bannedExternalImports: ['@tensorflow/*'] },
            // Nest stays out of the engine, the jobs and the admin console.
            { sourceTag: 'no-nest', notDependOnLibsWithTags: ['nest'], bannedExternalImports: ['@nestjs/*'] },
            { sourceTag: 'runtime:browser', onlyDependOnLibsWithTags: ['runtime:any'] },
            { sourceTag: 'type:lib', notDependOnLibsWithTags: ['type:app'] },
            { sourceTag: '*', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
    },
  },
  // Integration tests may reach another app's test harness (e.g. the browser test starts the api).
  { files: ['apps/*/test/**/*.ts'], rules: { '@nx/enforce-module-boundaries': 'off' } },
];
