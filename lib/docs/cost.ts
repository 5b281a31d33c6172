import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENT_NAMES, loadConfig, REGIONS, type EnvironmentConfig, type RegionName } from '../config';
import { MANAGED_RULE_GROUPS } from '../constructs/web-acl';
import { PROBE_INTERVAL } from '../constructs/peer-region-probe';

/** The dated list prices in lib/docs/list-prices.json, with the page each comes from. */
export interface ListPrices {
  readonly recorded: string;
  readonly about: string;
  readonly hoursPerMonth: number;
  readonly sources: Readonly<Record<string, string>>;
  readonly regions: Readonly<
    Record<
      RegionName,
      {
        readonly ec2PerHour: Readonly<Record<string, number>>;
        readonly rdsSingleAzPerHour: Readonly<Record<string, number>>;
        readonly rdsGp3PerGiBMonthSingleAz: number;
        readonly natGatewayPerHour: number;
        readonly loadBalancerPerHour: number;
        readonly canaryPerRun: number;
      }
    >
  >;
  readonly global: {
    readonly wafWebAclPerMonth: number;
    readonly wafRulePerMonth: number;
    readonly route53HealthCheckPerMonth: number;
    readonly route53OptionalFeaturePerMonth: number;
    readonly regionSwitchPlanPerMonth: number;
  };
}

export const LIST_PRICES_FILE = 'lib/docs/list-prices.json';

/** The list prices, read from their data file. */
export function listPrices(): ListPrices {
  return JSON.parse(readFileSync(path.join(__dirname, '..', '..', LIST_PRICES_FILE), 'utf8')) as ListPrices;
}

/** WAF rules per web ACL: the managed rule groups and the per-IP rate limit (lib/constructs/web-acl.ts). */
const WAF_RULES = MANAGED_RULE_GROUPS.length + 1;
/** The HTTPS health checks (one per region) and the CALCULATED checks over them and the plan's (one per failover record). */
const HTTPS_HEALTH_CHECKS = REGIONS.length;
const CALCULATED_HEALTH_CHECKS = REGIONS.length;
/** Runs a month of each region's canary (lib/constructs/peer-region-probe.ts). */
function canaryRunsPerMonth(prices: ListPrices): number {
  return (prices.hoursPerMonth * 60) / PROBE_INTERVAL.toMinutes();
}

/** One line of the estimate: what it counts and its monthly dollars. */
interface CostLine {
  readonly driver: string;
  readonly count: (config: EnvironmentConfig) => string;
  readonly dollars: (config: EnvironmentConfig, prices: ListPrices) => number;
}

/** The instance type the group launches first (PRIORITIZED on-demand allocation), the one at rest. */
const firstType = (config: EnvironmentConfig): string => config.app.instanceTypes[0];

/** A price from a table of the data file. @throws Error naming the type and the file when it lacks it */
function priceOf(table: Readonly<Record<string, number>>, type: string, region: RegionName): number {
  const price = table[type];
  if (price === undefined) throw new Error(`${type}: no ${region} price in ${LIST_PRICES_FILE}; add it from the source page named there`);
  return price;
}

/** Per region, summed over both. */
const perRegion = (f: (region: RegionName) => number): number => REGIONS.reduce((sum, region) => sum + f(region), 0);

