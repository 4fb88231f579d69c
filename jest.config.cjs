// @swc/jest strips types only (tsc checks them in `npm run lint`) and turns the ESM-only
// dependencies (Octokit and friends) into CommonJS so jest runs without experimental VM modules.
// Three projects, each runnable alone (`npm run test:unit`, `test:infra`, `test:e2e`); `npm test` runs them all.
// Logs stay quiet: a test's output is shown only when it fails (test/support/quiet-environment.cjs;
// OIDC_TEST_LOGS=1 shows everything).
const shared = {
  testEnvironment: '<rootDir>/test/support/quiet-environment.cjs',
  setupFiles: ['<rootDir>/test/setup.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: [
    '/node_modules/(?!(@octokit|universal-user-agent|before-after-hook|bottleneck|fast-content-type-parse|json-with-bigint|toad-cache|universal-github-app-jwt|aws-local-stepfunctions|content-type)/)',
  ],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/state-machines/**/*.test.ts'],
    },
    { ...shared, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
