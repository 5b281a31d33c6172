import { Match } from 'aws-cdk-lib/assertions';
import { REGIONS } from '../lib/config';
import { synthesized } from './support/assembly';
import { offlineConfig } from './support/synth';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

describe.each(['dev', 'prod'] as const)('%s monitoring', (envName) => {
  const config = offlineConfig(envName);

  describe.each(REGIONS)('in %s', (region) => {
    const stackName = `${envName}-monitoring-${region}`;
    const template = synthesized(envName).template(stackName);
    const resources = template.toJSON().Resources as Resources;
    const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
    const [topicId, topic] = ofType('AWS::SNS::Topic')[0];
    const [keyId, key] = ofType('AWS::KMS::Key')[0];
    const alarms: Record<string, any> = Object.fromEntries(
      ofType('AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties.AlarmName.replace(`${stackName}-`, ''), a.Properties]),
    );
    const t = config.alarms;
    const period = t.periodSeconds;

    it('sends alarms to an SNS topic encrypted with its own key, which CloudWatch may use', () => {
      expect(topic.Properties).toMatchObject({ TopicName: `${stackName}-alerts`, KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.Properties.KeyPolicy.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow' }),
        ]),
      );
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
          ]),
        },
      });
    });

    it('subscribes the configured e-mail addresses', () => {
      expect(ofType('AWS::SNS::Subscription').map(([, s]) => [s.Properties.Protocol, s.Properties.Endpoint, s.Properties.TopicArn])).toEqual(
        config.alertEmails.map((email) => ['email', email, { Ref: topicId }]),
      );
    });

    const expected: Record<string, [string, string, string, number, string]> = {
      'asg-cpu-high': ['AWS/EC2', 'CPUUtilization', 'Average', t.cpuHighPercent, 'GreaterThanOrEqualToThreshold'],
      'alb-elb-5xx': ['AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count', 'Sum', t.elb5xxCount, 'GreaterThanOrEqualToThreshold'],
      'alb-target-5xx': ['AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', 'Sum', t.target5xxCount, 'GreaterThanOrEqualToThreshold'],
      'unhealthy-hosts': ['AWS/ApplicationELB', 'UnHealthyHostCount', 'Maximum', t.unhealthyHostCount, 'GreaterThanOrEqualToThreshold'],
      'target-response-p99': ['AWS/ApplicationELB', 'TargetResponseTime', 'p99', t.targetResponseTimeP99Seconds, 'GreaterThanOrEqualToThreshold'],
      'rds-cpu-high': ['AWS/RDS', 'CPUUtilization', 'Average', t.dbCpuHighPercent, 'GreaterThanOrEqualToThreshold'],
      'rds-free-storage-low': ['AWS/RDS', 'FreeStorageSpace', 'Minimum', t.dbFreeStorageLowGiB * 1024 ** 3, 'LessThanOrEqualToThreshold'],
      'rds-freeable-memory-low': ['AWS/RDS', 'FreeableMemory', 'Minimum', t.dbFreeableMemoryLowMiB * 1024 ** 2, 'LessThanOrEqualToThreshold'],
      'rds-connections-high': ['AWS/RDS', 'DatabaseConnections', 'Maximum', t.dbConnectionsHigh, 'GreaterThanOrEqualToThreshold'],
      ...(region === 'eu-west-1' && { 'rds-replica-lag': ['AWS/RDS', 'ReplicaLag', 'Maximum', t.replicaLagSeconds, 'GreaterThanOrEqualToThreshold'] }),
    };

    const peer = REGIONS.find((r) => r !== region)!;

    it(`has exactly the ${Object.keys(expected).length} alarms of this region and the probe of ${peer}`, () => {
      expect(Object.keys(alarms).sort()).toEqual([...Object.keys(expected), `probe-${peer}`].sort());
    });

    it(`probes ${peer} once a minute from here and pages this region's topic, which does not depend on ${peer}`, () => {
      const path = peer === 'us-east-1' ? '/health/writer' : '/health';
      const [canaryId, canary] = ofType('AWS::Synthetics::Canary')[0];
      expect(canary.Properties.Schedule.Expression).toBe('rate(1 minute)');
      expect(canary.Properties.Code.Script).toContain(JSON.stringify(`https://${peer}.${config.dns.domainName}${path}`));
      expect(alarms[`probe-${peer}`]).toMatchObject({
        Namespace: 'CloudWatchSynthetics',
        MetricName: 'SuccessPercent',
        Dimensions: [{ Name: 'CanaryName', Value: { Ref: canaryId } }],
        Threshold: 100,
        ComparisonOperator: 'LessThanThreshold',
        EvaluationPeriods: config.dns.healthCheckFailureThreshold,
        TreatMissingData: 'breaching',
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
      });
      // Nothing of the other region's stacks: the probe knows only its public name.
      const references = JSON.stringify(template.toJSON()).match(/"Fn::GetStackOutput":\{[^}]*\}/g) ?? [];
      expect(references.filter((r) => r.includes(peer))).toEqual([]);
    });

    it.each(Object.entries(expected))('alarms on %s with the configured threshold and period', (name, [namespace, metric, statistic, threshold, comparison]) => {
      const alarm = alarms[name];
      expect({ namespace: alarm.Namespace, metric: alarm.MetricName, statistic: alarm.Statistic ?? alarm.ExtendedStatistic }).toEqual({ namespace, metric, statistic });
      expect(alarm).toMatchObject({ Threshold: threshold, ComparisonOperator: comparison, Period: period, EvaluationPeriods: t.evaluationPeriods });
    });

    it('wires every alarm to the topic when it fires and when it recovers', () => {
      for (const alarm of Object.values(alarms)) {
        expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
        expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
      }
    });

    it('watches this region\'s ALB, target group, instances and database', () => {
      const dimension = (name: string, key: string) => alarms[name].Dimensions.find((d: any) => d.Name === key).Value;
      expect(JSON.stringify(dimension('alb-elb-5xx', 'LoadBalancer'))).toContain(`${envName}-app-${region}`);
      expect(JSON.stringify(dimension('unhealthy-hosts', 'TargetGroup'))).toContain(`${envName}-app-${region}`);
      expect(JSON.stringify(dimension('asg-cpu-high', 'AutoScalingGroupName'))).toContain(`${envName}-app-${region}`);
      expect(JSON.stringify(dimension('rds-cpu-high', 'DBInstanceIdentifier'))).toContain(`${envName}-data-${region}`);
    });

    it('shows the same metrics and the alarms on a dashboard', () => {
      const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0];
      expect(dashboard.Properties.DashboardName).toBe(stackName);
      const body = JSON.stringify(dashboard.Properties.DashboardBody);
      for (const [, metric] of Object.values(expected)) expect(body).toContain(metric);
      expect(body).toContain('"type\\":\\"alarm\\"');
    });
  });
});
