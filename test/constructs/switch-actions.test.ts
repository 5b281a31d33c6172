import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { FENCE_STEP } from '../../lib/constructs/region-switch';
import { SwitchActions, type SwitchActionsProps } from '../../lib/constructs/switch-actions';
import { NamingError } from '../../lib/naming';

type Props = Omit<SwitchActionsProps, 'vpc'>;
const props: Props = {
  writerParameterName: 'prod-data-eu-west-1-writer-endpoint',
  dbInstanceIdentifier: 'prod-data-eu-west-1-g1',
  fencedInstanceIdentifiers: ['prod-data-eu-west-1', 'prod-data-eu-west-1-g1'],
  fencedSecurityGroupName: 'prod-data-eu-west-1-fenced-database',
  planName: 'prod-dns-global-switch',
  fenceStepName: FENCE_STEP,
  secretName: 'prod-data-eu-west-1-credentials',
  secretKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/secret',
  backupVaultName: 'prod-data-eu-west-1-vault',
  backupVaultKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/vault',
  functionNamePrefix: 'prod-data-eu-west-1-switch',
  logRetention: logs.RetentionDays.ONE_YEAR,
  removalPolicy: RemovalPolicy.RETAIN,
};

function synth(overrides: Partial<Props> = {}) {
  const stack = new Stack(new App(), 'Data', { env: { account: '111111111111', region: 'eu-west-1' }, stackName: 'prod-data-eu-west-1' });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const actions = new SwitchActions(stack, 'Switch', { ...props, vpc, ...overrides });
  return { stack, actions, template: Template.fromStack(stack) };
}

