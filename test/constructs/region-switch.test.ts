import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RegionSwitch, type RegionSwitchProps, type RegionSwitchRegion } from '../../lib/constructs/region-switch';
import { NamingError } from '../../lib/naming';

const region = (name: string): RegionSwitchRegion => ({
  region: name,
  dbInstanceArn: `arn:aws:rds:${name}:111111111111:db:prod-data-${name}`,
  autoScalingGroupArn: `arn:aws:autoscaling:${name}:111111111111:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/prod-app-${name}`,
  actionFunctionArns: {
    fence: `arn:aws:lambda:${name}:111111111111:function:prod-data-${name}-switch-fence`,
    'publish-writer': `arn:aws:lambda:${name}:111111111111:function:prod-data-${name}-switch-publish-writer`,
    backup: `arn:aws:lambda:${name}:111111111111:function:prod-data-${name}-switch-backup`,
  },
  recordSetIdentifier: `${name === 'us-east-1' ? 'primary' : 'secondary'}-${name}`,
});
const props: RegionSwitchProps = {
  planName: 'prod-dns-global-switch',
  primary: region('us-east-1'),
  standby: region('eu-west-1'),
  hostedZoneId: 'Z00000000000000PROD',
  recordName: 'app.example.com',
  recoveryTimeObjectiveMinutes: 60,
  approval: { timeoutMinutes: 30 },
};

function synth(overrides: Partial<RegionSwitchProps> = {}) {
  const stack = new Stack(new App(), 'Dns', { env: { account: '111111111111', region: 'us-east-1' } });
  const rs = new RegionSwitch(stack, 'Switch', { ...props, ...overrides });
  return { rs, template: Template.fromStack(stack) };
}
const { template } = synth();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any; DependsOn?: string[] }>;
const [planId, plan] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::ARCRegionSwitch::Plan')!;

/** A workflow's steps as [name, block type], a parallel block as its steps' list. */
const stepsOf = (steps: any[]): unknown[] =>
  steps.map((s) => (s.ExecutionBlockType === 'Parallel' ? stepsOf(s.ExecutionBlockConfiguration.ParallelConfig.Steps) : [s.Name, s.ExecutionBlockType]));

