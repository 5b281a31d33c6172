import { Match } from 'aws-cdk-lib/assertions';
import { REGIONS } from '../lib/config';
import { HEALTH_ALARM_NAMES_OUTPUT, planAlarmNames } from '../lib/stacks/monitoring-stack';
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
    // The alarms that start an automatic activation: test/auto-activation.test.ts.
    const { peerLost, replicationStopped } = planAlarmNames(config, region);
    // The credentials rotation's own alarm, tested below on its own.
    const rotationFailed = `${stackName}-credentials-rotation-failed`;
    const alarms: Record<string, any> = Object.fromEntries(
      ofType('AWS::CloudWatch::Alarm')
        .filter(([, a]) => ![peerLost, replicationStopped, rotationFailed].includes(a.Properties.AlarmName))
        .map(([, a]) => [a.Properties.AlarmName.replace(`${stackName}-`, ''), a.Properties]),
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

    // The alarms on one metric: namespace, metric, statistic, threshold, comparison.
    const single: Record<string, [string, string, string, number, string]> = {
      'unhealthy-hosts': ['AWS/ApplicationELB', 'UnHealthyHostCount', 'Maximum', t.unhealthyHostCount, 'GreaterThanOrEqualToThreshold'],
      'target-response-p99': ['AWS/ApplicationELB', 'TargetResponseTime', 'p99', t.targetResponseTimeP99Seconds, 'GreaterThanOrEqualToThreshold'],
      'rds-cpu-high': ['AWS/RDS', 'CPUUtilization', 'Average', t.dbCpuHighPercent, 'GreaterThanOrEqualToThreshold'],
      'rds-free-storage-low': ['AWS/RDS', 'FreeStorageSpace', 'Minimum', t.dbFreeStorageLowGiB * 1024 ** 3, 'LessThanOrEqualToThreshold'],
      'rds-freeable-memory-low': ['AWS/RDS', 'FreeableMemory', 'Minimum', t.dbFreeableMemoryLowMiB * 1024 ** 2, 'LessThanOrEqualToThreshold'],
      'rds-connections-high': ['AWS/RDS', 'DatabaseConnections', 'Maximum', t.dbConnectionsHigh, 'GreaterThanOrEqualToThreshold'],
      ...(region === 'eu-west-1' && { 'rds-replica-lag': ['AWS/RDS', 'ReplicaLag', 'Maximum', t.replicaLagSeconds, 'GreaterThanOrEqualToThreshold'] }),
    };
    const expected = ['asg-cpu-high', 'alb-elb-5xx', 'alb-target-5xx', ...Object.keys(single)];
    /** The metrics an expression alarm reads, by id: namespace, metric, statistic. */
    const inputs = (name: string) =>
      Object.fromEntries(
        alarms[name].Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, [m.MetricStat.Metric.Namespace, m.MetricStat.Metric.MetricName, m.MetricStat.Stat]]),
      );
    const expression = (name: string) => alarms[name].Metrics.find((m: any) => m.ReturnData !== false);
    const dimension = (name: string, key: string) =>
      JSON.stringify((alarms[name].Dimensions ?? alarms[name].Metrics.find((m: any) => m.MetricStat).MetricStat.Metric.Dimensions).find((d: any) => d.Name === key).Value);

    const peer = REGIONS.find((r) => r !== region)!;

    const probe = `probe-${peer}`;

    it(`has exactly the ${expected.length} alarms of this region and the probe of ${peer}`, () => {
      expect(Object.keys(alarms).sort()).toEqual([...expected, probe].sort());
    });

    it(`pages this region's topic when a step of ${envName}-data-${region}-credentials-rotation fails, and not while nothing rotates`, () => {
      const [, alarm] = ofType('AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.AlarmName === rotationFailed)!;
      expect(alarm.Properties).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: `${envName}-data-${region}-credentials-rotation` }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
      });
      expect(template.toJSON().Outputs[HEALTH_ALARM_NAMES_OUTPUT].Value).not.toContain(rotationFailed);
    });

    it(`names in its ${HEALTH_ALARM_NAMES_OUTPUT} output, for the pipeline's check after this region's wave, its own alarms and not the probe of ${peer}`, () => {
      const output = template.toJSON().Outputs[HEALTH_ALARM_NAMES_OUTPUT];
      expect(output.Value.split(' ').sort()).toEqual(expected.map((purpose) => `${stackName}-${purpose}`).sort());
      expect(output.Value).not.toContain(probe);
    });

    it(`probes ${peer} once a minute from here and pages this region's topic, which does not depend on ${peer}`, () => {
      const path = peer === 'us-east-1' ? '/health/writer' : '/health';
      const [canaryId, canary] = ofType('AWS::Synthetics::Canary')[0];
      expect(canary.Properties.Schedule.Expression).toBe('rate(1 minute)');
      expect(canary.Properties.Code.Script).toContain(JSON.stringify(`https://${peer}.${config.dns.domainName}${path}`));
      expect(alarms[probe]).toMatchObject({
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

    it.each(Object.entries(single))('alarms on %s with the configured threshold and period', (name, [namespace, metric, statistic, threshold, comparison]) => {
      const alarm = alarms[name];
      expect({ namespace: alarm.Namespace, metric: alarm.MetricName, statistic: alarm.Statistic ?? alarm.ExtendedStatistic }).toEqual({ namespace, metric, statistic });
      expect(alarm).toMatchObject({ Threshold: threshold, ComparisonOperator: comparison, Period: period });
    });

    it('pages only when M of the last N periods breach, so one bad period does not page', () => {
      expect(t.pagingDatapointsToAlarm).toBeLessThan(t.pagingEvaluationPeriods);
      // The probe, like Route 53's health checks, counts consecutive failed checks itself (the failure threshold).
      for (const [name, alarm] of Object.entries(alarms).filter(([name]) => name !== probe)) {
        expect({ name, ...alarm }).toMatchObject({ name, DatapointsToAlarm: t.pagingDatapointsToAlarm, EvaluationPeriods: t.pagingEvaluationPeriods });
      }
    });

    it('treats missing data as an outage where silence is bad, and as quiet where it only means no traffic', () => {
      const treatment = Object.fromEntries(Object.entries(alarms).map(([name, alarm]) => [name, alarm.TreatMissingData]));
      expect(treatment).toEqual({
        // A database that stops reporting is stopped or gone.
        'rds-cpu-high': 'breaching',
        'rds-free-storage-low': 'breaching',
        'rds-freeable-memory-low': 'breaching',
        'rds-connections-high': 'breaching',
        ...(region === 'eu-west-1' && { 'rds-replica-lag': 'breaching' }),
        // The load balancer reports host counts with or without traffic.
        'unhealthy-hosts': 'breaching',
        // Request-driven metrics are absent at zero traffic.
        'alb-elb-5xx': 'notBreaching',
        'alb-target-5xx': 'notBreaching',
        'target-response-p99': 'notBreaching',
        // An empty group reports no CPU; the health-check and unhealthy-host alarms page that.
        'asg-cpu-high': 'missing',
        // A probe that stops reporting cannot vouch for the other region.
        [probe]: 'breaching',
      });
    });

    it.each([
      ['alb-elb-5xx', 'HTTPCode_ELB_5XX_Count', t.elb5xxPercent],
      ['alb-target-5xx', 'HTTPCode_Target_5XX_Count', t.target5xxPercent],
    ])('alarms on %s as a percentage of requests, counted as 0 below the request floor', (name, errors, threshold) => {
      expect(expression(name).Expression).toBe(`IF(requests >= ${t.errorRateMinRequests}, 100 * FILL(errors, 0) / requests, 0)`);
      expect(inputs(name)).toEqual({ errors: ['AWS/ApplicationELB', errors, 'Sum'], requests: ['AWS/ApplicationELB', 'RequestCount', 'Sum'] });
      expect(alarms[name]).toMatchObject({ Threshold: threshold, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      for (const m of alarms[name].Metrics.filter((m: any) => m.MetricStat)) expect(m.MetricStat.Period).toBe(period);
    });

    it('pages on high CPU only while the group is at its maximum size', () => {
      expect(expression('asg-cpu-high').Expression).toBe('IF(inService >= maxSize, cpu, 0)');
      expect(inputs('asg-cpu-high')).toEqual({
        cpu: ['AWS/EC2', 'CPUUtilization', 'Average'],
        inService: ['AWS/AutoScaling', 'GroupInServiceInstances', 'Minimum'],
        maxSize: ['AWS/AutoScaling', 'GroupMaxSize', 'Maximum'],
      });
      expect(alarms['asg-cpu-high']).toMatchObject({ Threshold: t.cpuHighPercent, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    });

    it('leaves the CPU scaling alarms, which add and remove instances, out of paging', () => {
      const app = synthesized(envName).template(`${envName}-app-${region}`).toJSON().Resources as Resources;
      const [groupId, group] = Object.entries(app).find(([, r]) => r.Type === 'AWS::AutoScaling::AutoScalingGroup')!;
      // The ceiling alarm reads the group size metrics, which exist only while the group collects them.
      expect(group.Properties.MetricsCollection).toEqual([{ Granularity: '1Minute' }]);
      const scaling = Object.values(app).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
      expect(scaling).toHaveLength(2);
      for (const alarm of scaling) {
        expect(alarm.Properties.AlarmActions.map((a: any) => app[a.Ref]?.Type)).toEqual(['AWS::AutoScaling::ScalingPolicy']);
        expect(alarm.Properties.OKActions).toBeUndefined();
        expect(alarm.Properties.Dimensions).toEqual([{ Name: 'AutoScalingGroupName', Value: { Ref: groupId } }]);
        expect(alarm.Properties.TreatMissingData).toBe('missing');
      }
      const scaleOut = scaling.find((a) => a.Properties.ComparisonOperator === 'GreaterThanOrEqualToThreshold')!;
      expect(scaleOut.Properties).toMatchObject({ Threshold: t.cpuHighPercent, EvaluationPeriods: t.evaluationPeriods });
      expect(scaleOut.Properties.DatapointsToAlarm).toBeUndefined();
    });

    it('wires every alarm to the topic when it fires and when it recovers', () => {
      for (const alarm of Object.values(alarms)) {
        expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
        expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
      }
    });

    it('watches this region\'s ALB, target group, instances and database', () => {
      expect(dimension('alb-elb-5xx', 'LoadBalancer')).toContain(`${envName}-app-${region}`);
      expect(dimension('unhealthy-hosts', 'TargetGroup')).toContain(`${envName}-app-${region}`);
      expect(dimension('asg-cpu-high', 'AutoScalingGroupName')).toContain(`${envName}-app-${region}`);
      expect(dimension('rds-cpu-high', 'DBInstanceIdentifier')).toContain(`${envName}-data-${region}`);
    });

    it('shows the same metrics and the alarms on a dashboard', () => {
      const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0];
      expect(dashboard.Properties.DashboardName).toBe(stackName);
      const body = JSON.stringify(dashboard.Properties.DashboardBody);
      for (const metric of [...Object.values(single).map(([, m]) => m), 'HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count', 'GroupMaxSize']) expect(body).toContain(metric);
      expect(body).toContain('"type\\":\\"alarm\\"');
    });
  });
});
