import { Duration, SizeRoundingBehavior, type Size } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { checkName } from '../naming';

/** When each paging alarm fires, and over how many periods. */
export interface AlarmThresholds {
  /** Period of every metric the alarms evaluate. */
  readonly period: Duration;
  /** N: the periods a paging alarm looks back over. */
  readonly evaluationPeriods: number;
  /** M: how many of those N periods must breach before the alarm fires. */
  readonly datapointsToAlarm: number;
  /** Average instance CPU % at which `asg-cpu-high` breaches, counted only while the group is at its maximum size. */
  readonly cpuHighPercent: number;
  /** % of requests the load balancer itself answers with 5xx at which `alb-elb-5xx` breaches. */
  readonly elb5xxPercent: number;
  /** % of requests the instances answer with 5xx at which `alb-target-5xx` breaches. */
  readonly target5xxPercent: number;
  /** Requests per period below which both 5xx rates count as 0. */
  readonly errorRateMinRequests: number;
  /** The p99 target response time at which `target-response-p99` breaches. */
  readonly targetResponseTimeP99: Duration;
  /** Unhealthy targets at which `unhealthy-hosts` breaches. */
  readonly unhealthyHostCount: number;
  /** Database CPU % at which `rds-cpu-high` breaches. */
  readonly dbCpuHighPercent: number;
  /** Free database storage at or below which `rds-free-storage-low` breaches. */
  readonly dbFreeStorageLow: Size;
  /** Freeable database memory at or below which `rds-freeable-memory-low` breaches. */
  readonly dbFreeableMemoryLow: Size;
  /** Database connections at which `rds-connections-high` breaches. */
  readonly dbConnectionsHigh: number;
  /** Replica lag at which `rds-replica-lag` breaches (read replicas only). */
  readonly replicaLag: Duration;
}

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
  readonly thresholds: AlarmThresholds;
  /** Where alarms and recoveries are sent. */
  readonly topic: sns.ITopic;
  /** Each alarm is named `<namePrefix>-<purpose>`, e.g. `prod-monitoring-us-east-1-rds-cpu-high`. */
  readonly namePrefix: string;
  /** The dashboard's name. */
  readonly dashboardName: string;
  /**
   * With `isReplica`, adds {@link RegionalAlarms.replicationStoppedAlarm}: the replica has replayed
   * nothing for this many minutes, the database's half of the evidence that starts an automatic
   * activation of this region. @default no such alarm
   */
  readonly replicationStoppedAfterMinutes?: number;
}

/** The purpose (name suffix) of the alarm that the replica has replayed nothing for a while. */
export const REPLICATION_STOPPED_ALARM = 'replication-stopped';

/** One paging alarm. */
interface AlarmSpec {
  /** What the alarm watches: a metric, or an expression over metrics. */
  readonly metric: cloudwatch.Metric | cloudwatch.MathExpression;
  /** The value, in the metric's unit, at which a period breaches. */
  readonly threshold: number;
  /** Which side of the threshold breaches. */
  readonly comparison: cloudwatch.ComparisonOperator;
  /** What a period without data counts as, chosen per alarm: see the comment on each. */
  readonly missingData: cloudwatch.TreatMissingData;
  /** What it means when it fires, for the person it pages. */
  readonly description: string;
}

/**
 * The region's paging alarms, each notifying the topic when it fires and when it
 * recovers, and a dashboard of the same metrics. Each fires when M of its last N
 * periods breach (`datapointsToAlarm` of `evaluationPeriods`), so one
 * bad minute does not page; what a period without data means is chosen per alarm.
 */
