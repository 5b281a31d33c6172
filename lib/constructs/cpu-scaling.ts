import type { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

export interface CpuStepScalingProps {
  /** The group to scale. */
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** Average CPU % above which an instance is added. */
  readonly scaleOutAbovePercent: number;
  /** Average CPU % below which an instance is removed. */
  readonly scaleInBelowPercent: number;
  /** Period of the CPU metric the alarms evaluate. */
  readonly period: Duration;
  /** Consecutive periods beyond a threshold before the alarm acts. */
  readonly evaluationPeriods: number;
}

/**
 * Step scaling on the group's average CPU: one CloudWatch alarm above the high
 * threshold adds an instance, one below the low threshold removes one.
 * Reaction time is period × evaluation periods.
 */
export class CpuStepScaling extends Construct {
  /** The policy, with `upperAlarm` (scale out) and `lowerAlarm` (scale in). */
  public readonly policy: autoscaling.StepScalingPolicy;

  constructor(scope: Construct, id: string, props: CpuStepScalingProps) {
    super(scope, id);
    const cpu = new cloudwatch.Metric({
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensionsMap: { AutoScalingGroupName: props.autoScalingGroup.autoScalingGroupName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: props.period,
    });
    this.policy = new autoscaling.StepScalingPolicy(this, 'Policy', {
      autoScalingGroup: props.autoScalingGroup,
      metric: cpu,
      adjustmentType: autoscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      scalingSteps: [
        { upper: props.scaleInBelowPercent, change: -1 },
        { lower: props.scaleOutAbovePercent, change: +1 },
      ],
      evaluationPeriods: props.evaluationPeriods,
    });
  }
}