const COST_LINES: readonly CostLine[] = [
  {
    driver: 'NAT gateways (hours; per-GB processing not counted)',
    count: (c) => `${perRegion((r) => c.regions[r].natGateways)}`,
    dollars: (c, p) => perRegion((r) => c.regions[r].natGateways * p.regions[r].natGatewayPerHour * p.hoursPerMonth),
  },
  {
    driver: 'Web instances at `desiredCapacity`, the first configured type',
    count: (c) => `${c.app.desiredCapacity * REGIONS.length} × ${firstType(c)}`,
    dollars: (c, p) => perRegion((r) => c.app.desiredCapacity * priceOf(p.regions[r].ec2PerHour, firstType(c), r) * p.hoursPerMonth),
  },
  {
    driver: 'Database instances: the writer and the replica (Multi-AZ doubles each)',
    count: (c) => `${c.database.instanceType} + ${c.database.replicaInstanceType}${c.database.multiAz ? ', Multi-AZ' : ''}`,
    dollars: (c, p) => {
      const factor = c.database.multiAz ? 2 : 1;
      const writerRegion = c.primaryRegion;
      return perRegion((r) => factor * priceOf(p.regions[r].rdsSingleAzPerHour, r === writerRegion ? c.database.instanceType : c.database.replicaInstanceType, r) * p.hoursPerMonth);
    },
  },
  {
    driver: 'Database storage, gp3 as allocated (Multi-AZ doubles it)',
    count: (c) => `${c.database.allocatedStorageGiB} GiB × ${REGIONS.length}`,
    dollars: (c, p) => perRegion((r) => (c.database.multiAz ? 2 : 1) * c.database.allocatedStorageGiB * p.regions[r].rdsGp3PerGiBMonthSingleAz),
  },
  {
    driver: 'Load balancers (hours; LCUs not counted)',
    count: () => `${REGIONS.length}`,
    dollars: (_c, p) => perRegion((r) => p.regions[r].loadBalancerPerHour * p.hoursPerMonth),
  },
  {
    driver: `WAF web ACLs with ${WAF_RULES} rules each (requests not counted)`,
    count: () => `${REGIONS.length}`,
    dollars: (_c, p) => REGIONS.length * (p.global.wafWebAclPerMonth + WAF_RULES * p.global.wafRulePerMonth),
  },
  {
    driver: 'Canaries probing the other region, one run a minute',
    count: () => `${REGIONS.length}`,
    dollars: (_c, p) => perRegion((r) => canaryRunsPerMonth(p) * p.regions[r].canaryPerRun),
  },
  {
    driver: 'Route 53 health checks: HTTPS (one optional feature, two at a 10 s interval) and CALCULATED; the plan\'s own checks not counted',
    count: (c) => `${HTTPS_HEALTH_CHECKS} HTTPS at ${c.dns.healthCheckIntervalSeconds} s + ${CALCULATED_HEALTH_CHECKS}`,
    dollars: (c, p) => {
      const features = 1 + (c.dns.healthCheckIntervalSeconds === 10 ? 1 : 0);
      return HTTPS_HEALTH_CHECKS * (p.global.route53HealthCheckPerMonth + features * p.global.route53OptionalFeaturePerMonth) + CALCULATED_HEALTH_CHECKS * p.global.route53HealthCheckPerMonth;
    },
  },
  {
    driver: 'The Region switch plan (a monthly price per plan)',
    count: () => '1',
    dollars: (_c, p) => p.global.regionSwitchPlanPerMonth,
  },
];

const dollars = (amount: number): string => `$${Math.round(amount).toLocaleString('en-US')}`;

/** What drives each environment's bill, counted from its config: both regions together. */
export function costDriversTable(): string {
  const configs = ENVIRONMENT_NAMES.map((envName) => loadConfig(envName));
  const header = `| driver | ${ENVIRONMENT_NAMES.join(' | ')} |`;
  const rule = `|---|${ENVIRONMENT_NAMES.map(() => '---|').join('')}`;
  const rows = COST_LINES.map((line) => `| ${line.driver} | ${configs.map((c) => line.count(c)).join(' | ')} |`);
  return [header, rule, ...rows].join('\n');
}

/** The monthly estimate in dollars per environment, line by line, from the config and the dated list prices. */
export function monthlyCostTable(prices: ListPrices = listPrices()): string {
  const configs = ENVIRONMENT_NAMES.map((envName) => loadConfig(envName));
  const header = `| per month, both regions (list prices of ${prices.recorded}) | ${ENVIRONMENT_NAMES.join(' | ')} |`;
  const rule = `|---|${ENVIRONMENT_NAMES.map(() => '---:|').join('')}`;
  const rows = COST_LINES.map((line) => `| ${line.driver} | ${configs.map((c) => dollars(line.dollars(c, prices))).join(' | ')} |`);
  const totals = configs.map((c) => COST_LINES.reduce((sum, line) => sum + line.dollars(c, prices), 0));
  return [header, rule, ...rows, `| **total of the lines above** | ${totals.map((t) => `**${dollars(t)}**`).join(' | ')} |`].join('\n');
}

/** The data file's date, scope and sources, as a list. */
export function priceSourcesList(prices: ListPrices = listPrices()): string {
  return [
    `Prices: \`${LIST_PRICES_FILE}\`, recorded ${prices.recorded}. ${prices.about}`,
    '',
    ...Object.entries(prices.sources).map(([key, url]) => `- ${key}: ${url}`),
  ].join('\n');
}
