import { ENVIRONMENT_NAMES, ENVIRONMENTS, environmentConfigSchema, loadConfig, type EnvironmentConfig, type EnvironmentSettings } from '../../lib/config';
import { offlineConfig } from './synth';

/**
 * Environments that exist only in tests: each is synthesized by the global setup into
 * its own assembly (`synthesized('<name>')`), beside the configured environments.
 */

/**
 * Starts the name of every test-only environment, and of no configured one: a team names
 * environments after what they are for (staging, perf, sandbox), never `zz…`.
 */
export const TEST_ONLY_PREFIX = 'zz';

/** The name of the environment added in memory: the naming rules accept it, no team would choose it. */
export const ADDED_ENVIRONMENT = `${TEST_ONLY_PREFIX}added`;

/** An environment added to the config only, as a team would add one: a copy of test with its own name, CIDRs and domain. */
export function addedSettings(): EnvironmentSettings {
  return {
    ...ENVIRONMENTS.test,
    name: ADDED_ENVIRONMENT,
    regions: {
      'us-east-1': { ...ENVIRONMENTS.test.regions['us-east-1'], vpcCidr: '10.250.0.0/16' },
      'eu-west-1': { ...ENVIRONMENTS.test.regions['eu-west-1'], vpcCidr: '10.251.0.0/16' },
    },
    dns: { ...ENVIRONMENTS.test.dns, domainName: `app.${ADDED_ENVIRONMENT}.example.com`, hostedZoneName: `${ADDED_ENVIRONMENT}.example.com` },
  };
}

/** The added environment as the app loads it. */
export function addedConfig(): EnvironmentConfig {
  return loadConfig(ADDED_ENVIRONMENT, { environments: { ...ENVIRONMENTS, [ADDED_ENVIRONMENT]: addedSettings() } });
}

/** Settings this test leaves as they are, each with why. */
export const UNCHANGED_PROD_SETTINGS: Readonly<Record<string, string>> = {
  name: 'the environment itself; another name is another environment with its own stacks',
  account: 'another account is a new deployment, not an update',
  'database.multiAz': 'the schema requires it in prod',
  'database.deletionProtection': 'the schema requires it in prod',
  protectStatefulResources: 'the schema requires it in prod',
  requireApproval: 'the schema requires it in prod',
  primaryRegion: 'swapping the region roles rebuilds the old writer under a new name by design; test/region-roles.test.ts follows it',
};

/** Prod with every other setting changed to another valid value. */
export function changedProd(prod: EnvironmentConfig): EnvironmentConfig {
  return environmentConfigSchema.parse({
    ...prod,
    regions: {
      'us-east-1': { vpcCidr: '10.40.0.0/16', availabilityZones: ['us-east-1b', 'us-east-1c', 'us-east-1d'], natGateways: 2 },
      'eu-west-1': { vpcCidr: '10.41.0.0/17', availabilityZones: ['eu-west-1c', 'eu-west-1a', 'eu-west-1b'], natGateways: 2 },
    },
    tags: { project: 'webshop', owner: 'web-team@example.com', costCenter: 'cc-9999' },
    app: {
      instanceTypes: ['m7g.xlarge', 'c7g.2xlarge'],
      port: 8443,
      minCapacity: 4,
      desiredCapacity: 5,
      maxCapacity: 20,
      healthCheckGraceSeconds: 300,
      amiIds: { 'us-east-1': 'ami-0123456789abcdef0', 'eu-west-1': 'ami-0fedcba9876543210' },
      wafRateLimitPer5Minutes: 5000,
      certificateArns: { 'eu-west-1': `arn:aws:acm:eu-west-1:${prod.account}:certificate/11111111-2222-3333-4444-555555555555` },
    },
    database: {
      ...prod.database,
      instanceType: 'db.r7g.xlarge',
      replicaInstanceType: 'db.r7g.2xlarge',
      allocatedStorageGiB: 200,
      maxAllocatedStorageGiB: 2000,
      backupRetentionDays: 21,
      backupWindow: '01:00-02:00',
      maintenanceWindow: 'sat:04:00-sat:05:00',
      rotationDays: 7,
      monitoringIntervalSeconds: 5,
    },
    alarms: {
      cpuHighPercent: 80,
      cpuLowPercent: 20,
      periodSeconds: 300,
      evaluationPeriods: 4,
      pagingEvaluationPeriods: 6,
      pagingDatapointsToAlarm: 4,
      elb5xxPercent: 10,
      target5xxPercent: 8,
      errorRateMinRequests: 200,
      targetResponseTimeP99Seconds: 3,
      unhealthyHostCount: 2,
      dbCpuHighPercent: 90,
      dbFreeStorageLowGiB: 50,
      dbFreeableMemoryLowMiB: 2048,
      dbConnectionsHigh: 800,
      replicaLagSeconds: 120,
    },
    dns: { domainName: 'shop.example.org', hostedZoneId: 'Z0000000000000SHOP1', hostedZoneName: 'example.org', healthCheckIntervalSeconds: 30, healthCheckFailureThreshold: 5, regionSwitch: { recoveryTimeObjectiveMinutes: 90, approval: { timeoutMinutes: 45 }, autoActivation: { afterMinutes: 7 } } },
    logRetentionDays: 1096,
    alertEmails: ['pager@example.org', 'web-team@example.org'],
    pipeline: {
      connectionArn: `arn:aws:codestar-connections:eu-west-1:${prod.account}:connection/99999999-8888-7777-6666-555555555555`,
      repository: 'example-org/webshop-infra',
      branch: 'release',
    },
  });
}

/** A test-only environment: its config, and whether its test reads findings (and so needs the rule packs). */
export interface Variant {
  readonly config: () => EnvironmentConfig;
  readonly rulePacks: boolean;
}

/** The test-only environments by assembly name. */
export const VARIANTS: Readonly<Record<string, Variant>> = {
  [ADDED_ENVIRONMENT]: { config: addedConfig, rulePacks: true },
  // Only its templates are compared with prod's. A hyphen keeps the name out of reach of ENVIRONMENT_NAME.
  'prod-changed': { config: () => changedProd(offlineConfig('prod')), rulePacks: false },
};

/**
 * The problems that would make the global setup synthesize a configured environment twice (or a
 * test copy in its place) and another never: a variant named like a configured environment, and a
 * configured environment under the test-only prefix. Empty when there is none.
 */
export function variantCollisions(configured: readonly string[], variants: readonly string[]): string[] {
  return [
    ...variants.filter((name) => configured.includes(name)).map((name) => `test-only environment "${name}" (test/support/variants.ts) has the name of a configured environment (lib/config/environments.ts): rename the test-only one, keeping the "${TEST_ONLY_PREFIX}" prefix`),
    ...configured.filter((name) => name.startsWith(TEST_ONLY_PREFIX)).map((name) => `configured environment "${name}" (lib/config/environments.ts) starts with "${TEST_ONLY_PREFIX}", which test-only environments use: choose another name`),
  ];
}

const collisions = variantCollisions(ENVIRONMENT_NAMES, Object.keys(VARIANTS));
if (collisions.length > 0) throw new Error(collisions.join('\n'));
