/**
 * Jest transpiles only (isolatedModules): type-checking aws-cdk-lib per test
 * file costs ~19 s each, so `npm test` runs `tsc --noEmit` once instead.
 * TypeScript stays on 5.9 because ts-jest does not support TypeScript 7 yet.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { diagnostics: false }],
  },
  testTimeout: 60_000,
};
