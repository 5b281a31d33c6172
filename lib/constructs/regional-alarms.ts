import { Duration } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import type { ServiceNaming } from '../naming';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

export interface RegionalAlarmsProps {
  /** The region's load balancer. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The load balancer's target group. */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /** The region's instances. */
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  /** The region's database instance identifier. */
  readonly databaseInstanceIdentifier: string;
  /** Whether the database is a read replica, which adds the replica-lag alarm. */
  readonly isReplica: boolean;
  /** Thresholds, period and evaluation periods. */
  readonly thresholds: EnvironmentConfig['alarms'];
  /** Where alarms and recoveries are sent. */
  readonly topic: sns.ITopic;
  /** Names for the alarms and dashboard. */
  readonly naming: ServiceNaming;
}

/**
 * The region's alarms, each notifying the topic when it fires and when it
 * recovers, and a dashboard of the same metrics.
 */
export class RegionalAlarms extends Construct {
  /** Every alarm, by purpose. */
  public readonly alarms: Record<string, cloudwatch.Alarm> = {};
  /** The region's dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: RegionalAlarmsProps) {
    super(scope, id);
    const t = props.thresholds;
    const period = Duration.seconds(t.periodSeconds);
    const rds = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName,
        dimensionsMap: { DBInstanceIdentifier: props.databaseInstanceIdentifier },
        statistic,
        period,
      });
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const below = cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD;

    const metrics = {
      'asg-cpu-high': {
        metric: new cloudwatch.Metric({
          namespace: 'AWS/EC2',
          metricName: 'CPUUtilization',
          dimensionsMap: { AutoScalingGroupName: props.autoScalingGroup.autoScalingGroupName },
          statistic: cloudwatch.Stats.AVERAGE,
          period,
        }),
        threshold: t.cpuHighPercent,
        comparison: above,
        description: 'Average instance CPU is high: scaling is at its ceiling or not keeping up',
      },
      'alb-elb-5xx': {
        metric: props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: cloudwatch.Stats.SUM, period }),
        threshold: t.elb5xxCount,
        comparison: above,
        description: 'The load balancer itself answers 5xx: no healthy targets or a capacity problem',
      },
      'alb-target-5xx': {
        metric: props.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: cloudwatch.Stats.SUM, period }),
        threshold: t.target5xxCount,
        comparison: above,
        description: 'The application answers 5xx',
      },
      'unhealthy-hosts': {
        metric: props.targetGroup.metrics.unhealthyHostCount({ statistic: cloudwatch.Stats.MAXIMUM, period }),
        threshold: t.unhealthyHostCount,
        comparison: above,
        description: 'Instances fail the load balancer health check on /health',
      },
      'target-response-p99': {
        metric: props.loadBalancer.metrics.targetResponseTime({ statistic: cloudwatch.Stats.p(99), period }),
        threshold: t.targetResponseTimeP99Seconds,
        comparison: above,
        description: 'The slowest 1% of responses are too slow',
      },
      'rds-cpu-high': {
        metric: rds('CPUUtilization', cloudwatch.Stats.AVERAGE),
        threshold: t.dbCpuHighPercent,
        comparison: above,
        description: 'Database CPU is high',
      },
      'rds-free-storage-low': {
        metric: rds('FreeStorageSpace', cloudwatch.Stats.MINIMUM),
        threshold: t.dbFreeStorageLowGiB * GIB,
        comparison: below,
        description: 'Database free storage is low (storage autoscaling may be at its ceiling)',
      },
      'rds-freeable-memory-low': {
        metric: rds('FreeableMemory', cloudwatch.Stats.MINIMUM),
        threshold: t.dbFreeableMemoryLowMiB * MIB,
        comparison: below,
        description: 'Database freeable memory is low',
      },
      'rds-connections-high': {
        metric: rds('DatabaseConnections', cloudwatch.Stats.MAXIMUM),
        threshold: t.dbConnectionsHigh,
        comparison: above,
        description: 'Database connections are close to the limit',
      },
      ...(props.isReplica && {
        'rds-replica-lag': {
          metric: rds('ReplicaLag', cloudwatch.Stats.MAXIMUM),
          threshold: t.replicaLagSeconds,
          comparison: above,
          description: 'The standby replica lags the primary: a failover now would lose more writes',
        },
      }),
    };

    const notify = new actions.SnsAction(props.topic);
    for (const [purpose, spec] of Object.entries(metrics)) {
      const alarm = spec.metric.createAlarm(this, purpose, {
        alarmName: props.naming.name('alarm', purpose),
        alarmDescription: spec.description,
        threshold: spec.threshold,
        comparisonOperator: spec.comparison,
        evaluationPeriods: t.evaluationPeriods,
        // No requests, no errors: a quiet period is not an outage.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
      this.alarms[purpose] = alarm;
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.naming.name('dashboard'),
      defaultInterval: Duration.hours(3),
      widgets: [
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24 })],
        ...chunk(
          Object.entries(metrics).map(
            ([purpose, spec]) =>
              new cloudwatch.GraphWidget({
                title: spec.description,
                left: [spec.metric],
                leftAnnotations: [{ value: spec.threshold, label: purpose }],
                width: 8,
              }),
          ),
          3,
        ),
      ],
    });
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));
}
