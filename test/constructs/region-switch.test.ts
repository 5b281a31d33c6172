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
    'await-replication': `arn:aws:lambda:${name}:111111111111:function:prod-data-${name}-switch-await-replication`,
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

  it.each(['us-east-1', 'eu-west-1'])('activates %s in order: approve, fence, await replication, promote, publish, scale, then DNS and backup in parallel', (target) => {
    const workflow = plan.Properties.Workflows.find((w: any) => w.WorkflowTargetRegion === target);
    expect(workflow.WorkflowTargetAction).toBe('activate');
    expect(stepsOf(workflow.Steps)).toEqual([
      ['approve', 'ManualApproval'],
      ['fence-deactivating-region', 'CustomActionLambda'],
      ['await-replication', 'CustomActionLambda'],
      ['promote-database', 'RdsPromoteReadReplica'],
      ['publish-writer', 'CustomActionLambda'],
      ['scale-app', 'EC2AutoScaling'],
      [
        ['shift-dns', 'Route53HealthCheck'],
        ['backup', 'CustomActionLambda'],
      ],
    ]);
    expect(plan.Properties.Workflows.map((w: any) => w.WorkflowTargetAction)).toEqual(['activate', 'activate', 'postRecovery']);
  });

  const workflow = plan.Properties.Workflows[1];
  const parallel = workflow.Steps.find((s: any) => s.ExecutionBlockType === 'Parallel');
  const step = (name: string) => [...workflow.Steps, ...parallel.ExecutionBlockConfiguration.ParallelConfig.Steps].find((s: any) => s.Name === name).ExecutionBlockConfiguration;

  it.each(['us-east-1', 'eu-west-1'])('limits each step of the activation of %s to its own minutes', (target) => {
    const activation = plan.Properties.Workflows.find((w: any) => w.WorkflowTargetRegion === target);
    const flat = (steps: any[]): any[] => steps.flatMap((s) => (s.ExecutionBlockType === 'Parallel' ? flat(s.ExecutionBlockConfiguration.ParallelConfig.Steps) : [s]));
    const minutes = Object.fromEntries(flat(activation.Steps).map((s) => [s.Name, (Object.values(s.ExecutionBlockConfiguration)[0] as { TimeoutMinutes?: number }).TimeoutMinutes]));
    expect(minutes).toEqual({
      approve: 30,
      'fence-deactivating-region': 10,
      'await-replication': 15,
      'promote-database': 60,
      'publish-writer': 15,
      'scale-app': 30,
      'shift-dns': 10,
      backup: 30,
    });
  });

  it('after an ungraceful switch, fences the inactive region once it answers again, in a post-recovery workflow', () => {
    const postRecovery = plan.Properties.Workflows.find((w: any) => w.WorkflowTargetAction === 'postRecovery');
    expect(postRecovery.WorkflowTargetRegion).toBeUndefined();
    expect(stepsOf(postRecovery.Steps)).toEqual([['fence-inactive-region', 'CustomActionLambda']]);
    expect(postRecovery.Steps[0].ExecutionBlockConfiguration.CustomActionLambdaConfig).toEqual({
      Lambdas: [{ Arn: props.primary.actionFunctionArns.fence }, { Arn: props.standby.actionFunctionArns.fence }],
      RegionToRun: 'inactiveRegion',
      RetryIntervalMinutes: 1,
      TimeoutMinutes: 10,
    });
  });

  it('in graceful mode waits, in the activating region, for the replica to replay what the fenced writer wrote; ungraceful skips it', () => {
    expect(step('await-replication').CustomActionLambdaConfig).toEqual({
      Lambdas: [{ Arn: props.primary.actionFunctionArns['await-replication'] }, { Arn: props.standby.actionFunctionArns['await-replication'] }],
      RegionToRun: 'activatingRegion',
      RetryIntervalMinutes: 1,
      TimeoutMinutes: 15,
      Ungraceful: { Behavior: 'skip' },
    });
  });

  it('in ungraceful mode lets the scaling step succeed at half the target, so short EC2 capacity cannot hold DNS back', () => {
    expect(step('scale-app').Ec2AsgCapacityIncreaseConfig.Ungraceful).toEqual({ MinimumSuccessPercentage: 50 });
  });

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
      [['rds:DescribeDBInstances', 'rds:PromoteReadReplica', 'rds:ModifyDBInstance'], [props.primary.dbInstanceArn, props.standby.dbInstanceArn]],
      ['autoscaling:UpdateAutoScalingGroup', [props.primary.autoScalingGroupArn, props.standby.autoScalingGroupArn]],
      ['autoscaling:DescribeAutoScalingGroups', '*'],
      ['cloudwatch:GetMetricStatistics', '*'],
      ['route53:ListResourceRecordSets', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::hostedzone/Z00000000000000PROD']] }],
    ]);
  });

  // What ARC's sample policy of each execution block grants, from its page under
  // https://docs.aws.amazon.com/r53recovery/latest/dg/security_iam_region_switch_execution_blocks.html
  // (security_iam_region_switch_<block>.html). The RDS sample also grants rds:CreateDBInstanceReadReplica,
  // which serves the cross-Region replica block this plan does not use.
  const SAMPLE_POLICY_ACTIONS: Record<string, string[]> = {
    ManualApproval: ['arc-region-switch:ApprovePlanExecutionStep'],
    CustomActionLambda: ['lambda:GetFunction', 'lambda:InvokeFunction'],
    RdsPromoteReadReplica: ['rds:DescribeDBInstances', 'rds:PromoteReadReplica', 'rds:ModifyDBInstance'],
    EC2AutoScaling: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:UpdateAutoScalingGroup', 'cloudwatch:GetMetricStatistics'],
    Route53HealthCheck: ['route53:ListResourceRecordSets'],
  };
  const blockTypes = (steps: any[]): string[] =>
    steps.flatMap((s) => (s.ExecutionBlockType === 'Parallel' ? blockTypes(s.ExecutionBlockConfiguration.ParallelConfig.Steps) : [s.ExecutionBlockType]));

  it("allows the execution role every action of the sample policy of each block the plan uses", () => {
    const used = [...new Set(plan.Properties.Workflows.flatMap((w: any) => blockTypes(w.Steps)))] as string[];
    expect(used.sort()).toEqual(Object.keys(SAMPLE_POLICY_ACTIONS).sort());
    const roleId = plan.Properties.ExecutionRole['Fn::GetAtt'][0];
    const [policy] = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy' && r.Properties.Roles.some((x: any) => x.Ref === roleId));
    const allowed = new Set((policy.Properties.PolicyDocument.Statement as any[]).flatMap((st) => [st.Action].flat()));
    for (const block of used) expect([block, SAMPLE_POLICY_ACTIONS[block].filter((a) => !allowed.has(a))]).toEqual([block, []]);
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
      expect(stepsOf(workflow.Steps).slice(0, 3)).toEqual([
        ['fence-deactivating-region', 'CustomActionLambda'],
        ['await-replication', 'CustomActionLambda'],
        ['promote-database', 'RdsPromoteReadReplica'],
      ]);
      expect(workflow.Steps).toHaveLength(6);
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
