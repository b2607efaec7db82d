import nx from '@nx/eslint-plugin';
import jsoncParser from 'jsonc-eslint-parser';
import tseslint from 'typescript-eslint';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

// Paths below are relative to this file's folder, as flat config's `files` patterns are.
const fromRoot = (relative) => join(import.meta.dirname, relative);
const readJson = (relative) => JSON.parse(readFileSync(fromRoot(relative), 'utf8'));
// The root package.json's workspaces are folders or `folder/*`.
const workspaceDirs = readJson('package.json').workspaces.flatMap((pattern) =>
  pattern.endsWith('/*') ? readdirSync(fromRoot(pattern.slice(0, -2))).map((name) => `${pattern.slice(0, -2)}/${name}`) : [pattern],
);
const workspacePackages = workspaceDirs
  .filter((dir) => existsSync(fromRoot(`${dir}/package.json`)))
  .map((dir) => ({ dir, file: `${dir}/package.json`, pkg: readJson(`${dir}/package.json`) }));

// Files that may import devDependencies (@nx/dependency-checks reads only the production sections).
const TEST_FILES = ['test/**/*.{ts,tsx}', '**/*.spec.ts', 'vite.config.ts'];

const packageName = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
const isBuiltin = (specifier) => specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]);
const isRequire = (callee) =>
  (callee.type === 'Identifier' && callee.name === 'require') ||
  (callee.type === 'MemberExpression' && callee.object.name === 'require' && callee.property.name === 'resolve');

/** Reports an import of a package that is neither the package.json `file` names nor declared in its `sections`. */
const declaredImports = {
  meta: {
    type: 'problem',
    schema: [{ type: 'object', properties: { file: { type: 'string' }, sections: { type: 'array', items: { type: 'string' } } } }],
    messages: { undeclared: '"{{name}}" is imported but not declared in {{sections}} of {{file}}.' },
  },
  create(context) {
    const { file, sections } = context.options[0];
    const pkg = readJson(file);
    const declared = new Set([pkg.name, ...sections.flatMap((section) => Object.keys(pkg[section] ?? {}))]);
    const check = (node) => {
      if (node?.type !== 'Literal' || typeof node.value !== 'string') return;
      if (node.value.startsWith('.') || node.value.startsWith('/') || isBuiltin(node.value)) return;
      const name = packageName(node.value);
      if (!declared.has(name)) context.report({ node, messageId: 'undeclared', data: { name, file, sections: sections.join(', ') } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      TSImportType: (node) => check(node.argument?.literal),
      CallExpression: (node) => isRequire(node.callee) && check(node.arguments[0]),
    };
  },
};

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
  // Each workspace package declares in its package.json the packages its source imports.
  ...workspacePackages.map(({ file, pkg }) => ({
    files: [file],
    languageOptions: { parser: jsoncParser },
    plugins: { '@nx': nx },
    rules: {
      '@nx/dependency-checks': [
        'error',
        {
          // The rule checks only projects (and links to projects) that have one of these targets.
          buildTargets: ['lint'],
          ignoredFiles: TEST_FILES.map((glob) => `{projectRoot}/${glob}`),
          // Optional packages are loaded lazily and may be absent from the lock file on this platform.
          ignoredDependencies: Object.keys(pkg.optionalDependencies ?? {}),
        },
      ],
    },
  })),
  // Each import names a declared package; this also catches packages the lock file lacks, which the
  // check above cannot see. Tests and build tooling may import devDependencies too.
  ...workspacePackages.flatMap(({ dir, file }) => {
    const plugins = { retort: { rules: { 'declared-imports': declaredImports } } };
    const sections = ['dependencies', 'optionalDependencies', 'peerDependencies'];
    return [
      { files: [`${dir}/**/*.{ts,tsx,js,mjs,cjs}`], plugins, rules: { 'retort/declared-imports': ['error', { file, sections }] } },
      {
        files: TEST_FILES.map((glob) => `${dir}/${glob}`),
        plugins,
        rules: { 'retort/declared-imports': ['error', { file, sections: [...sections, 'devDependencies'] }] },
      },
    ];
  }),
  // Integration tests may reach another app's test harness (e.g. the browser test starts the api).
  { files: ['apps/*/test/**/*.ts'], rules: { '@nx/enforce-module-boundaries': 'off' } },
];
