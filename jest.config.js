// Two projects: `unit` (*.spec.ts beside the code, stubs allowed) and `e2e` (test/**/*.e2e-spec.ts and
// libs/**/*.int-spec.ts: the real Kafka, Postgres and Redis). Path aliases come from tsconfig so the
// two never drift.
const { compilerOptions } = require('./tsconfig.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace('/', '\\/')}$`,
    `<rootDir>/${target.replace('./', '')}`,
  ]),
);

const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
    },
  ],
};

const common = {
  rootDir: __dirname,
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform,
  moduleNameMapper,
  testEnvironment: 'node',
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      // test/deploy: the rendered Kubernetes manifests and alert rules, checked without services.
      testMatch: ['<rootDir>/{apps,libs,scripts,bench}/**/*.spec.ts', '<rootDir>/test/deploy/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/{apps,libs}/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.js',
    },
  ],
  // A global option (Jest ignores it inside a project): e2e hooks start real processes and brokers.
  testTimeout: 120000,
};
