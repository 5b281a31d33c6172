import { RemovalPolicy } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/** The writer parameter's value in a region that holds no writer: its instances serve read-only. */
export const NO_WRITER = 'none';

export interface WriterEndpointProps {
  /** The parameter's name, from the naming helper; the app tier reads it by this name. */
  readonly parameterName: string;
  /** The writer's DNS name, or {@link NO_WRITER} where this region holds none. */
  readonly value: string;
}

/**
 * The SSM parameter that tells a region's instances where the writer is. Each region
 * publishes its own, so the standby needs nothing from the primary region to find the
 * promoted writer. The promotion runbook overwrites the standby's value; CloudFormation
 * writes the template value back only when the parameter itself changes in the template,
 * which is why the value after a switch comes from config (`primaryRegion`).
 */
export class WriterEndpoint extends Construct {
  /** The parameter. */
  public readonly parameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: WriterEndpointProps) {
    super(scope, id);
    this.parameter = new ssm.StringParameter(this, 'Parameter', {
      parameterName: props.parameterName,
      stringValue: props.value,
      description: `Where this region's writer is: its DNS name, or "${NO_WRITER}" while the region serves read-only`,
      tier: ssm.ParameterTier.STANDARD,
    });
    // Nothing here outlives a deploy: the template (with config) can always recreate the value,
    // while a retained, fixed-name leftover would name a writer that may be gone and make the
    // next create fail with "already exists".
    this.parameter.applyRemovalPolicy(RemovalPolicy.DESTROY);
  }
}
