import { ENVIRONMENT_NAMES, failoverTimings } from '../lib/config';
import { healthCheckAttribute } from '../lib/constructs/plan-health-checks';
import { synthesized } from './support/assembly';
import { offlineConfig } from './support/synth';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

/** Failover figures as the template states them. */
function templateTimings(envName: (typeof ENVIRONMENT_NAMES)[number]) {
  const resources = synthesized(envName).template(`${envName}-dns-global`).toJSON().Resources as Resources;
  const checks = Object.values(resources).filter((r) => r.Type === 'AWS::Route53::HealthCheck' && r.Properties.HealthCheckConfig.Type === 'HTTPS');
  return checks.map((c) => failoverTimings(c.Properties.HealthCheckConfig.RequestInterval, c.Properties.HealthCheckConfig.FailureThreshold));
}

describe.each(['dev', 'prod'] as const)('%s DNS', (envName) => {
  const config = offlineConfig(envName);
  const assembly = synthesized(envName);
  const stackName = `${envName}-dns-global`;
  const resources = assembly.template(stackName).toJSON().Resources as Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const records = ofType('AWS::Route53::RecordSet').map(([, r]) => r.Properties);
  const httpsChecks = ofType('AWS::Route53::HealthCheck').filter(([, c]) => c.Properties.HealthCheckConfig.Type === 'HTTPS');
  const checks = Object.fromEntries(httpsChecks.map(([id, c]) => [c.Properties.HealthCheckConfig.FullyQualifiedDomainName, id]));
  const [planId, plan] = ofType('AWS::ARCRegionSwitch::Plan')[0];
  const [lookupId, lookup] = ofType('Custom::RegionSwitchPlanHealthChecks')[0];
  /** The plan's own Route 53 health check of a region, as ARC names it: healthy only while the plan has made the region active. */
  const planCheckOf = (region: string) => ({ 'Fn::GetAtt': [lookupId, healthCheckAttribute(region)] });
  const albOf = (record: any) => record.AliasTarget.DNSName['Fn::Join'][1][1]['Fn::GetStackOutput'];

  it('is deployed once per environment, in us-east-1', () => {
    expect(assembly.stackEnvironment(stackName)).toMatch(/\/us-east-1$/);
  });

  // The primary counts as healthy only with a reachable writer; the standby while it serves, read-only included.
  it.each([
    ['us-east-1', '/health/writer'],
    ['eu-west-1', '/health'],
  ])('health-checks https://%s.<app>%s with the configured interval and threshold', (region, resourcePath) => {
    const fqdn = `${region}.${config.dns.domainName}`;
    expect(resources[checks[fqdn]].Properties.HealthCheckConfig).toMatchObject({
      Type: 'HTTPS',
      FullyQualifiedDomainName: fqdn,
      Port: 443,
      ResourcePath: resourcePath,
      EnableSNI: true,
      RequestInterval: config.dns.healthCheckIntervalSeconds,
      FailureThreshold: config.dns.healthCheckFailureThreshold,
    });
  });

  it('answers the application name from us-east-1 while active and healthy, else from eu-west-1', () => {
    const failover = records.filter((r) => r.Name === `${config.dns.domainName}.`);
    expect(failover.map((r) => [r.Failover, albOf(r).StackName, albOf(r).Region, r.AliasTarget.EvaluateTargetHealth])).toEqual([
      ['PRIMARY', `${envName}-app-us-east-1`, 'us-east-1', true],
      ['SECONDARY', `${envName}-app-eu-west-1`, 'eu-west-1', true],
    ]);
    for (const record of failover) expect(record).toMatchObject({ Type: 'A', HostedZoneId: config.dns.hostedZoneId, SetIdentifier: expect.any(String) });
  });

  // Issue #13: a region that passes its HTTPS check again must not take traffic back on its own.
  it.each([
    ['PRIMARY', 'us-east-1'],
    ['SECONDARY', 'eu-west-1'],
  ])('no automatic fail-back: the %s record is healthy only while the Region switch plan has made %s active AND its HTTPS check passes', (role, region) => {
    const record = records.find((r) => r.Name === `${config.dns.domainName}.` && r.Failover === role)!;
    const recordCheck = resources[record.HealthCheckId.Ref];
    expect(recordCheck.Type).toBe('AWS::Route53::HealthCheck');
    expect(recordCheck.Properties.HealthCheckConfig).toEqual({
      Type: 'CALCULATED',
      ChildHealthChecks: [planCheckOf(region), { Ref: checks[`${region}.${config.dns.domainName}`] }],
      HealthThreshold: 2,
      Inverted: false,
    });
  });

  it('lets no failover record use a health check that the plan does not control', () => {
    const failover = records.filter((r) => r.Name === `${config.dns.domainName}.`);
    expect(failover).toHaveLength(2);
    for (const record of failover) {
      const config = resources[record.HealthCheckId.Ref].Properties.HealthCheckConfig;
      expect(config.ChildHealthChecks).toContainEqual({ 'Fn::GetAtt': [lookupId, expect.stringMatching(/^HealthCheckId/)] });
      expect(config.HealthThreshold).toBe(config.ChildHealthChecks.length);
      expect(config.Inverted).toBe(false);
    }
  });

  // The order of the plan's PlanHealthChecks attribute is not documented; ARC's list names each check's region.
  it('takes each region\'s plan health check from ARC\'s own list for this plan, record and zone, never from a position in PlanHealthChecks', () => {
    expect(lookup.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^PlanHealthChecksFunction/), 'Arn'] },
      ServiceTimeout: '900',
      PlanArn: { 'Fn::GetAtt': [planId, 'Arn'] },
      Regions: plan.Properties.Regions,
      HostedZoneId: config.dns.hostedZoneId,
      RecordName: config.dns.domainName,
      PlanHealthChecks: { 'Fn::GetAtt': [planId, 'PlanHealthChecks'] },
    });
    expect(JSON.stringify(resources)).not.toContain('"Fn::Select"');
    const fn = resources[lookup.Properties.ServiceToken['Fn::GetAtt'][0]];
    expect(fn.Properties).toMatchObject({ Handler: 'plan_health_checks.handler', FunctionName: `${envName}-dns-global-switch-health-checks` });
    const role = fn.Properties.Role['Fn::GetAtt'][0];
    const policies = ofType('AWS::IAM::ManagedPolicy').filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === role));
    expect(policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement.map((s: any) => [s.Action, s.Resource]))).toEqual([
      ['arc-region-switch:ListRoute53HealthChecks', { 'Fn::GetAtt': [planId, 'Arn'] }],
      [['logs:CreateLogStream', 'logs:PutLogEvents'], expect.anything()],
    ]);
  });

  it('maps each failover record to its region in the plan, which lives in us-east-1 with both regions', () => {
    expect(plan.Properties).toMatchObject({ RecoveryApproach: 'activePassive', Regions: ['us-east-1', 'eu-west-1'], PrimaryRegion: 'us-east-1' });
    const failover = records.filter((r) => r.Name === `${config.dns.domainName}.`);
    for (const workflow of plan.Properties.Workflows.filter((w: any) => w.WorkflowTargetAction === 'activate')) {
      const shift = workflow.Steps.flatMap((s: any) => (s.ExecutionBlockType === 'Parallel' ? s.ExecutionBlockConfiguration.ParallelConfig.Steps : [s])).find((s: any) => s.ExecutionBlockType === 'Route53HealthCheck');
      expect(shift.ExecutionBlockConfiguration.Route53HealthCheckConfig).toMatchObject({
        HostedZoneId: config.dns.hostedZoneId,
        RecordName: config.dns.domainName,
        RecordSets: failover.map((r) => ({ RecordSetIdentifier: r.SetIdentifier, Region: albOf(r).Region })),
      });
    }
  });

  it('runs the switch actions the data stacks name <env>-data-<region>-switch-<action>, each in its own region', () => {
    const lambdaSteps = plan.Properties.Workflows.flatMap((w: any) => w.Steps.flatMap((s: any) => (s.ExecutionBlockType === 'Parallel' ? s.ExecutionBlockConfiguration.ParallelConfig.Steps : [s])))
      .filter((s: any) => s.ExecutionBlockType === 'CustomActionLambda');
    const arns = lambdaSteps.flatMap((s: any) => s.ExecutionBlockConfiguration.CustomActionLambdaConfig.Lambdas.map((l: any) => JSON.stringify(l.Arn)));
    for (const region of ['us-east-1', 'eu-west-1']) {
      for (const action of ['fence', 'await-replication', 'publish-writer', 'backup']) {
        expect(arns).toContainEqual(expect.stringContaining(`:lambda:${region}:${config.account}:function:${envName}-data-${region}-switch-${action}`));
      }
    }
  });

  it('reads both load balancers through cross-region references, not written names', () => {
    for (const record of records) {
      expect(albOf(record).OutputName).toMatch(/LoadBalancer.*DNSName/);
      expect(record.AliasTarget.HostedZoneId['Fn::GetStackOutput'].OutputName).toMatch(/CanonicalHostedZoneID/);
    }
  });

  it('gives each region its own alias record for its health check', () => {
    for (const region of ['us-east-1', 'eu-west-1']) {
      const record = records.find((r) => r.Name === `${region}.${config.dns.domainName}.`)!;
      expect(albOf(record).Region).toBe(region);
      expect(record.Failover).toBeUndefined();
    }
  });

  it('alarms on each health check in us-east-1 and notifies the us-east-1 topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({ Namespace: 'AWS/Route53', MetricName: 'HealthCheckStatus', Statistic: 'Minimum', Threshold: 1, ComparisonOperator: 'LessThanThreshold' });
      // Route 53 publishes the status every minute while the check exists: silence is an outage, not health.
      expect(alarm).toMatchObject({ TreatMissingData: 'breaching', EvaluationPeriods: 1, Period: 60 });
      expect(Object.values(checks)).toContainEqual(alarm.Dimensions[0].Value.Ref);
      for (const actions of [alarm.AlarmActions, alarm.OKActions]) {
        expect(actions[0]['Fn::GetStackOutput']).toMatchObject({ StackName: `${envName}-monitoring-us-east-1`, Region: 'us-east-1' });
      }
    }
  });
});

describe('failover figures', () => {
  it('detect a prod outage within 30 s and cut traffic over within 90 s', () => {
    for (const { detectionSeconds, cutoverSeconds } of templateTimings('prod')) {
      expect(detectionSeconds).toBeLessThanOrEqual(30);
      expect(cutoverSeconds).toBeLessThanOrEqual(90);
    }
  });
});