describe('RegionSwitch', () => {
  it('is an active/passive plan over both regions with us-east-1 primary', () => {
    expect(plan.Properties).toMatchObject({
      Name: 'prod-dns-global-switch',
      RecoveryApproach: 'activePassive',
      Regions: ['us-east-1', 'eu-west-1'],
      PrimaryRegion: 'us-east-1',
      RecoveryTimeObjectiveMinutes: 60,
    });
  });

  it.each(['us-east-1', 'eu-west-1'])('activates %s in order: approve, fence, promote, publish, scale, then DNS and backup in parallel', (target) => {
    const workflow = plan.Properties.Workflows.find((w: any) => w.WorkflowTargetRegion === target);
    expect(workflow.WorkflowTargetAction).toBe('activate');
    expect(stepsOf(workflow.Steps)).toEqual([
      ['approve', 'ManualApproval'],
      ['fence-deactivating-region', 'CustomActionLambda'],
      ['promote-database', 'RdsPromoteReadReplica'],
      ['publish-writer', 'CustomActionLambda'],
      ['scale-app', 'EC2AutoScaling'],
      [
        ['shift-dns', 'Route53HealthCheck'],
        ['backup', 'CustomActionLambda'],
      ],
    ]);
    expect(plan.Properties.Workflows).toHaveLength(2);
  });

  const workflow = plan.Properties.Workflows[1];
  const step = (name: string) => [...workflow.Steps, ...workflow.Steps[5].ExecutionBlockConfiguration.ParallelConfig.Steps].find((s: any) => s.Name === name).ExecutionBlockConfiguration;

  it('fences the deactivating region and skips that in ungraceful mode; every other action runs in the activating region', () => {
    expect(step('fence-deactivating-region').CustomActionLambdaConfig).toMatchObject({
      RegionToRun: 'deactivatingRegion',
      Ungraceful: { Behavior: 'skip' },
      Lambdas: [{ Arn: props.primary.actionFunctionArns.fence }, { Arn: props.standby.actionFunctionArns.fence }],
    });
    expect(step('publish-writer').CustomActionLambdaConfig.RegionToRun).toBe('activatingRegion');
    expect(step('publish-writer').CustomActionLambdaConfig.Ungraceful).toBeUndefined();
    expect(step('backup').CustomActionLambdaConfig.RegionToRun).toBe('activatingRegion');
  });

  it('promotes by instance ARN per region, scales to 100 % of the other group, and maps each failover record to its region', () => {
    expect(step('promote-database').RdsPromoteReadReplicaConfig.DbInstanceArnMap).toEqual({ 'us-east-1': props.primary.dbInstanceArn, 'eu-west-1': props.standby.dbInstanceArn });
    expect(step('scale-app').Ec2AsgCapacityIncreaseConfig).toMatchObject({ TargetPercent: 100, Asgs: [{ Arn: props.primary.autoScalingGroupArn }, { Arn: props.standby.autoScalingGroupArn }] });
    expect(step('shift-dns').Route53HealthCheckConfig).toEqual({
      HostedZoneId: props.hostedZoneId,
      RecordName: props.recordName,
      RecordSets: [
        { RecordSetIdentifier: 'primary-us-east-1', Region: 'us-east-1' },
        { RecordSetIdentifier: 'secondary-eu-west-1', Region: 'eu-west-1' },
      ],
      TimeoutMinutes: 10,
    });
  });

  it('executes as a role the Region switch service assumes, allowed exactly what its blocks call on these resources', () => {
    const roleId = plan.Properties.ExecutionRole['Fn::GetAtt'][0];
    expect(resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'arc-region-switch.amazonaws.com' } },
    ]);
    const policies = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && r.Properties.Roles.some((x: any) => x.Ref === roleId));
    expect(policies).toHaveLength(1);
    expect(plan.DependsOn).toContain(policies[0][0]);
    const planArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':arc-region-switch::111111111111:plan/prod-dns-global-switch:*']] };
    const fns = [props.primary, props.standby].flatMap((r) => Object.values(r.actionFunctionArns));
    expect(policies[0][1].Properties.PolicyDocument.Statement.map((s: any) => [s.Action, s.Resource])).toEqual([
      ['iam:SimulatePrincipalPolicy', { 'Fn::GetAtt': [roleId, 'Arn'] }],
      [['arc-region-switch:GetPlan', 'arc-region-switch:GetPlanExecution', 'arc-region-switch:ListPlanExecutions'], planArn],
      ['arc-region-switch:ApprovePlanExecutionStep', planArn],
      [['lambda:GetFunction', 'lambda:InvokeFunction'], fns],
      [['rds:DescribeDBInstances', 'rds:PromoteReadReplica'], [props.primary.dbInstanceArn, props.standby.dbInstanceArn]],
      ['autoscaling:UpdateAutoScalingGroup', [props.primary.autoScalingGroupArn, props.standby.autoScalingGroupArn]],
      ['autoscaling:DescribeAutoScalingGroups', '*'],
      ['cloudwatch:GetMetricStatistics', '*'],
      ['route53:ListResourceRecordSets', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::hostedzone/Z00000000000000PROD']] }],
    ]);
  });

  it('waits for approval with a role that may approve only this plan', () => {
    expect(step('approve').ExecutionApprovalConfig).toEqual({ ApprovalRole: { 'Fn::GetAtt': [expect.stringMatching(/^SwitchApprovalRole/), 'Arn'] }, TimeoutMinutes: 30 });
    expect(planId).toMatch(/^SwitchPlan/);
  });

  describe('without an approval', () => {
    const { rs, template: unapproved } = synth({ approval: false });
    const [unapprovedPlan] = Object.values(unapproved.findResources('AWS::ARCRegionSwitch::Plan'));
    const policies = Object.values(unapproved.findResources('AWS::IAM::ManagedPolicy'));

    it.each(['us-east-1', 'eu-west-1'])('activates %s starting at fencing', (target) => {
      const workflow = unapprovedPlan.Properties.Workflows.find((w: any) => w.WorkflowTargetRegion === target);
      expect(stepsOf(workflow.Steps).slice(0, 2)).toEqual([
        ['fence-deactivating-region', 'CustomActionLambda'],
        ['promote-database', 'RdsPromoteReadReplica'],
      ]);
      expect(workflow.Steps).toHaveLength(5);
    });

    it('has no approval role, and the execution role may not approve steps', () => {
      expect(rs.approvalRole).toBeUndefined();
      expect(Object.keys(unapproved.findResources('AWS::IAM::Role'))).toEqual([expect.stringMatching(/^SwitchExecutionRole/)]);
      expect(policies).toHaveLength(1);
      expect(JSON.stringify(policies[0].Properties.PolicyDocument)).not.toContain('ApprovePlanExecutionStep');
    });
  });

  it('refuses a plan name Region switch would reject', () => {
    expect(() => synth({ planName: 'a-plan-name-that-is-far-too-long-for-arc' })).toThrow(NamingError);
  });
});
