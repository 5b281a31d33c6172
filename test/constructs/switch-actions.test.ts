import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { SwitchActions } from '../../lib/constructs/switch-actions';
import { NamingError } from '../../lib/naming';

const props = {
  writerParameterName: 'prod-data-eu-west-1-writer-endpoint',
  dbInstanceIdentifier: 'prod-data-eu-west-1',
  secretName: 'prod-data-us-east-1-credentials',
  secretKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/secret',
  backupVaultName: 'prod-data-eu-west-1-vault',
  backupVaultKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/vault',
  functionNamePrefix: 'prod-data-eu-west-1-switch',
  logRetention: logs.RetentionDays.ONE_YEAR,
  removalPolicy: RemovalPolicy.RETAIN,
};

function synth(overrides: Partial<typeof props> = {}) {
  const stack = new Stack(new App(), 'Data', { env: { account: '111111111111', region: 'eu-west-1' } });
  const actions = new SwitchActions(stack, 'Switch', { ...props, ...overrides });
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
      ['prod-data-eu-west-1-switch-publish-writer', 'switch_actions.publish_writer_handler', 'python3.12'],
      ['prod-data-eu-west-1-switch-backup', 'switch_actions.backup_handler', 'python3.12'],
    ]);
    expect(new Set(fns.map((f) => f.Properties.Role['Fn::GetAtt'][0])).size).toBe(3);
  });

  it('lets fence read and write only the writer parameter', () => {
    expect(statementsOf('prod-data-eu-west-1-switch-fence')).toEqual([
      { Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: ARN('ssm', 'parameter/prod-data-eu-west-1-writer-endpoint') },
    ]);
  });

  it('lets publish-writer describe the instance, write the parameter, promote and write the secret, with its key through Secrets Manager only', () => {
    expect(statementsOf('prod-data-eu-west-1-switch-publish-writer')).toEqual([
      { Effect: 'Allow', Action: 'rds:DescribeDBInstances', Resource: ARN('rds', 'db:prod-data-eu-west-1') },
      { Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: ARN('ssm', 'parameter/prod-data-eu-west-1-writer-endpoint') },
      {
        Effect: 'Allow',
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:StopReplicationToReplica'],
        Resource: ARN('secretsmanager', 'secret:prod-data-us-east-1-credentials-??????'),
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
    for (const action of ['fence', 'publish-writer', 'backup']) {
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
