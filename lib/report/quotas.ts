import type { EnvironmentConfig, RegionName } from '../config';

/** A Service Quotas limit that a deploy of this app counts against. */
export interface Quota {
  /** Its name in the Service Quotas console. */
  readonly name: string;
  /** Service and quota code, for `aws service-quotas request-service-quota-increase`. */
  readonly service: string;
  readonly code: string;
  /** The default value of a new account. */
  readonly defaultValue: number;
  /** What one environment uses of it in one region. */
  readonly use: (config: EnvironmentConfig, region: RegionName) => number;
  /** Whether the limit applies per Availability Zone rather than per region. */
  readonly perAvailabilityZone?: boolean;
  /** What it counts where that is not resources, e.g. vCPUs. */
  readonly unit?: string;
}

/**
 * vCPUs of each instance type the web tier may run, from the EC2 instance type specifications
 * (https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html for M7g and T4g,
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/co.html for C7g). Every family here counts
 * against the Standard On-Demand quota below. A type that is missing is refused, not counted as 0:
 * add it here, from the same pages, with the family's quota.
 */
export const INSTANCE_VCPUS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(
    ['m7g', 'c7g'].flatMap((family) =>
      Object.entries({ medium: 1, large: 2, xlarge: 4, '2xlarge': 8, '4xlarge': 16, '8xlarge': 32, '12xlarge': 48, '16xlarge': 64, metal: 64 }).map(([size, vcpus]) => [`${family}.${size}`, vcpus]),
    ),
  ),
  ...Object.fromEntries(Object.entries({ nano: 2, micro: 2, small: 2, medium: 2, large: 2, xlarge: 4, '2xlarge': 8 }).map(([size, vcpus]) => [`t4g.${size}`, vcpus])),
};

/** The vCPUs of an instance type. @throws Error naming the type when the table above lacks it */
export function vcpusOf(instanceType: string): number {
  const vcpus = INSTANCE_VCPUS[instanceType];
  if (vcpus === undefined) {
    throw new Error(`app.instanceTypes: ${instanceType} has no vCPU count in INSTANCE_VCPUS (lib/report/quotas.ts); add it from the EC2 instance type specifications, or the vCPU quota would count it as 0`);
  }
  return vcpus;
}

/** Instances a rolling update launches at once above those in service: the group's UpdatePolicy MaxBatchSize (lib/constructs/web-tier.ts). */
export const ROLLING_UPDATE_BATCH = 1;

/**
 * The most instances one environment's group runs in a region. CPU scaling, which stays on during
 * a rolling update, and a Region switch's scaling step stop at `maxCapacity`. A rolling update keeps
 * `desiredCapacity` in service (MinInstancesInService) and launches each batch above them, within
 * MaxSize: CloudFormation refuses a MinInstancesInService that is not below it, and the schema keeps
 * maxCapacity above desiredCapacity. So the figure is maxCapacity; desiredCapacity + the batch is
 * taken as well, a bound that costs nothing should either rule change. Auto Scaling's AZ
 * rebalancing may briefly go above MaxSize, but a launch the quota refuses it only leaves the group
 * unbalanced a while, unlike a scale-out or a rolling update.
 */
export function peakInstances(config: EnvironmentConfig): number {
  return Math.max(config.app.desiredCapacity + ROLLING_UPDATE_BATCH, config.app.maxCapacity);
}

/** vCPUs one environment may run in a region: its peak instance count, each as large as the largest type configured. */
export function peakVcpus(config: EnvironmentConfig): number {
  return peakInstances(config) * Math.max(...config.app.instanceTypes.map(vcpusOf));
}

/** The quotas that environments sharing an account are most likely to exhaust, with their defaults (Service Quotas, 2026). */
export const QUOTAS: readonly Quota[] = [
  { name: 'EC2-VPC Elastic IPs', service: 'ec2', code: 'L-0263D0A3', defaultValue: 5, use: (c, r) => c.regions[r].natGateways },
  { name: 'VPCs per Region', service: 'vpc', code: 'L-F678F1CE', defaultValue: 5, use: () => 1 },
  { name: 'Internet gateways per Region', service: 'vpc', code: 'L-A4707A72', defaultValue: 5, use: () => 1 },
  { name: 'NAT gateways per Availability Zone', service: 'vpc', code: 'L-FE5A380F', defaultValue: 5, use: () => 1, perAvailabilityZone: true },
  { name: 'Application Load Balancers per Region', service: 'elasticloadbalancing', code: 'L-53DA6B97', defaultValue: 50, use: () => 1 },
  // Counted in vCPUs; Service Quotas' AWS default value is 5 (get-aws-default-service-quota in the
  // AWS CLI reference), and an account's applied value is often higher: the report compares with the default.
  {
    name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
    service: 'ec2',
    code: 'L-1216C47A',
    defaultValue: 5,
    use: (c) => peakVcpus(c),
    unit: 'vCPUs',
  },
];

/** One quota's use by every environment of an account in one region. */
export interface QuotaUse {
  readonly quota: Quota;
  readonly region: RegionName;
  readonly used: number;
  /** True when the default value does not suffice. */
  readonly exceedsDefault: boolean;
}

/**
 * What the environments deployed into one account use of each quota per region, from
 * their configs (the templates follow them: a test compares the two).
 */
export function accountQuotaUse(environments: readonly EnvironmentConfig[], regions: readonly RegionName[]): QuotaUse[] {
  return regions.flatMap((region) =>
    QUOTAS.map((quota) => {
      const used = environments.reduce((sum, config) => sum + quota.use(config, region), 0);
      return { quota, region, used, exceedsDefault: used > quota.defaultValue };
    }),
  );
}

/** The quota lines of the report: what the account needs and which quotas to raise before the first deploy. */
export function formatQuotaUse(account: string, environments: readonly EnvironmentConfig[], use: readonly QuotaUse[]): string[] {
  const lines = [`\nquotas of account ${account} (${environments.map((e) => e.name).join(', ')}), used / default:`];
  for (const region of [...new Set(use.map((u) => u.region))]) {
    const figures = use
      .filter((u) => u.region === region)
      .map((u) => `${u.quota.name}${u.quota.perAvailabilityZone ? ' (each AZ)' : ''} ${u.used}/${u.quota.defaultValue}${u.quota.unit ? ` ${u.quota.unit}` : ''}`);
    lines.push(`  ${region}: ${figures.join(', ')}`);
  }
  for (const u of use.filter((x) => x.exceedsDefault)) {
    lines.push(
      `  raise in ${u.region}: aws service-quotas request-service-quota-increase --region ${u.region} --service-code ${u.quota.service} --quota-code ${u.quota.code} --desired-value ${u.used}`,
    );
  }
  return lines;
}
