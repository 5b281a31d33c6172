import type { Construct } from 'constructs';
import { CONTEXT_KEYS, REGIONS } from '../config';
import { DeployPipeline } from '../constructs/deploy-pipeline';
import { ServiceStack, type ServiceStackProps } from './service-stack';

/** The environment the pipeline stack belongs to; its service and region are fixed. */
export type PipelineStackProps = Omit<ServiceStackProps, 'service' | 'region' | 'location' | 'stateful'>;

/** The pipeline lives in the primary region; it deploys both. */
const PIPELINE_REGION = REGIONS[0];

/**
 * `<env>-pipeline-us-east-1`: the environment's own pipeline, in the environment's
 * account, deploying every other stack of the environment. It leaves itself out
 * of its `cdk deploy --all` (`-c pipeline=false`), so a run never updates the
 * pipeline that runs it; a person deploys this stack.
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
      naming: this.names,
      source: this.config.pipeline,
      cdkContext: { [CONTEXT_KEYS.environment]: this.config.name, [CONTEXT_KEYS.pipeline]: 'false' },
      requireApproval: this.config.requireApproval,
      targetAccount: this.config.account,
      targetRegions: REGIONS,
      logRetention: this.config.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
    });
  }
}
