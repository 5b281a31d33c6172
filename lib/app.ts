import type { App } from 'aws-cdk-lib';
import { addCompliancePlugins } from './compliance';
import { REGIONS, type EnvironmentConfig, type RegionName } from './config';
import { NetworkStack } from './stacks/network-stack';
import { applyMandatoryTags } from './tagging';

/** The stacks of one region. */
export interface RegionalStacks {
  readonly network: NetworkStack;
}

/** Every stack of one environment, for wiring and for tests. */
export interface EnvironmentStacks {
  readonly regions: Readonly<Record<RegionName, RegionalStacks>>;
}

/**
 * Builds one environment into `app`: its stacks in both regions, the mandatory
 * tags on every taggable resource, and the compliance rule packs.
 */
export function buildApp(app: App, config: EnvironmentConfig): EnvironmentStacks {
  applyMandatoryTags(app, config);
  addCompliancePlugins(app);

  const regions = Object.fromEntries(
    REGIONS.map((region) => [region, { network: new NetworkStack(app, { config, region }) }]),
  ) as Record<RegionName, RegionalStacks>;

  return { regions };
}
