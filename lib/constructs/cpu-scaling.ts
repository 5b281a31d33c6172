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
 * Reaction time is period × evaluation periods. These alarms drive capacity and
 * notify nobody: on-call hears of CPU only when the group is at its ceiling
 * (the monitoring stack's `asg-cpu-high`).
 *
 * Built from `StepScalingAction`s rather than `StepScalingPolicy`, which passes its
 * deprecated `cooldown` prop on even when unset and so prints a deprecation warning on
 * every synth. The `Policy` scope and the construct IDs under it are the ones
 * `StepScalingPolicy` used, which keeps the logical IDs of the deployed policies and alarms.
 */
export class CpuStepScaling extends Construct {
  /** The alarm that adds an instance. */
  public readonly scaleOutAlarm: cloudwatch.Alarm;
  /** The alarm that removes an instance. */
  public readonly scaleInAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CpuStepScalingProps) {
    super(scope, id);
    const cpu = new cloudwatch.Metric({
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensionsMap: { AutoScalingGroupName: props.autoScalingGroup.autoScalingGroupName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: props.period,
    });
    const policy = new Construct(this, 'Policy');
    const step = (direction: 'Lower' | 'Upper', threshold: number, change: number, comparisonOperator: cloudwatch.ComparisonOperator) => {
      const action = new autoscaling.StepScalingAction(policy, `${direction}Policy`, {
        autoScalingGroup: props.autoScalingGroup,
        adjustmentType: autoscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        metricAggregationType: autoscaling.MetricAggregationType.AVERAGE,
      });
      // Bounds are relative to the alarm threshold: one step covers everything beyond it.
      action.addAdjustment(change > 0 ? { adjustment: change, lowerBound: 0 } : { adjustment: change, upperBound: 0 });
      const alarm = new cloudwatch.Alarm(policy, `${direction}Alarm`, {
        metric: cpu,
        alarmDescription: `${change > 0 ? 'Adds' : 'Removes'} an instance: drives scaling only and notifies nobody`,
        threshold,
        comparisonOperator,
        evaluationPeriods: props.evaluationPeriods,
        // No CPU datapoints means no instance reports: neither add nor remove capacity on a gap.
        // The group's EC2 and ELB health checks replace instances that went silent.
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      });
      alarm.addAlarmAction({ bind: () => ({ alarmActionArn: action.scalingPolicyArn }) });
      return alarm;
    };
    this.scaleInAlarm = step('Lower', props.scaleInBelowPercent, -1, cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD);
    this.scaleOutAlarm = step('Upper', props.scaleOutAbovePercent, +1, cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD);
  }
}