export class RegionalAlarms extends Construct {
  /** Every alarm, by purpose. */
  public readonly alarms: Record<string, cloudwatch.Alarm> = {};
  /** Every alarm's name, as given (`alarms[…].alarmName` is a reference). */
  public readonly alarmNames: string[] = [];
  /** The region's dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /**
   * Fires when the replica has replayed nothing for `replicationStoppedAfterMinutes`; undefined
   * without it. Not one of `alarms`: it starts a switch instead of describing this region's health.
   */
  public readonly replicationStoppedAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RegionalAlarmsProps) {
    super(scope, id);
    const t = props.thresholds;
    const { period } = t;
    const bytes = (size: Size) => size.toBytes({ rounding: SizeRoundingBehavior.NONE });
    const rds = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName,
        dimensionsMap: { DBInstanceIdentifier: props.databaseInstanceIdentifier },
        statistic,
        period,
      });
    const asg = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/AutoScaling',
        metricName,
        dimensionsMap: { AutoScalingGroupName: props.autoScalingGroup.autoScalingGroupName },
        statistic,
        period,
      });
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const below = cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD;
    const { BREACHING, NOT_BREACHING, MISSING } = cloudwatch.TreatMissingData;
    const requests = props.loadBalancer.metrics.requestCount({ statistic: cloudwatch.Stats.SUM, period });
    // A period without errors has no 5xx datapoint (FILL makes it 0); below the floor the
    // rate is 0, and without requests there is no datapoint at all.
    const errorRate = (errors: cloudwatch.IMetric, label: string) =>
      new cloudwatch.MathExpression({
        expression: `IF(requests >= ${t.errorRateMinRequests}, 100 * FILL(errors, 0) / requests, 0)`,
        usingMetrics: { errors, requests },
        label,
        period,
      });

    const metrics: Record<string, AlarmSpec> = {
      'asg-cpu-high': {
        // CPU counts only while the group is at its maximum size: below it, the scale-out
        // alarm of the app stack adds instances and nobody needs waking.
        metric: new cloudwatch.MathExpression({
          expression: 'IF(inService >= maxSize, cpu, 0)',
          usingMetrics: {
            cpu: new cloudwatch.Metric({
              namespace: 'AWS/EC2',
              metricName: 'CPUUtilization',
              dimensionsMap: { AutoScalingGroupName: props.autoScalingGroup.autoScalingGroupName },
              statistic: cloudwatch.Stats.AVERAGE,
              period,
            }),
            inService: asg('GroupInServiceInstances', cloudwatch.Stats.MINIMUM),
            maxSize: asg('GroupMaxSize', cloudwatch.Stats.MAXIMUM),
          },
          label: 'CPU % while at the maximum size',
          period,
        }),
        threshold: t.cpuHighPercent,
        comparison: above,
        // An empty group reports no CPU; the unhealthy-hosts and health-check alarms page that.
        missingData: MISSING,
        description: 'Average instance CPU is high and the group is at its maximum size: scaling cannot add capacity',
      },
      'alb-elb-5xx': {
        metric: errorRate(props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: cloudwatch.Stats.SUM, period }), 'ELB 5xx %'),
        threshold: t.elb5xxPercent,
        comparison: above,
        // No requests, no rate: a quiet period is not an outage (the health checks watch a dead region).
        missingData: NOT_BREACHING,
        description: 'The load balancer itself answers 5xx to this share of requests: no healthy targets or a capacity problem',
      },
      'alb-target-5xx': {
        metric: errorRate(props.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: cloudwatch.Stats.SUM, period }), 'target 5xx %'),
        threshold: t.target5xxPercent,
        comparison: above,
        missingData: NOT_BREACHING,
        description: 'The application answers 5xx to this share of requests',
      },
      'unhealthy-hosts': {
        // The load balancer named as its own metrics name it (its LoadBalancerFullName attribute): the
        // target group's metric helper cuts the name out of the listener's ARN with Fn::Split, which
        // across stacks becomes Fn::Split over Fn::GetStackOutput, a position cfn-lint rejects (E1022).
        metric: new cloudwatch.Metric({
          namespace: 'AWS/ApplicationELB',
          metricName: 'UnHealthyHostCount',
          dimensionsMap: {
            LoadBalancer: dimension(props.loadBalancer.metrics.requestCount(), 'LoadBalancer'),
            TargetGroup: dimension(props.targetGroup.metrics.requestCount(), 'TargetGroup'),
          },
          statistic: cloudwatch.Stats.MAXIMUM,
          period,
        }),
        threshold: t.unhealthyHostCount,
        comparison: above,
        // The load balancer reports host counts every minute, traffic or not: silence means nobody is watching the hosts.
        missingData: BREACHING,
        description: 'Instances fail the load balancer health check on /health',
      },
      'target-response-p99': {
        metric: props.loadBalancer.metrics.targetResponseTime({ statistic: cloudwatch.Stats.p(99), period }),
        threshold: t.targetResponseTimeP99.toSeconds({ integral: false }),
        comparison: above,
        // Reported only for periods with requests: no traffic is not slowness.
        missingData: NOT_BREACHING,
        description: 'The slowest 1% of responses are too slow',
      },
      // RDS reports these every minute while the instance runs: silence is a stopped, failed or
      // deleted database, which must page rather than turn the alarm OK.
      'rds-cpu-high': {
        metric: rds('CPUUtilization', cloudwatch.Stats.AVERAGE),
        threshold: t.dbCpuHighPercent,
        comparison: above,
        missingData: BREACHING,
        description: 'Database CPU is high, or the database stopped reporting',
      },
      'rds-free-storage-low': {
        metric: rds('FreeStorageSpace', cloudwatch.Stats.MINIMUM),
        threshold: bytes(t.dbFreeStorageLow),
        comparison: below,
        missingData: BREACHING,
        description: 'Database free storage is low (storage autoscaling may be at its ceiling), or the database stopped reporting',
      },
      'rds-freeable-memory-low': {
        metric: rds('FreeableMemory', cloudwatch.Stats.MINIMUM),
        threshold: bytes(t.dbFreeableMemoryLow),
        comparison: below,
        missingData: BREACHING,
        description: 'Database freeable memory is low, or the database stopped reporting',
      },
      'rds-connections-high': {
        metric: rds('DatabaseConnections', cloudwatch.Stats.MAXIMUM),
        threshold: t.dbConnectionsHigh,
        comparison: above,
        missingData: BREACHING,
        description: 'Database connections are close to the limit, or the database stopped reporting',
      },
      ...(props.isReplica && {
        'rds-replica-lag': {
          metric: rds('ReplicaLag', cloudwatch.Stats.MAXIMUM),
          threshold: t.replicaLag.toSeconds({ integral: false }),
          comparison: above,
          // A replica that stops reporting lag is not replicating: the standby is not ready.
          missingData: BREACHING,
          description: 'The standby replica lags the primary, or stopped reporting: a failover now would lose more writes',
        },
      }),
    };

    const notify = new actions.SnsAction(props.topic);
    for (const [purpose, spec] of Object.entries(metrics)) {
      const alarmName = checkName('alarm', `${props.namePrefix}-${purpose}`);
      this.alarmNames.push(alarmName);
      const alarm = spec.metric.createAlarm(this, purpose, {
        alarmName,
        alarmDescription: spec.description,
        threshold: spec.threshold,
        comparisonOperator: spec.comparison,
        evaluationPeriods: t.evaluationPeriods,
        datapointsToAlarm: t.datapointsToAlarm,
        treatMissingData: spec.missingData,
      });
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
      this.alarms[purpose] = alarm;
    }

    if (props.replicationStoppedAfterMinutes !== undefined) {
      if (!props.isReplica) throw new Error('replicationStoppedAfterMinutes needs a read replica');
      this.replicationStoppedAlarm = this.replicationStopped(props, props.replicationStoppedAfterMinutes);
      this.replicationStoppedAlarm.addAlarmAction(notify);
      this.replicationStoppedAlarm.addOkAction(notify);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
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

  /**
   * `ReplicaLag` is how far the replica's last replayed transaction lies behind: with the source gone it
   * grows by a minute every minute, so reaching `minutes` means nothing arrived for that long. A
   * negative lag (how RDS reports a replication that is not running, for some engines) counts the same.
   * Without datapoints the instance is no replica any more (promoted): no evidence, so the trigger
   * that reads this alarm cannot start a second activation.
   */
  private replicationStopped(props: RegionalAlarmsProps, minutes: number): cloudwatch.Alarm {
    const lag = new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName: 'ReplicaLag',
      dimensionsMap: { DBInstanceIdentifier: props.databaseInstanceIdentifier },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
    });
    return new cloudwatch.MathExpression({
      expression: `IF(lag < 0 OR lag >= ${minutes * 60}, 1, 0)`,
      usingMetrics: { lag },
      label: `replica silent for ${minutes} min`,
      period: Duration.minutes(1),
    }).createAlarm(this, REPLICATION_STOPPED_ALARM, {
      alarmName: checkName('alarm', `${props.namePrefix}-${REPLICATION_STOPPED_ALARM}`),
      alarmDescription: `The replica has replayed nothing from the writer's region for ${minutes} min: with the probe's failures, the Region switch plan activates this region by itself (docs/disaster-recovery.md)`,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));
}

/** One dimension of a metric the load balancer or target group builds for itself. */
function dimension(metric: cloudwatch.Metric, name: string): string {
  const value = metric.dimensions?.[name];
  if (typeof value !== 'string') throw new Error(`metric ${metric.metricName} has no ${name} dimension`);
  return value;
}
