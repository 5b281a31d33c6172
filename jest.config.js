/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // tsconfig sets isolatedModules, so ts-jest transpiles without type-checking; CI runs `tsc --noEmit`.
  transform: { '^.+\\.ts$': 'ts-jest' },
  // Synthesizes every environment once per run; test files read the assemblies it writes.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // Jest's default leaves one core idle; the test files only read assemblies, so use them all.
  maxWorkers: '100%',
};
