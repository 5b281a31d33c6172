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
}

/** The quotas that environments sharing an account are most likely to exhaust, with their defaults (Service Quotas, 2026). */
export const QUOTAS: readonly Quota[] = [
  { name: 'EC2-VPC Elastic IPs', service: 'ec2', code: 'L-0263D0A3', defaultValue: 5, use: (c, r) => c.regions[r].natGateways },
  { name: 'VPCs per Region', service: 'vpc', code: 'L-F678F1CE', defaultValue: 5, use: () => 1 },
  { name: 'Internet gateways per Region', service: 'vpc', code: 'L-A4707A72', defaultValue: 5, use: () => 1 },
  { name: 'NAT gateways per Availability Zone', service: 'vpc', code: 'L-FE5A380F', defaultValue: 5, use: () => 1, perAvailabilityZone: true },
  { name: 'Application Load Balancers per Region', service: 'elasticloadbalancing', code: 'L-53DA6B97', defaultValue: 50, use: () => 1 },
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
    const figures = use.filter((u) => u.region === region).map((u) => `${u.quota.name}${u.quota.perAvailabilityZone ? ' (each AZ)' : ''} ${u.used}/${u.quota.defaultValue}`);
    lines.push(`  ${region}: ${figures.join(', ')}`);
  }
  for (const u of use.filter((x) => x.exceedsDefault)) {
    lines.push(
      `  raise in ${u.region}: aws service-quotas request-service-quota-increase --region ${u.region} --service-code ${u.quota.service} --quota-code ${u.quota.code} --desired-value ${u.used}`,
    );
  }
  return lines;
}
