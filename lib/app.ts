import type { App } from 'aws-cdk-lib';
import { addCompliancePlugins } from './compliance';
import { REGIONS, type EnvironmentConfig, type RegionName } from './config';
import { NetworkStack } from './stacks/network-stack';
import { PipelineStack } from './stacks/pipeline-stack';
import { applyMandatoryTags } from './tagging';

/** The stacks of one region. */
export interface RegionalStacks {
  readonly network: NetworkStack;
}

/** Every stack of one environment, for wiring and for tests. */
export interface EnvironmentStacks {
  readonly regions: Readonly<Record<RegionName, RegionalStacks>>;
  /** The environment's pipeline, unless left out. */
  readonly pipeline?: PipelineStack;
}

/** What to build besides the environment's application stacks. */
export interface BuildAppOptions {
  /** Whether to build the pipeline stack; the pipeline's own deploy leaves it out so a run never updates itself. @default true */
  readonly includePipeline?: boolean;
}

/**
 * Builds one environment into `app`: its stacks in both regions, its pipeline,
 * the mandatory tags on every taggable resource, and the compliance rule packs.
 */
export function buildApp(app: App, config: EnvironmentConfig, options: BuildAppOptions = {}): EnvironmentStacks {
  applyMandatoryTags(app, config);
  addCompliancePlugins(app);

  const regions = Object.fromEntries(
    REGIONS.map((region) => [region, { network: new NetworkStack(app, { config, region }) }]),
  ) as Record<RegionName, RegionalStacks>;
  const pipeline = options.includePipeline === false ? undefined : new PipelineStack(app, { config });

  return { regions, pipeline };
}
