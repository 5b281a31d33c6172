import * as path from 'node:path';
import { ArnFormat, Duration, Stack, Tags, type RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, asNagShowsIt, type Acknowledgement } from '../compliance/acknowledge';
import { checkName } from '../naming';
import { EncryptionKey } from './encryption-key';
import { regionSwitchPlanArn } from './region-switch';
import { WRITER_CACHE_SECONDS } from './web-server-user-data';

/** The custom actions of the switch, in the order the plan runs them. */
export const SWITCH_ACTIONS = ['fence', 'await-replication', 'publish-writer', 'backup'] as const;
/** One custom action. */
export type SwitchAction = (typeof SWITCH_ACTIONS)[number];

/** How long one run of an action may take; Region switch reruns it after the step's retry interval. */
export const SWITCH_ACTION_TIMEOUT = Duration.minutes(1);

/** The handler of each action in lib/lambda/switch_actions.py. */
const HANDLERS: Record<SwitchAction, string> = {
  fence: 'switch_actions.fence_handler',
  'await-replication': 'switch_actions.await_replication_handler',
  'publish-writer': 'switch_actions.publish_writer_handler',
  backup: 'switch_actions.backup_handler',
};

/** How the graceful switch decides the replica holds everything the fenced writer wrote (lib/lambda/switch_actions.py). */
export const REPLICATION_CATCH_UP = {
  /** Whole minutes after the fence in which the source's `OldestReplicationSlotLag` reached 0: one proves it, as nothing is written after the fence. */
  samples: 1,
  /** Seconds after the fence step ends before a minute counts: the instances' cache of the writer parameter. */
  settleSeconds: WRITER_CACHE_SECONDS,
} as const;

