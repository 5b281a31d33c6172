import type { App } from 'aws-cdk-lib';
import { addCompliancePlugins } from './compliance';
import { REGIONS, type EnvironmentConfig, type RegionName } from './config';
import { PrimaryDataStack, SecondaryDataStack } from './stacks/data-stacks';
import { NetworkStack } from './stacks/network-stack';
import { applyMandatoryTags } from './tagging';

/** Every stack of one environment, for wiring and for tests. */
export interface EnvironmentStacks {
  readonly network: Readonly<Record<RegionName, NetworkStack>>;
  readonly primaryData: PrimaryDataStack;
  readonly secondaryData: SecondaryDataStack;
}

/**
 * Builds one environment into `app`: its stacks in both regions, the mandatory
 * tags on every taggable resource, and the compliance rule packs.
 */
export function buildApp(app: App, config: EnvironmentConfig): EnvironmentStacks {
  applyMandatoryTags(app, config);
  addCompliancePlugins(app);

  const [primaryRegion, standbyRegion] = REGIONS;
  const network = Object.fromEntries(REGIONS.map((region) => [region, new NetworkStack(app, { config, region })])) as Record<
    RegionName,
    NetworkStack
  >;
  const primaryData = new PrimaryDataStack(app, { config, region: primaryRegion, network: network[primaryRegion], standbyRegion });
  const secondaryData = new SecondaryDataStack(app, {
    config,
    region: standbyRegion,
    network: network[standbyRegion],
    primary: primaryData,
  });

  return { network, primaryData, secondaryData };
}
