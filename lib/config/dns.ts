import type { EnvironmentConfig, RegionName } from './schema';

/** The region's own name under the application's, e.g. `us-east-1.app.example.com`. */
export function regionalDomainName(config: EnvironmentConfig, region: RegionName): string {
  return `${region}.${config.dns.domainName}`;
}

/** The TTL Route 53 gives alias records that point at a load balancer. */
export const ALIAS_TTL_SECONDS = 60;

/** How long failover takes, in seconds, from the health-check settings. */
export interface FailoverTimings {
  /** Until Route 53 marks the primary unhealthy: interval × failure threshold. */
  readonly detectionSeconds: number;
  /** Until clients resolve the secondary at the latest: detection plus the alias TTL. */
  readonly cutoverSeconds: number;
}

export function failoverTimings(intervalSeconds: number, failureThreshold: number): FailoverTimings {
  const detectionSeconds = intervalSeconds * failureThreshold;
  return { detectionSeconds, cutoverSeconds: detectionSeconds + ALIAS_TTL_SECONDS };
}
