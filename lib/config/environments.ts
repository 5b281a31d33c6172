import type { EnvironmentInput } from './schema';

/** What each environment's file states; the account may be left to the deploying credentials. */
export type EnvironmentSettings = Omit<EnvironmentInput, 'account'> & { readonly account?: string };

const tags = { project: 'webtier', owner: 'platform-team@example.com', costCenter: 'cc-1234' };

/**
 * Every environment's settings. Values marked "set before deploy" in the README
 * (account, hosted zone, domain, alert e-mails, pipeline connection and repository,
 * AMI ids)
 * are placeholders here.
 */
export const ENVIRONMENTS: Readonly<Record<string, EnvironmentSettings>> = {
  dev: {
    name: 'dev',
    regions: {
      'us-east-1': { vpcCidr: '10.10.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] },
      'eu-west-1': { vpcCidr: '10.11.0.0/16', availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
    },
    tags,
    app: {
      instanceTypes: ['c7g.medium', 'm7g.medium'],
      port: 8080,
      minCapacity: 1,
      desiredCapacity: 1,
      maxCapacity: 3,
      healthCheckGraceSeconds: 180,
      wafRateLimitPer5Minutes: 2000,
      amiIds: { 'us-east-1': 'ami-00000000000000001', 'eu-west-1': 'ami-00000000000000002' },
    },
    database: {
      instanceType: 'db.t4g.medium',
      replicaInstanceType: 'db.t4g.medium',
      multiAz: true,
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 100,
      backupRetentionDays: 7,
      backupWindow: '03:00-04:00',
      maintenanceWindow: 'sun:05:00-sun:06:00',
      deletionProtection: false,
      rotationDays: 30,
      monitoringIntervalSeconds: 60,
    },
    alarms: {
      cpuHighPercent: 70,
      cpuLowPercent: 25,
      periodSeconds: 60,
      evaluationPeriods: 3,
      elb5xxCount: 20,
      target5xxCount: 20,
      targetResponseTimeP99Seconds: 2,
      unhealthyHostCount: 1,
      dbCpuHighPercent: 80,
      dbFreeStorageLowGiB: 5,
      dbFreeableMemoryLowMiB: 256,
      dbConnectionsHigh: 100,
      replicaLagSeconds: 300,
    },
    dns: {
      domainName: 'app.dev.example.com',
      hostedZoneId: 'Z0000000000000000DEV',
      hostedZoneName: 'dev.example.com',
      healthCheckIntervalSeconds: 30,
      healthCheckFailureThreshold: 3,
    },
    logRetentionDays: 365,
    alertEmails: ['dev-alerts@example.com'],
    protectStatefulResources: false,
    requireApproval: false,
    pipeline: {
      connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000001',
      repository: 'example-org/webtier-infra',
      branch: 'main',
    },
  },
  test: {
    name: 'test',
    regions: {
      'us-east-1': { vpcCidr: '10.20.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] },
      'eu-west-1': { vpcCidr: '10.21.0.0/16', availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
    },
    tags,
    app: {
      instanceTypes: ['c7g.medium', 'm7g.medium'],
      port: 8080,
      minCapacity: 2,
      desiredCapacity: 2,
      maxCapacity: 4,
      healthCheckGraceSeconds: 180,
      wafRateLimitPer5Minutes: 2000,
      amiIds: { 'us-east-1': 'ami-00000000000000001', 'eu-west-1': 'ami-00000000000000002' },
    },
    database: {
      instanceType: 'db.t4g.medium',
      replicaInstanceType: 'db.t4g.medium',
      multiAz: true,
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 200,
      backupRetentionDays: 7,
      backupWindow: '03:00-04:00',
      maintenanceWindow: 'sun:05:00-sun:06:00',
      deletionProtection: false,
      rotationDays: 30,
      monitoringIntervalSeconds: 60,
    },
    alarms: {
      cpuHighPercent: 70,
      cpuLowPercent: 25,
      periodSeconds: 60,
      evaluationPeriods: 3,
      elb5xxCount: 10,
      target5xxCount: 10,
      targetResponseTimeP99Seconds: 1.5,
      unhealthyHostCount: 1,
      dbCpuHighPercent: 80,
      dbFreeStorageLowGiB: 10,
      dbFreeableMemoryLowMiB: 256,
      dbConnectionsHigh: 150,
      replicaLagSeconds: 120,
    },
    dns: {
      domainName: 'app.test.example.com',
      hostedZoneId: 'Z000000000000000TEST',
      hostedZoneName: 'test.example.com',
      healthCheckIntervalSeconds: 30,
      healthCheckFailureThreshold: 3,
    },
    logRetentionDays: 365,
    alertEmails: ['test-alerts@example.com'],
    protectStatefulResources: false,
    requireApproval: true,
    pipeline: {
      connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000002',
      repository: 'example-org/webtier-infra',
      branch: 'main',
    },
  },
  prod: {
    name: 'prod',
    regions: {
      'us-east-1': { vpcCidr: '10.30.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] },
      'eu-west-1': { vpcCidr: '10.31.0.0/16', availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
    },
    tags,
    app: {
      instanceTypes: ['m7g.large', 'c7g.xlarge'],
      port: 8080,
      minCapacity: 3,
      desiredCapacity: 3,
      maxCapacity: 12,
      healthCheckGraceSeconds: 180,
      wafRateLimitPer5Minutes: 2000,
      amiIds: { 'us-east-1': 'ami-00000000000000001', 'eu-west-1': 'ami-00000000000000002' },
    },
    database: {
      instanceType: 'db.r7g.large',
      replicaInstanceType: 'db.r7g.large',
      multiAz: true,
      allocatedStorageGiB: 100,
      maxAllocatedStorageGiB: 1000,
      backupRetentionDays: 14,
      backupWindow: '03:00-04:00',
      maintenanceWindow: 'sun:05:00-sun:06:00',
      deletionProtection: true,
      rotationDays: 30,
      monitoringIntervalSeconds: 15,
    },
    alarms: {
      cpuHighPercent: 65,
      cpuLowPercent: 25,
      periodSeconds: 60,
      evaluationPeriods: 2,
      elb5xxCount: 5,
      target5xxCount: 5,
      targetResponseTimeP99Seconds: 1,
      unhealthyHostCount: 1,
      dbCpuHighPercent: 75,
      dbFreeStorageLowGiB: 20,
      dbFreeableMemoryLowMiB: 1024,
      dbConnectionsHigh: 400,
      replicaLagSeconds: 60,
    },
    dns: {
      domainName: 'app.example.com',
      hostedZoneId: 'Z00000000000000PROD',
      hostedZoneName: 'example.com',
      healthCheckIntervalSeconds: 10,
      healthCheckFailureThreshold: 3,
    },
    logRetentionDays: 731,
    alertEmails: ['oncall@example.com'],
    protectStatefulResources: true,
    requireApproval: true,
    pipeline: {
      connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000003',
      repository: 'example-org/webtier-infra',
      branch: 'main',
    },
  },
};

/**
 * The environments `-c env=…` accepts, in the order above. Everything per environment
 * (CI's synth, the execution policies, the docs) follows from this list: adding an
 * environment is one entry in {@link ENVIRONMENTS}.
 */
export const ENVIRONMENT_NAMES: readonly string[] = Object.keys(ENVIRONMENTS);
