/**
 * Jest transpiles only: type-checking aws-cdk-lib per test file costs ~19 s
 * each, so `npm test` runs `tsc --noEmit` once instead. TypeScript stays on
 * 5.9 because ts-jest does not support TypeScript 7 yet.
 *
 * Two projects: integration tests (`*.integ.test.ts`) share one DynamoDB
 * Local started by the global setup; unit tests never pay for it.
 */
const transform = { '^.+\\.tsx?$': ['ts-jest', { diagnostics: false }] };
/** Quiets the AWS SDK's Node-version warning in every worker (and what it spawns); see scripts/preload.ts. */
const setupFiles = ['<rootDir>/scripts/preload.ts'];

/** @type {import('jest').Config} */
module.exports = {
  // A global option: jest ignores it inside `projects`.
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['\\.integ\\.test\\.ts$'],
      transform,
      setupFiles,
    },
    {
      displayName: 'integ',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.integ.test.ts'],
      transform,
      setupFiles,
      globalSetup: '<rootDir>/test/support/jest-global-setup.ts',
      globalTeardown: '<rootDir>/test/support/jest-global-teardown.ts',
    },
  ],
};
