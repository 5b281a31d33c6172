import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as sns from 'aws-cdk-lib/aws-sns';
import { RegionalAlarms, type AlarmThresholds, type RegionalAlarmsProps } from '../../lib/constructs/regional-alarms';
import { NamingError } from '../../lib/naming';
import { cdkJsonContext } from '../support/synth';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const LOAD_BALANCER_ARN = `arn:aws:elasticloadbalancing:${ENV.region}:${ENV.account}:loadbalancer/app/web/0123456789abcdef`;
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:alerts';

/** Every threshold distinct, so each alarm property shows which field it came from. */
const THRESHOLDS: AlarmThresholds = {
  period: Duration.minutes(2),
  evaluationPeriods: 4,
  datapointsToAlarm: 3,
  cpuHighPercent: 81,
  elb5xxPercent: 3,
  target5xxPercent: 4,
  errorRateMinRequests: 25,
  targetResponseTimeP99: Duration.millis(1500),
  unhealthyHostCount: 2,
  dbCpuHighPercent: 77,
  dbFreeStorageLow: Size.gibibytes(7),
  dbFreeableMemoryLow: Size.mebibytes(300),
  dbConnectionsHigh: 123,
  replicaLag: Duration.minutes(3),
};

function alarmsIn(overrides: Partial<RegionalAlarmsProps> = {}): Template {
  const stack = new Stack(new App({ context: cdkJsonContext() }), 'Monitoring', { env: ENV });
  new RegionalAlarms(stack, 'Alarms', {
    loadBalancer: elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(stack, 'Alb', {
      loadBalancerArn: LOAD_BALANCER_ARN,
      securityGroupId: 'sg-0123456789abcdef0',
    }),
    targetGroup: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, 'Targets', {
      targetGroupArn: `arn:aws:elasticloadbalancing:${ENV.region}:${ENV.account}:targetgroup/web/0123456789abcdef`,
      loadBalancerArns: LOAD_BALANCER_ARN,
    }),
    autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Group', 'web-instances'),
    databaseInstanceIdentifier: 'web-db',
    isReplica: true,
    thresholds: THRESHOLDS,
    topic: sns.Topic.fromTopicArn(stack, 'Topic', TOPIC_ARN),
    namePrefix: 'test-monitoring-eu-west-1',
    dashboardName: 'test-monitoring-eu-west-1',
    ...overrides,
  });
  return Template.fromStack(stack);
}

describe('RegionalAlarms', () => {
  const template = alarmsIn();
  const alarms: Record<string, Record<string, any>> = Object.fromEntries(
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => [a.Properties.AlarmName, a.Properties]),
  );
  const alarm = (purpose: string) => alarms[`test-monitoring-eu-west-1-${purpose}`];

  it('names each alarm <namePrefix>-<purpose> and the dashboard by its own prop', () => {
    expect(Object.keys(alarms).sort()).toEqual(
      [
        'alb-elb-5xx',
        'alb-target-5xx',
        'asg-cpu-high',
        'rds-connections-high',
        'rds-cpu-high',
        'rds-free-storage-low',
        'rds-freeable-memory-low',
        'rds-replica-lag',
        'target-response-p99',
        'unhealthy-hosts',
      ].map((purpose) => `test-monitoring-eu-west-1-${purpose}`),
    );
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'test-monitoring-eu-west-1' });
  });

  it('fires every alarm on datapointsToAlarm of evaluationPeriods periods of the given length', () => {
    for (const properties of Object.values(alarms)) {
      expect(properties).toMatchObject({ EvaluationPeriods: 4, DatapointsToAlarm: 3 });
      const periods = properties.Metrics
        ? properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Period)
        : [properties.Period];
      expect(new Set(periods)).toEqual(new Set([120]));
    }
  });

  it('puts each threshold on its own alarm, times in seconds and sizes in bytes', () => {
    const thresholds = Object.fromEntries(Object.entries(alarms).map(([name, p]) => [name.replace('test-monitoring-eu-west-1-', ''), p.Threshold]));
    expect(thresholds).toEqual({
      'asg-cpu-high': 81,
      'alb-elb-5xx': 3,
      'alb-target-5xx': 4,
      'unhealthy-hosts': 2,
      'target-response-p99': 1.5,
      'rds-cpu-high': 77,
      'rds-free-storage-low': 7 * 1024 ** 3,
      'rds-freeable-memory-low': 300 * 1024 ** 2,
      'rds-connections-high': 123,
      'rds-replica-lag': 180,
    });
  });

  it('counts the 5xx rates as 0 below errorRateMinRequests', () => {
    for (const purpose of ['alb-elb-5xx', 'alb-target-5xx']) {
      const expression = alarm(purpose).Metrics.find((m: any) => m.Expression).Expression;
      expect(expression).toBe('IF(requests >= 25, 100 * FILL(errors, 0) / requests, 0)');
    }
  });

  it('treats missing data as breaching where silence means a stopped source, as not breaching where it means no traffic', () => {
    const missingData = Object.fromEntries(Object.entries(alarms).map(([name, p]) => [name.replace('test-monitoring-eu-west-1-', ''), p.TreatMissingData]));
    expect(missingData).toEqual({
      // An empty group reports no CPU: other alarms page that.
      'asg-cpu-high': 'missing',
      'alb-elb-5xx': 'notBreaching',
      'alb-target-5xx': 'notBreaching',
      'target-response-p99': 'notBreaching',
      'unhealthy-hosts': 'breaching',
      'rds-cpu-high': 'breaching',
      'rds-free-storage-low': 'breaching',
      'rds-freeable-memory-low': 'breaching',
      'rds-connections-high': 'breaching',
      'rds-replica-lag': 'breaching',
    });
  });

  it('notifies the topic when each alarm fires and when it clears, the replication-stopped alarm included', () => {
    const withTrigger = alarmsIn({ replicationStoppedAfterMinutes: 5 }).findResources('AWS::CloudWatch::Alarm');
    const notified = Object.values(withTrigger).map((a) => ({ name: a.Properties.AlarmName, alarm: a.Properties.AlarmActions, ok: a.Properties.OKActions }));
    expect(notified).toHaveLength(11);
    expect(notified).toEqual(notified.map(({ name }) => ({ name, alarm: [TOPIC_ARN], ok: [TOPIC_ARN] })));
  });

  it('adds the replica-lag alarm only for a replica', () => {
    const primary = alarmsIn({ isReplica: false }).findResources('AWS::CloudWatch::Alarm');
    expect(Object.values(primary).map((a) => a.Properties.AlarmName)).not.toContain('test-monitoring-eu-west-1-rds-replica-lag');
    expect(Object.keys(primary)).toHaveLength(9);
  });

  it('refuses a name prefix that makes an alarm name longer than AWS allows', () => {
    expect(() => alarmsIn({ namePrefix: 'x'.repeat(240) })).toThrow(NamingError);
  });
});