const { template } = synth();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
const ARN = (service: string, resource: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:eu-west-1:111111111111:${resource}`]] });

/** The statements of the managed policy attached to the role of `functionName`, without its log statement. */
function statementsOf(functionName: string) {
  const fn = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === functionName)!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy' && r.Properties.Roles?.some((x: any) => x.Ref === roleId));
  expect(policies).toHaveLength(1);
  const inline = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles?.some((x: any) => x.Ref === roleId));
  expect(inline).toHaveLength(0);
  return (policies[0].Properties.PolicyDocument.Statement as any[]).filter((s) => !String(s.Action).startsWith('logs:'));
}

describe('SwitchActions', () => {
  it('creates one function per action, named <prefix>-<action>, each with its own role', () => {
    const fns = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(fns.map((f) => [f.Properties.FunctionName, f.Properties.Handler, f.Properties.Runtime])).toEqual([
      ['prod-data-eu-west-1-switch-fence', 'switch_actions.fence_handler', 'python3.12'],
      ['prod-data-eu-west-1-switch-await-replication', 'switch_actions.await_replication_handler', 'python3.12'],
      ['prod-data-eu-west-1-switch-publish-writer', 'switch_actions.publish_writer_handler', 'python3.12'],
      ['prod-data-eu-west-1-switch-backup', 'switch_actions.backup_handler', 'python3.12'],
    ]);
    expect(new Set(fns.map((f) => f.Properties.Role['Fn::GetAtt'][0])).size).toBe(4);
  });

  it('encrypts with a key that rotates every year', () => {
    const keys = Object.values(template.findResources('AWS::KMS::Key')).map((k) => ({ rotates: k.Properties.EnableKeyRotation, days: k.Properties.RotationPeriodInDays ?? 365 }));
    expect(keys).toEqual(Array(1).fill({ rotates: true, days: 365 }));
  });

  it('reserves no concurrency, which a new account’s low concurrency quota would refuse', () => {
    const fns = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(fns).toHaveLength(4);
    expect(fns.filter((f) => 'ReservedConcurrentExecutions' in f.Properties).map((f) => f.Properties.FunctionName)).toEqual([]);
  });

  it('lets fence write the writer parameter, and modify every instance this region has had and only this stack’s parameter groups', () => {
    expect(statementsOf('prod-data-eu-west-1-switch-fence')).toEqual([
      { Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: ARN('ssm', 'parameter/prod-data-eu-west-1-writer-endpoint') },
      { Effect: 'Allow', Action: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'], Resource: [ARN('rds', 'db:prod-data-eu-west-1'), ARN('rds', 'db:prod-data-eu-west-1-g1')] },
      { Effect: 'Allow', Action: ['rds:DescribeDBParameters', 'rds:ModifyDBParameterGroup'], Resource: ARN('rds', 'pg:prod-data-eu-west-1-*') },
    ]);
  });

  it('fences into a security group without any ingress, kept as long as the state it fences', () => {
    const fn = Object.values(resources).find((r) => r.Properties.FunctionName === 'prod-data-eu-west-1-switch-fence')!;
    const groupId = fn.Properties.Environment.Variables.FENCED_SECURITY_GROUP_ID['Fn::GetAtt'][0];
    expect(resources[groupId].Type).toBe('AWS::EC2::SecurityGroup');
    expect(resources[groupId].Properties.SecurityGroupIngress).toBeUndefined();
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress')).toEqual([]);
    expect((template.toJSON().Resources[groupId] as { DeletionPolicy: string }).DeletionPolicy).toBe('Retain');
    expect(fn.Properties.Environment.Variables).toMatchObject({
      WRITER_PARAMETER: 'prod-data-eu-west-1-writer-endpoint',
      DB_INSTANCE_IDS: 'prod-data-eu-west-1,prod-data-eu-west-1-g1',
      PARAMETER_GROUP_PREFIX: 'prod-data-eu-west-1-',
    });
  });

  it('lets await-replication describe the local instance, read its executions of this one plan, and read metrics', () => {
    expect(statementsOf('prod-data-eu-west-1-switch-await-replication')).toEqual([
      { Effect: 'Allow', Action: 'rds:DescribeDBInstances', Resource: ARN('rds', 'db:prod-data-eu-west-1-g1') },
      {
        Effect: 'Allow',
        Action: 'arc-region-switch:GetPlanExecution',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':arc-region-switch::111111111111:plan/prod-dns-global-switch:*']] },
      },
      { Effect: 'Allow', Action: 'cloudwatch:GetMetricStatistics', Resource: '*' },
    ]);
    const fn = Object.values(resources).find((r) => r.Properties.FunctionName === 'prod-data-eu-west-1-switch-await-replication')!;
    expect(fn.Properties.Environment.Variables).toEqual({ DB_INSTANCE_ID: 'prod-data-eu-west-1-g1', FENCE_STEP: 'fence-deactivating-region', SAMPLES: '1', SETTLE_SECONDS: '30' });
  });

  it('lets publish-writer describe the instance, write the parameter, and write this region’s own secret, with its key through Secrets Manager only', () => {
    expect(statementsOf('prod-data-eu-west-1-switch-publish-writer')).toEqual([
      { Effect: 'Allow', Action: 'rds:DescribeDBInstances', Resource: ARN('rds', 'db:prod-data-eu-west-1-g1') },
      { Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: ARN('ssm', 'parameter/prod-data-eu-west-1-writer-endpoint') },
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        Resource: ARN('secretsmanager', 'secret:prod-data-eu-west-1-credentials-??????'),
      },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: props.secretKeyArn,
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
      },
    ]);
  });

  it('lets backup start jobs only into the vault, passing only its own backup role to AWS Backup', () => {
    const [start, pass, list] = statementsOf('prod-data-eu-west-1-switch-backup');
    expect(start).toEqual({ Effect: 'Allow', Action: 'backup:StartBackupJob', Resource: ARN('backup', 'backup-vault:prod-data-eu-west-1-vault') });
    expect(pass).toMatchObject({ Action: 'iam:PassRole', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SwitchBackupServiceRole/), 'Arn'] }, Condition: { StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } } });
    expect(list).toEqual({ Effect: 'Allow', Action: 'backup:ListBackupJobs', Resource: '*' });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'backup.amazonaws.com' } })] },
    });
  });

  it('writes each function’s logs to its own encrypted log group with the given retention', () => {
    for (const action of ['fence', 'await-replication', 'publish-writer', 'backup']) {
      template.hasResource('AWS::Logs::LogGroup', {
        Properties: { LogGroupName: `prod-data-eu-west-1-switch-${action}`, RetentionInDays: 365, KmsKeyId: Match.anyValue() },
        DeletionPolicy: 'Retain',
      });
    }
  });

  it('refuses a prefix that makes a function name longer than Lambda allows', () => {
    expect(() => synth({ functionNamePrefix: 'x'.repeat(60) })).toThrow(NamingError);
  });
});
