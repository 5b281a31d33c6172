import type { EnvironmentConfig, RegionName } from './schema';

/** The region's own name under the application's, e.g. `us-east-1.app.example.com`. */
export function regionalDomainName(config: EnvironmentConfig, region: RegionName): string {
  return `${region}.${config.dns.domainName}`;
}