export interface SwitchActionsProps {
  /** The writer parameter of this region (an SSM String parameter), by name. */
  readonly writerParameterName: string;
  /** This region's database instance: the replica before a switch, the writer after it. */
  readonly dbInstanceIdentifier: string;
  /**
   * Every instance this region has had, the current one included (previous generations may have
   * been kept, retained, after a switch): the fence makes each that still exists and is standalone
   * refuse writes.
   */
  readonly fencedInstanceIdentifiers: string[];
  /** The region's VPC, which holds the fenced security group. */
  readonly vpc: ec2.IVpc;
  /** The Name tag of the fenced security group. */
  readonly fencedSecurityGroupName: string;
  /** The Region switch plan whose executions run these actions (its name), read by `await-replication`. */
  readonly planName: string;
  /** The plan's step that fences the deactivated region, whose end `await-replication` waits after. */
  readonly fenceStepName: string;
  /** This region's credentials secret, by name, whose `host` publish-writer sets. */
  readonly secretName: string;
  /** The customer managed key that encrypts that secret, which GetSecretValue and PutSecretValue use. */
  readonly secretKeyArn: string;
  /** This region's AWS Backup vault, which receives the on-demand backup after a switch. */
  readonly backupVaultName: string;
  /** The KMS key of that vault, which the backup role encrypts the recovery point with. */
  readonly backupVaultKeyArn: string;
  /** A backup job of the instance started this many hours ago or later counts as this switch's. @default 12 */
  readonly backupWindowHours?: number;
  /** Function names are `${functionNamePrefix}-<action>`. */
  readonly functionNamePrefix: string;
  /** How long the functions' logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log key and log groups when they leave the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The custom actions the Region switch plan runs in one region: `fence` (this region's
 * writer parameter to `none`), `publish-writer` (the promoted instance into the writer
 * parameter and the secret's `host`) and `backup` (an on-demand backup of the promoted
 * instance). One function and one role per action, each role allowed exactly the
 * resources of its action in this region, so a switch needs nothing from the other region.
 */
export class SwitchActions extends Construct {
  /** The functions, by action; the plan needs their ARNs. */
  public readonly functions: Readonly<Record<SwitchAction, lambda.Function>>;
  /** The role AWS Backup runs the on-demand job as. */
  public readonly backupRole: iam.Role;
  /** The security group a fenced instance is moved to: no ingress, so no new connection reaches it. */
  public readonly fencedSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: SwitchActionsProps) {
    super(scope, id);
    const names = Object.fromEntries(SWITCH_ACTIONS.map((action) => [action, checkName('lambdaFunction', `${props.functionNamePrefix}-${action}`)])) as Record<SwitchAction, string>;
    // Named like the function, not /aws/lambda/…: the function logs to it through its logging
    // configuration, and the name keeps the stack's <environment>-<service>-<region> prefix.
    const logGroupNames = SWITCH_ACTIONS.map((action) => checkName('logGroup', names[action]));
    const logKey = new EncryptionKey(this, 'LogKey', { description: `Encrypts the logs of the Region switch actions ${props.functionNamePrefix}-*`, removalPolicy: props.removalPolicy });
    logKey.allowLogGroups(...logGroupNames);

    this.backupRole = this.createBackupRole(props);
    this.fencedSecurityGroup = new ec2.SecurityGroup(this, 'FencedSecurityGroup', {
      vpc: props.vpc,
      description: 'A fenced database: no ingress at all, so no application reaches a writer that must not write',
      allowAllOutbound: false,
    });
    this.fencedSecurityGroup.applyRemovalPolicy(props.removalPolicy);
    Tags.of(this.fencedSecurityGroup).add('Name', props.fencedSecurityGroupName);
    const arns = this.resourceArns(props);
    const stack = Stack.of(this);
    // CloudFormation names a parameter group it creates `<stack name>-<logical ID>-<suffix>`, and RDS keeps it lower case.
    const parameterGroupPrefix = `${stack.stackName.toLowerCase()}-`;
    const parameterGroups = stack.formatArn({ service: 'rds', resource: 'pg', resourceName: `${parameterGroupPrefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const statements: Record<SwitchAction, iam.PolicyStatement[]> = {
      fence: [
        new iam.PolicyStatement({ actions: ['ssm:GetParameter', 'ssm:PutParameter'], resources: [arns.parameter] }),
        new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'], resources: arns.fencedInstances }),
        new iam.PolicyStatement({
          actions: ['rds:DescribeDBParameters', 'rds:ModifyDBParameterGroup'],
          resources: [parameterGroups],
        }),
      ],
      'await-replication': [
        new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [arns.dbInstance] }),
        new iam.PolicyStatement({ actions: ['arc-region-switch:GetPlanExecution'], resources: [arns.plan] }),
        // GetMetricStatistics has no resource-level permissions (Service Authorization Reference, CloudWatch).
        new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricStatistics'], resources: ['*'] }),
      ],
      'publish-writer': [
        new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [arns.dbInstance] }),
        new iam.PolicyStatement({ actions: ['ssm:GetParameter', 'ssm:PutParameter'], resources: [arns.parameter] }),
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
          resources: [arns.secret],
        }),
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.secretKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
        }),
      ],
      backup: [
        new iam.PolicyStatement({ actions: ['backup:StartBackupJob'], resources: [arns.vault] }),
        new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [this.backupRole.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } } }),
        // ListBackupJobs has no resource-level permissions (Service Authorization Reference, AWS Backup).
        new iam.PolicyStatement({ actions: ['backup:ListBackupJobs'], resources: ['*'] }),
      ],
    };
    const planPatternReason = 'Region switch appends a six-character id it chooses to the plan ARN; the pattern names this one plan.';
    const acknowledgements: Partial<Record<SwitchAction, Acknowledgement[]>> = {
      fence: [
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::${asNagShowsIt(this, parameterGroups)}]`,
          reason: 'CloudFormation names the parameter groups it creates after the stack with a random suffix; the pattern is this stack’s groups, whose read-only setting the fence turns on.',
        },
      ],
      'await-replication': [
        { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'cloudwatch:GetMetricStatistics has no resource-level permissions; the function reads one metric, the source instance’s OldestReplicationSlotLag.' },
        { id: `AwsSolutions::AwsSolutions-IAM5[Resource::${asNagShowsIt(this, arns.plan)}]`, reason: planPatternReason },
      ],
      backup: [{ id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'backup:ListBackupJobs has no resource-level permissions; the function filters by this instance and vault in the call.' }],
    };
    const environment: Record<SwitchAction, Record<string, string>> = {
      fence: {
        WRITER_PARAMETER: props.writerParameterName,
        DB_INSTANCE_IDS: props.fencedInstanceIdentifiers.join(','),
        FENCED_SECURITY_GROUP_ID: this.fencedSecurityGroup.securityGroupId,
        PARAMETER_GROUP_PREFIX: parameterGroupPrefix,
      },
      'await-replication': {
        DB_INSTANCE_ID: props.dbInstanceIdentifier,
        FENCE_STEP: props.fenceStepName,
        SAMPLES: String(REPLICATION_CATCH_UP.samples),
        SETTLE_SECONDS: String(REPLICATION_CATCH_UP.settleSeconds),
      },
      'publish-writer': { WRITER_PARAMETER: props.writerParameterName, DB_INSTANCE_ID: props.dbInstanceIdentifier, SECRET_ID: props.secretName },
      backup: {
        BACKUP_VAULT: props.backupVaultName,
        DB_INSTANCE_ARN: arns.dbInstance,
        BACKUP_ROLE_ARN: this.backupRole.roleArn,
        BACKUP_WINDOW_HOURS: String(props.backupWindowHours ?? 12),
      },
    };

