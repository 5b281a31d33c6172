/**
 * Three jest projects, so that a run pays only for what its tests need (`--selectProjects`):
 * - unit: reads no synthesized assembly, runs no Python, PostgreSQL or cfn-lint and builds no
 *   whole environment, so it starts no synth at all and finishes in seconds;
 * - integration: reads no assembly either, but runs the Lambda handlers under moto, a real
 *   PostgreSQL or cfn-lint, or builds whole environments in memory;
 * - assembly (every other test file, new ones included): reads the environments' cloud
 *   assemblies, which its global setup finds in the cache of this tree's assemblies or
 *   synthesizes (test/support/assembly-cache.ts). A test-only environment is synthesized
 *   when a test first reads it, whichever project the test is in.
 */
const UNIT = [
  'config',
  'naming',
  'rollout-config',
  'constructs/network',
  'constructs/plan-health-checks',
  'constructs/region-switch',
  'constructs/regional-alarms',
  'constructs/switch-actions',
  'constructs/web-tier',
];
const INTEGRATION = [
  'assembly-cache',
  'constructs/deploy-pipeline',
  'credentials',
  'credentials-rotation-handler',
  'plan-health-checks-handler',
  'preflight',
  'region-roles',
  'review-dependencies',
  'switch-actions-handler',
];

const testFiles = (names) => names.map((name) => `<rootDir>/test/${name}.test.ts`);

/** What every project shares. */
const project = (displayName, testMatch, extra = {}) => ({
  displayName,
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch,
  // tsconfig sets isolatedModules, so ts-jest transpiles without type-checking; CI runs `tsc --noEmit`.
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFiles: ['<rootDir>/test/support/jest-setup.ts'],
  ...extra,
});

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    project('unit', testFiles(UNIT)),
    project('integration', testFiles(INTEGRATION)),
    project('assembly', ['<rootDir>/test/**/*.test.ts'], {
      testPathIgnorePatterns: ['/node_modules/', ...[...UNIT, ...INTEGRATION].map((name) => `/test/${name}\\.test\\.ts$`)],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    }),
  ],
  // Jest's default leaves one core idle; most test files wait on synth processes or read files, so use them all.
  maxWorkers: '100%',
};
