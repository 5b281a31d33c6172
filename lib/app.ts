import { App } from 'aws-cdk-lib';
import {
  ANALYTICS_REPORTING_ENABLED_CONTEXT,
  ASSET_RESOURCE_METADATA_ENABLED_CONTEXT,
  BUNDLING_STACKS,
  FAIL_SYNTH_ON_VALIDATION_ERRORS_CONTEXT,
  PATH_METADATA_ENABLE_CONTEXT,
} from 'aws-cdk-lib/cx-api';
import { addCompliancePlugins, type CompliancePluginOptions } from './compliance';
import { peerOf, REGIONS, type EnvironmentConfig, type RegionName } from './config';
import { AppStack } from './stacks/app-stack';
import { FAILOVER_HEALTH_CHECK_PATHS } from './constructs/failover-dns';
import { DataStack } from './stacks/data-stack';
import { DnsStack } from './stacks/dns-stack';
import { MonitoringStack } from './stacks/monitoring-stack';
import { NetworkStack } from './stacks/network-stack';
import { PipelineStack } from './stacks/pipeline-stack';
import { applyMandatoryTags } from './tagging';

/** Every stack of one environment, for wiring and for tests. */
export interface EnvironmentStacks {
  readonly network: Readonly<Record<RegionName, NetworkStack>>;
  /** Each region's database: the writer in `primaryRegion`, the replica in the other. */
  readonly data: Readonly<Record<RegionName, DataStack>>;
  readonly web: Readonly<Record<RegionName, AppStack>>;
  readonly monitoring: Readonly<Record<RegionName, MonitoringStack>>;
  readonly dns: DnsStack;
  /** The environment's pipeline, unless left out. */
  readonly pipeline?: PipelineStack;
}

/** What to build besides the environment's application stacks. */
export interface BuildAppOptions extends CompliancePluginOptions {
  /** Whether to build the pipeline stack; the pipeline's own deploy leaves it out so a run never updates itself. @default true */
  readonly includePipeline?: boolean;
  /**
   * Whether to run the rule packs at synth. Off only where no template is read: a CLI command
   * that only lists stacks ({@link cliApp}), or a test that compares two builds' templates
   * (and never their findings); every synth, diff and deploy keeps them.
   * @default true
   */
  readonly rulePacks?: boolean;
}

/**
 * The App for a run of the CLI, and whether the command that runs it reads templates. Every
 * command that can deploy, compare or write templates (synth, diff, deploy, watch, import,
 * publish-assets, refactor) tells the app which stacks it bundles assets for, at least one
 * pattern; the others (`cdk ls`, `cdk destroy`, `cdk context`…) pass an empty list. Only
 * those may leave out the rule packs and the CloudFormation validation: they list stacks in
 * seconds, while synth, diff and deploy keep every check. Outside the CLI (no such context)
 * templates are read.
 */
export function cliApp(): { readonly app: App; readonly readsTemplates: boolean } {
  // A first App only reads the CLI's context: whether to validate is fixed when the App is built.
  const bundlingStacks: unknown = new App({ autoSynth: false }).node.tryGetContext(BUNDLING_STACKS);
  const readsTemplates = !(Array.isArray(bundlingStacks) && bundlingStacks.length === 0);
  return { app: new App({ builtinCloudFormationValidation: readsTemplates }), readsTemplates };
}

/**
 * The context the CDK CLI hands an app besides cdk.json's and `-c` (aws-cdk's contextFromSettings,
 * with this project's default settings): the resources' construct paths and asset metadata, the
 * CDKMetadata resource, the stacks to bundle assets for (`['**']` for synth, diff and deploy, none
 * for `cdk ls`), and findings reported rather than thrown (the CLI fails on them itself). An app run
 * with it writes the templates the CLI's run writes: the tests' synth and the change review use it.
 */
export function cliContext(bundlingStacks: readonly string[]): Record<string, unknown> {
  return {
    [PATH_METADATA_ENABLE_CONTEXT]: true,
    [ASSET_RESOURCE_METADATA_ENABLED_CONTEXT]: true,
    [ANALYTICS_REPORTING_ENABLED_CONTEXT]: true,
    [BUNDLING_STACKS]: [...bundlingStacks],
    [FAIL_SYNTH_ON_VALIDATION_ERRORS_CONTEXT]: false,
  };
}

/** One stack per region, built by `build`. */
function perRegion<T>(build: (region: RegionName) => T): Record<RegionName, T> {
  return Object.fromEntries(REGIONS.map((region) => [region, build(region)])) as Record<RegionName, T>;
}

/**
 * Builds one environment into `app`: its stacks in both regions, its pipeline,
 * the mandatory tags on every taggable resource, and the compliance rule packs.
 */
export function buildApp(app: App, config: EnvironmentConfig, options: BuildAppOptions = {}): EnvironmentStacks {
  applyMandatoryTags(app, config);
  if (options.rulePacks !== false) addCompliancePlugins(app, options);

  const primaryRegion = config.primaryRegion;
  const standbyRegion = peerOf(primaryRegion);
  const network = perRegion((region) => new NetworkStack(app, { config, region }));
  const data = perRegion((region) => new DataStack(app, { config, region, network: network[region] }));
  const web = perRegion((region) => new AppStack(app, { config, region, network: network[region], database: data[region].endpoint }));
  const monitoring = perRegion(
    (region) =>
      new MonitoringStack(app, {
        config,
        region,
        app: web[region],
        database: data[region].endpoint,
        isReplica: region === standbyRegion,
        peerRegion: peerOf(region),
        peerHealthCheckPath: FAILOVER_HEALTH_CHECK_PATHS[region === primaryRegion ? 'Secondary' : 'Primary'],
      }),
  );
  const dns = new DnsStack(app, { config, apps: web, topic: monitoring[REGIONS[0]].topic });

  // The references above already imply most of this order; stating it keeps `cdk deploy --all`
  // correct even where a later change removes a reference. The replica's region deploys after the
  // writer's, whose instance it replicates (a name, not a reference, so nothing else orders them).
  data[standbyRegion].addStackDependency(data[primaryRegion]);
  for (const region of REGIONS) {
    data[region].addStackDependency(network[region]);
    web[region].addStackDependency(network[region]);
    web[region].addStackDependency(data[region]);
    monitoring[region].addStackDependency(web[region]);
    dns.addStackDependency(web[region]);
  }
  dns.addStackDependency(monitoring[REGIONS[0]]);

  const pipeline = options.includePipeline === false ? undefined : new PipelineStack(app, { config });

  return { network, data, web, monitoring, dns, pipeline };
}
