import type { PolicyDocument, PolicyStatement } from './execution-policy';

/** The IAM path of the boundary policy; the execution role may write no policy under it. */
export const PERMISSIONS_BOUNDARY_PATH = '/boundaries/';

/** The name of the permissions boundary of the project's roles. */
export function permissionsBoundaryName(project: string): string {
  return `${project}-app-roles`;
}

/** The boundary's ARN in `account` (`*` in the execution policy, which may serve several accounts). */
export function permissionsBoundaryArn(project: string, account: string): string {
  return `arn:aws:iam::${account}:policy${PERMISSIONS_BOUNDARY_PATH}${permissionsBoundaryName(project)}`;
}

/**
 * Services the app's roles may use in full, as a ceiling: their own statements
 * (`grant*`, scoped to resources) and the AWS managed policies they carry say what
 * each role actually may do. IAM, Organizations and account settings are absent, so
 * no role the app creates can grant itself or another principal more; STS and KMS
 * are listed action by action below.
 */
export const BOUNDED_SERVICES = [
  'autoscaling',
  'backup',
  'backup-storage',
  'cloudwatch',
  'codebuild',
  'codeconnections',
  'codepipeline',
  'codestar-connections',
  'dynamodb',
  'ec2',
  'ec2messages',
  'elasticfilesystem',
  'elasticloadbalancing',
  'fsx',
  'logs',
  'rds',
  's3',
  'secretsmanager',
  'sns',
  'ssm',
  'ssmmessages',
  'storagegateway',
  'tag',
  'xray',
] as const;

/** KMS operations a role may make on keys whose policies let it: data keys and grants for AWS services, never key administration. */
export const BOUNDED_KMS_ACTIONS = [
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:RetireGrant',
] as const;

/**
 * What the Region switch roles call outside the bounded services, action by action: the plan's
 * execution role (the blocks' sample policies, docs/disaster-recovery.md), its approval role, and
 * the dns-global stack's lookup of the plan's health checks (lib/constructs/plan-health-checks.ts).
 * All of it reads or runs what already exists; none of it writes IAM.
 */
export const REGION_SWITCH_ACTIONS = [
  'arc-region-switch:ApprovePlanExecutionStep',
  'arc-region-switch:GetPlan',
  'arc-region-switch:GetPlanExecution',
  'arc-region-switch:ListPlanExecutions',
  'arc-region-switch:ListRoute53HealthChecks',
  'iam:SimulatePrincipalPolicy',
  'lambda:GetFunction',
  'lambda:InvokeFunction',
  'route53:ListResourceRecordSets',
] as const;

/** The roles the pipeline's build steps assume: the CDK bootstrap roles, and nothing else. */
export const ASSUMABLE_ROLES = 'arn:aws:iam::*:role/cdk-*';

/**
 * The permissions boundary every role the app creates carries. It caps what a role can
 * do whatever policies a later change attaches to it; the execution policy lets
 * CloudFormation write a role only with this boundary, which closes the path from
 * "may create a role" to "may act as an administrator".
 */
export function permissionsBoundaryDocument(): PolicyDocument {
  const statements: PolicyStatement[] = [
    { Sid: 'AppServices', Effect: 'Allow', Action: BOUNDED_SERVICES.map((s) => `${s}:*`), Resource: '*' },
    { Sid: 'KeyUseNotAdministration', Effect: 'Allow', Action: [...BOUNDED_KMS_ACTIONS], Resource: '*' },
    { Sid: 'RegionSwitch', Effect: 'Allow', Action: [...REGION_SWITCH_ACTIONS], Resource: '*' },
    // The switch's backup action hands its backup role to AWS Backup, and only there.
    { Sid: 'PassRolesToBackupOnly', Effect: 'Allow', Action: ['iam:PassRole'], Resource: '*', Condition: { StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } } },
    { Sid: 'AssumeOnlyCdkBootstrapRoles', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: ASSUMABLE_ROLES },
    // Instances signal their stack when healthy; the pipeline's standby check reads the app stack's outputs.
    { Sid: 'SignalAndReadStacks', Effect: 'Allow', Action: ['cloudformation:DescribeStacks', 'cloudformation:SignalResource'], Resource: '*' },
    // The pipeline's deploy steps set each app stack's policy around cdk deploy (docs/change-review.md,
    // "Stack policies"); the deploy role's own policy names the stacks.
    { Sid: 'SetStackPolicies', Effect: 'Allow', Action: ['cloudformation:SetStackPolicy'], Resource: '*' },
  ];
  return { Version: '2012-10-17', Statement: statements };
}