    this.functions = Object.fromEntries(
      SWITCH_ACTIONS.map((action, i) => [action, this.createFunction(action, names[action], logGroupNames[i], logKey, statements[action], environment[action], acknowledgements[action] ?? [], props)]),
    ) as Record<SwitchAction, lambda.Function>;
  }

  /** ARNs built from names in this stack's region and account: nothing comes from the other region. */
  private resourceArns(props: SwitchActionsProps) {
    const stack = Stack.of(this);
    const dbArn = (identifier: string) => stack.formatArn({ service: 'rds', resource: 'db', resourceName: identifier, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    return {
      parameter: stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: props.writerParameterName }),
      dbInstance: dbArn(props.dbInstanceIdentifier),
      fencedInstances: props.fencedInstanceIdentifiers.map(dbArn),
      plan: regionSwitchPlanArn(this, props.planName),
      // Secrets Manager appends a hyphen and six random characters to the name in the ARN.
      secret: stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${props.secretName}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      vault: stack.formatArn({ service: 'backup', resource: 'backup-vault', resourceName: props.backupVaultName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    };
  }

  /** The role the on-demand backup runs as: AWS Backup's managed backup policy, as the scheduled plan uses. */
  private createBackupRole(props: SwitchActionsProps): iam.Role {
    const role = new iam.Role(this, 'BackupServiceRole', {
      description: `Runs the on-demand backup of ${props.dbInstanceIdentifier} after a Region switch`,
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForBackup')],
    });
    role.addManagedPolicy(
      new iam.ManagedPolicy(this, 'BackupServiceKeyPolicy', {
        description: `Encrypt the recovery point of ${props.dbInstanceIdentifier} with the vault's key`,
        statements: [new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:CreateGrant'], resources: [props.backupVaultKeyArn] })],
      }),
    );
    acknowledge(role, {
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason: "AWS Backup's own policy for the role it runs backup jobs as, the same one the scheduled backup plan's role uses; AWS keeps it current with what each resource type's backup calls.",
    });
    return role;
  }

  private createFunction(
    action: SwitchAction,
    functionName: string,
    logGroupName: string,
    logKey: EncryptionKey,
    statements: iam.PolicyStatement[],
    environment: Record<string, string>,
    acknowledgements: Acknowledgement[],
    props: SwitchActionsProps,
  ): lambda.Function {
    const id = action
      .split('-')
      .map((word) => word[0].toUpperCase() + word.slice(1))
      .join('');
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { logGroupName, encryptionKey: logKey, retention: props.logRetention, removalPolicy: props.removalPolicy });
    const role = new iam.Role(this, `${id}Role`, {
      description: `Runs the Region switch action ${functionName}; nothing else`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const policy = new iam.ManagedPolicy(this, `${id}Policy`, {
      description: `The Region switch action ${action}: its resources and its own log group`,
      roles: [role],
      statements: [
        ...statements,
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${logGroup.logGroupArn}:log-stream:*`] }),
      ],
    });
    acknowledge(policy, {
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(logGroup.node.defaultChild as logs.CfnLogGroup)}.Arn>:log-stream:*]`,
      reason: 'Lambda names a log stream per execution environment, unknown in advance; the statement names this function’s own log group.',
    });
    if (acknowledgements.length > 0) acknowledge(policy, ...acknowledgements);

    const fn = new lambda.Function(this, id, {
      functionName,
      description: `Region switch: ${action} in this region (docs/disaster-recovery.md)`,
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: HANDLERS[action],
      code: lambda.Code.fromAsset(path.join(__dirname, '..', 'lambda'), { exclude: ['*', '!switch_actions.py'] }),
      role,
      environment,
      logGroup,
      // No reserved concurrency: Lambda refuses any reservation that leaves the account fewer than
      // its minimum of unreserved executions, so on a new account's low concurrency quota the data
      // stack would fail to create. Runs do not overlap anyway: Region switch reruns a step only
      // after its retry interval (1 or 5 min, lib/constructs/region-switch.ts), no shorter than this
      // timeout, and each handler is idempotent (lib/lambda/switch_actions.py).
      timeout: SWITCH_ACTION_TIMEOUT,
    });
    fn.node.addDependency(policy);
    acknowledge(
      fn,
      {
        id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
        reason: 'The action calls only regional AWS APIs (SSM, RDS, Secrets Manager, Backup); outside the VPC it runs during a switch without the NAT path of the network it switches.',
      },
      {
        id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC',
        reason: 'The action calls only regional AWS APIs (SSM, RDS, Secrets Manager, Backup); outside the VPC it runs during a switch without the NAT path of the network it switches.',
      },
      {
        id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ',
        reason: 'Region switch invokes the action synchronously and retries it after the step’s retry interval; a failed run fails the step in the plan execution, which is the record.',
      },
      {
        id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency',
        reason: 'Region switch invokes the action once per retry interval, no shorter than its timeout; a reservation would only take from the account’s pool and fails on a new account’s low concurrency quota.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-L1',
        reason: 'Pinned to python3.12, a supported runtime the handler is written and tested for; moving to a newer runtime is a reviewed change with its own test run, not something a library upgrade does silently.',
      },
    );
    return fn;
  }
}
