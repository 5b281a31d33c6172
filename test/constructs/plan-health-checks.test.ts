import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as arc from 'aws-cdk-lib/aws-arcregionswitch';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PlanHealthChecks } from '../../lib/constructs/plan-health-checks';
import { NamingError } from '../../lib/naming';

function synth(functionName = 'prod-dns-global-switch-health-checks', removalPolicy = RemovalPolicy.RETAIN) {
  const stack = new Stack(new App(), 'Dns', { env: { account: '111111111111', region: 'us-east-1' } });
  // The lookup reads only the plan's ARN and PlanHealthChecks attributes.
  const plan = new arc.CfnPlan(stack, 'Plan', { name: 'p', executionRole: 'arn:aws:iam::111111111111:role/r', recoveryApproach: 'activePassive', regions: ['us-east-1', 'eu-west-1'], workflows: [] });
  const lookup = new PlanHealthChecks(stack, 'Lookup', {
    plan,
    regions: ['us-east-1', 'eu-west-1'],
    hostedZoneId: 'Z00000000000000PROD',
    recordName: 'app.example.com',
    functionName,
    logRetention: logs.RetentionDays.TWO_YEARS,
    removalPolicy,
  });
  return { stack, lookup, template: Template.fromStack(stack) };
}

describe('PlanHealthChecks', () => {
  const { stack, lookup, template } = synth();

  it('answers a region by the custom resource attribute the handler writes for it', () => {
    expect(stack.resolve(lookup.healthCheckIdOf('eu-west-1'))).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Lookup/), 'HealthCheckIdEuWest1'] });
    expect(() => lookup.healthCheckIdOf('ap-south-1')).toThrow(/ap-south-1 is not a region of the plan \(us-east-1, eu-west-1\)/);
  });

  it('runs the handler of lib/lambda/plan_health_checks.py, logging to its own encrypted group kept as told', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'prod-dns-global-switch-health-checks', Handler: 'plan_health_checks.handler', Runtime: 'python3.12', Timeout: 720 });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: 'prod-dns-global-switch-health-checks', RetentionInDays: 731, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LookupLogKey'), 'Arn'] } },
      DeletionPolicy: 'Retain',
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  it('encrypts its log group with a key that rotates every year', () => {
    const keys = Object.values(template.findResources('AWS::KMS::Key')).map((k) => ({ rotates: k.Properties.EnableKeyRotation, days: k.Properties.RotationPeriodInDays ?? 365 }));
    expect(keys).toEqual(Array(1).fill({ rotates: true, days: 365 }));
  });

  it('refuses a function name Lambda would reject', () => {
    expect(() => synth('a'.repeat(65))).toThrow(NamingError);
  });
});
