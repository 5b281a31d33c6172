import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CONTEXT_KEYS, peerOf, REGIONS, regionalDomainName, type EnvironmentConfig } from '../config';
import { DeployPipeline, type DeployWave } from '../constructs/deploy-pipeline';
import { HEALTH_CHECK_PATH } from '../constructs/web-server-user-data';
import { Naming } from '../naming';
import { LOAD_BALANCER_DNS_OUTPUT } from './app-stack';
import { HEALTH_ALARM_NAMES_OUTPUT } from './monitoring-stack';
import { ServiceStack, type ServiceStackProps } from './service-stack';

/** The environment the pipeline stack belongs to; its service and region are fixed. */
export type PipelineStackProps = Omit<ServiceStackProps, 'service' | 'region' | 'location' | 'stateful'>;

/** The pipeline lives in the primary region; it deploys both. */
const PIPELINE_REGION = REGIONS[0];

/**
 * The environment's stacks in the order the pipeline deploys them: what holds state
 * first (both regions), then the standby region's app and monitoring, checked before
 * the primary region's, then the global DNS that points at both.
 */
export function deployWaves(config: EnvironmentConfig): DeployWave[] {
  const naming = new Naming(config.name);
  const primary = config.primaryRegion;
  const standby = peerOf(primary);
  return [
    { id: 'Stateful', stackNames: REGIONS.flatMap((region) => [naming.stackName('network', region), naming.stackName('data', region)]) },
    {
      id: 'Standby',
      stackNames: [naming.stackName('app', standby), naming.stackName('monitoring', standby)],
      verify: {
        region: standby,
        healthUrl: `https://${regionalDomainName(config, standby)}${HEALTH_CHECK_PATH}`,
        appStackName: naming.stackName('app', standby),
        loadBalancerDnsOutput: LOAD_BALANCER_DNS_OUTPUT,
        // The alarms the monitoring stack lists as describing the region itself: not the scaling alarms
        // of the app stack, which sit in ALARM whenever the load is low, nor its probe of the primary
        // region, which fails until the primary's app and the DNS (later waves) exist.
        alarmsStackName: naming.stackName('monitoring', standby),
        alarmNamesOutput: HEALTH_ALARM_NAMES_OUTPUT,
        alarmNamePrefix: `${naming.name('alarm', 'monitoring', standby)}-`,
        bakeTime: Duration.seconds(config.alarms.periodSeconds * config.alarms.pagingEvaluationPeriods),
      },
    },
    { id: 'Primary', stackNames: [naming.stackName('app', primary), naming.stackName('monitoring', primary)] },
    { id: 'Global', stackNames: [naming.stackName('dns', 'global')] },
  ];
}

/**
 * `<env>-pipeline-us-east-1`: the environment's own pipeline, in the environment's
 * account, deploying every other stack of the environment in waves. It leaves
 * itself out of its synth (`-c pipeline=false`) and so of every wave, so a run never
 * updates the pipeline that runs it; a person deploys this stack.
 */
export class PipelineStack extends ServiceStack {
  /** The environment's deploy pipeline. */
  public readonly deployPipeline: DeployPipeline;

  constructor(scope: Construct, props: PipelineStackProps) {
    super(scope, {
      ...props,
      service: 'pipeline',
      region: PIPELINE_REGION,
      // Artifacts, keys and build logs: termination protection where config protects state.
      stateful: true,
    });
    this.deployPipeline = new DeployPipeline(this, 'DeployPipeline', {
      pipelineName: this.names.name('pipeline'),
      namePrefix: this.names.name('buildProject'),
      source: this.config.pipeline,
      // strict: the assembly that deploys holds no placeholder and targets the credentials' account.
      cdkContext: { [CONTEXT_KEYS.environment]: this.config.name, [CONTEXT_KEYS.pipeline]: 'false', [CONTEXT_KEYS.strict]: 'true' },
      environmentName: this.config.name,
      waves: deployWaves(this.config),
      requireApproval: this.config.requireApproval,
      targetAccount: this.config.account,
      targetRegions: REGIONS,
      logRetention: this.config.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
    });
  }
}
