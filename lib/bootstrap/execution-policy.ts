import { MANDATORY_TAG_KEYS } from '../tagging';
import {
  UNREGISTERED_TYPES,
  actionPatternMatches,
  handlerPermissionTable,
  iamActionTable,
  requiredActions,
  takesNoResource,
  type HandlerPermissionTable,
  type IamActionTable,
} from './handler-permissions';

/** One statement of an IAM policy document, as IAM reads it. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: PolicyStatement[];
}

/** IAM's limit on a customer-managed policy, counted without whitespace. */
export const MANAGED_POLICY_MAX_CHARS = 6144;
/** IAM's default quota of managed policies attached to one role. */
export const MANAGED_POLICIES_PER_ROLE = 10;

/**
 * Handler permissions the execution role is deliberately not given, each with why.
 * Leaving one out makes the handler's call fail, which is the point.
 */
export const WITHHELD_ACTIONS: Readonly<Record<string, string>> = {
  'iam:DeleteRolePermissionsBoundary': 'every role keeps the permissions boundary; a template that drops it must fail to deploy',
  'iam:AttachGroupPolicy': 'the app creates no IAM groups (the managed-policy handler also serves groups)',
  'iam:DetachGroupPolicy': 'the app creates no IAM groups (the managed-policy handler also serves groups)',
  'iam:AttachUserPolicy': 'the app creates no IAM users (the managed-policy handler also serves users)',
  'iam:DetachUserPolicy': 'the app creates no IAM users (the managed-policy handler also serves users)',
};

/**
 * Actions the execution role needs that no handler lists, each with why.
 */
export const ADDITIONAL_ACTIONS: Readonly<Record<string, string>> = {
  'cloudformation:DescribeStacks':
    'Fn::GetStackOutput reads an output of another stack of the environment (the producer, often in the other region) ' +
    'with the deploying role\'s cloudformation:DescribeStacks on that stack',
};

/**
 * Whether a schema's permission string is an IAM action or action pattern (`ec2:Describe*`, which the
 * Auto Scaling group's handlers list); a few schemas list API names such as `s3:REST.PUT.OBJECT`.
 */
export function isIamAction(action: string): boolean {
  return /^[a-z0-9-]+:[A-Za-z0-9*]+$/i.test(action);
}

/**
 * Actions that support resource-level permissions but are granted on `*`, each with why: what they
 * act on belongs to AWS or to no resource of the app.
 */
export const SHARED_RESOURCE_ACTIONS: Readonly<Record<string, string>> = {
  'lambda:GetLayerVersion': 'the canaries\' runtime layers are published by CloudWatch Synthetics in AWS\'s accounts',
  'lambda:GetCodeSigningConfig': 'the handler reads a code-signing configuration only when a function names one; the app names none',
  'lambda:PassCapacityProvider': 'the handler passes a capacity provider only when a function names one; the app names none',
};

/**
 * The services whose actions are scoped to the app's names (`<env>-…`) or to the CDK's own: elsewhere
 * the ARNs carry identifiers AWS assigns (`vpc-…`, `sg-…`, key ids) or names CloudFormation generates,
 * and KMS keys are scoped by their `environment` tag instead.
 */
export const NAME_SCOPED_SERVICES = ['cloudformation', 'iam', 'lambda', 's3'] as const;

/**
 * The services CloudFormation hands the app's roles to (`iam:PassedToService`): each is the service a
 * role-passing property of one of the app's resources gives its role to (a function's `Role`, an instance
 * profile's role, a backup selection's `IamRoleArn`, a database's `MonitoringRoleArn`, a build project's
 * `ServiceRole`, the pipeline's `RoleArn`, the Region switch plan's `ExecutionRole`, a flow log's
 * `DeliverLogsPermissionArn`, the promotion runbook's `assumeRole`, whose handler declares iam:PassRole).
 * test/bootstrap-pass-role.test.ts derives the same list from every environment's templates.
 */
export const PASS_ROLE_SERVICES = [
  'arc-region-switch.amazonaws.com',
  'backup.amazonaws.com',
  'codebuild.amazonaws.com',
  'codepipeline.amazonaws.com',
  'ec2.amazonaws.com',
  'lambda.amazonaws.com',
  'monitoring.rds.amazonaws.com',
  'ssm.amazonaws.com',
  'vpc-flow-logs.amazonaws.com',
] as const;

/**
 * Services a role is passed through to the service that assumes it: Synthetics'
 * CreateCanary hands the canary's role to Lambda (AWS's CloudWatchSyntheticsFullAccess
 * allows passing to both).
 */
export const PASS_THROUGH_SERVICES = ['synthetics.amazonaws.com'] as const;

/** The services whose service-linked roles the handlers of the app's resources create on first use (Auto Scaling, Backup, load balancers, RDS, WAF logging). */
export const SERVICE_LINKED_ROLE_SERVICES = [
  'autoscaling.amazonaws.com',
  'backup.amazonaws.com',
  'elasticloadbalancing.amazonaws.com',
  'rds.amazonaws.com',
  'wafv2.amazonaws.com',
] as const;

/**
 * AWS managed policies the app's roles may carry: the service roles of Backup, RDS
 * monitoring and Lambda, and the instance role's Session Manager and CloudWatch agent policies.
 */
export const ATTACHABLE_AWS_POLICIES = [
  'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
  'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy',
  'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
  'arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole',
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
] as const;

/** The services through which CloudFormation's calls may use a KMS key's data-key operations. */
const KMS_VIA_SERVICES = ['backup', 'ec2', 'logs', 'rds', 's3', 'secretsmanager', 'sns'].map((s) => `${s}.*.amazonaws.com`);
/** KMS operations a service makes on a key on the caller's behalf. */
const KMS_DATA_ACTIONS = new Set(['kms:CreateGrant', 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:RetireGrant']);
/** KMS operations that name no key. */
const KMS_ACCOUNT_ACTIONS = new Set(['kms:CreateKey', 'kms:ListAliases', 'kms:ListKeys']);

/**
 * IAM operations allowed only on roles with the permissions boundary (the `iam:PermissionsBoundary` condition
 * key: the boundary a request sets, or the one the role already has). `UpdateAssumeRolePolicy` supports the key
 * (Service Authorization Reference, IAM): CloudFormation may rewrite the trust of a role that the boundary caps,
 * never of one it does not. There is no exception: every role the app creates carries the boundary.
 */
const BOUNDARY_CONDITIONED_ACTIONS = new Set([
  'iam:CreateRole',
  'iam:PutRolePolicy',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:UpdateAssumeRolePolicy',
]);
/** IAM operations that list a whole account. */
const IAM_ACCOUNT_ACTIONS = new Set(['iam:ListRoles', 'iam:ListPolicies', 'iam:ListInstanceProfiles', 'iam:DescribeOrganization']);

/** What the execution policies are built for. */
export interface ExecutionPolicyOptions {
  /** The environments deployed into the account, whose names prefix every name the app sets. */
  readonly environments: readonly string[];
  /** ARN (account may be `*`) of the permissions boundary every role the app creates must carry. */
  readonly permissionsBoundaryArn: string;
  /** The resource types the app deploys. @default every type in the table, the unregistered types and custom resources */
  readonly resourceTypes?: readonly string[];
  /** The handler permissions. @default the committed table */
  readonly table?: HandlerPermissionTable;
  /** What the Service Authorization Reference says about the actions. @default the committed facts */
  readonly iamActions?: IamActionTable;
}

const ARN = {
  role: (env: string) => `arn:aws:iam::*:role/${env}-*`,
  policy: (env: string) => `arn:aws:iam::*:policy/${env}-*`,
  instanceProfile: (env: string) => `arn:aws:iam::*:instance-profile/${env}-*`,
  function: (env: string) => `arn:aws:lambda:*:*:function:${env}-*`,
  // CloudWatch Synthetics names the function and layer it creates for a canary cwsyn-<canary>-<id>.
  canaryFunction: 'arn:aws:lambda:*:*:function:cwsyn-*',
  canaryLayer: 'arn:aws:lambda:*:*:layer:cwsyn-*',
  bucket: (env: string) => `arn:aws:s3:::${env}-*`,
  objects: (env: string) => `arn:aws:s3:::${env}-*/*`,
  stack: (env: string) => `arn:aws:cloudformation:*:*:stack/${env}-*`,
};

/**
 * Where an action may act, and under what condition. Actions that can be scoped to the
 * app's names are; the rest act on `*`, as their APIs allow no narrower resource.
 */
function placement(action: string, options: ExecutionPolicyOptions): Omit<PolicyStatement, 'Action' | 'Effect'> {
  const envs = options.environments;
  const each = (arn: (env: string) => string) => envs.map(arn);
  const [service, name] = action.split(':');
  switch (service) {
    case 'iam':
      if (action === 'iam:PassRole') {
        return {
          Sid: 'PassAppRolesToTheirServices',
          Resource: each(ARN.role),
          Condition: { StringEquals: { 'iam:PassedToService': [...PASS_ROLE_SERVICES, ...PASS_THROUGH_SERVICES] } },
        };
      }
      if (action === 'iam:CreateServiceLinkedRole') {
        return {
          Sid: 'ServiceLinkedRoles',
          Resource: 'arn:aws:iam::*:role/aws-service-role/*',
          Condition: { StringEquals: { 'iam:AWSServiceName': [...SERVICE_LINKED_ROLE_SERVICES] } },
        };
      }
      if (IAM_ACCOUNT_ACTIONS.has(action)) return { Sid: 'ListIdentities', Resource: '*' };
      if (action === 'iam:AttachRolePolicy') {
        return {
          Sid: 'AttachOnlyAppOrServicePoliciesToBoundedRoles',
          Resource: each(ARN.role),
          Condition: {
            StringLike: { 'iam:PermissionsBoundary': options.permissionsBoundaryArn },
            ArnLike: { 'iam:PolicyARN': [...each(ARN.policy), ...ATTACHABLE_AWS_POLICIES] },
          },
        };
      }
      if (BOUNDARY_CONDITIONED_ACTIONS.has(action)) {
        return { Sid: 'WriteOnlyBoundedRoles', Resource: each(ARN.role), Condition: { StringLike: { 'iam:PermissionsBoundary': options.permissionsBoundaryArn } } };
      }
      if (/InstanceProfile/.test(name)) return { Sid: 'AppInstanceProfiles', Resource: [...each(ARN.instanceProfile), ...each(ARN.role)] };
      if (/Role/.test(name)) return { Sid: 'AppRoles', Resource: each(ARN.role) };
      if (/Polic/.test(name)) return { Sid: 'AppPolicies', Resource: each(ARN.policy) };
      throw new Error(`${action}: no rule says which IAM resources it may act on; add one in lib/bootstrap/execution-policy.ts`);
    case 'kms':
      if (KMS_DATA_ACTIONS.has(action)) return { Sid: 'KeysThroughServices', Resource: '*', Condition: { StringLike: { 'kms:ViaService': KMS_VIA_SERVICES } } };
      if (action === 'kms:CreateKey') return { Sid: 'CreateTaggedKeys', Resource: '*', Condition: { StringEquals: { [`aws:RequestTag/${MANDATORY_TAG_KEYS[0]}`]: [...envs] } } };
      if (KMS_ACCOUNT_ACTIONS.has(action)) return { Sid: 'ListKeys', Resource: '*' };
      return { Sid: 'ManageOnlyAppKeys', Resource: '*', Condition: { StringEquals: { [`aws:ResourceTag/${MANDATORY_TAG_KEYS[0]}`]: [...envs] } } };
    case 'lambda':
      if (action in SHARED_RESOURCE_ACTIONS) return { Sid: 'LambdaSharedResources', Resource: '*' };
      return { Sid: 'AppFunctions', Resource: [...each(ARN.function), ARN.canaryFunction, ARN.canaryLayer] };
    case 's3':
      // Lambda reads a function's code from the CDK assets bucket with the caller's permissions.
      if (action === 's3:GetObject' || action === 's3:GetObjectVersion') return { Sid: 'ReadCdkAssets', Resource: 'arn:aws:s3:::cdk-*-assets-*/*' };
      return { Sid: 'AppBuckets', Resource: [...each(ARN.bucket), ...each(ARN.objects)] };
    case 'cloudformation':
      // Fn::GetStackOutput reads the producer stack's outputs with cloudformation:DescribeStacks (ADDITIONAL_ACTIONS).
      if (action === 'cloudformation:DescribeStacks') return { Sid: 'ReadEnvironmentStacks', Resource: each(ARN.stack) };
      return { Sid: 'EnvironmentStacks', Resource: each(ARN.stack) };
    default:
      return { Sid: 'Services', Resource: '*' };
  }
}

/**
 * Where an action may act, once the Service Authorization Reference has its say: an action that supports no
 * resource-level permissions is matched against `"*"` only, so a statement that scopes it to an ARN pattern
 * would never grant it (as `s3:ListAllMyBuckets` on the app's buckets did not). Such an action goes on `*`,
 * keeping its condition if it has one.
 */
function placementOf(action: string, options: ExecutionPolicyOptions, facts: IamActionTable): Omit<PolicyStatement, 'Action' | 'Effect'> {
  const where = placement(action, options);
  if (where.Resource === '*' || !takesNoResource(action, facts)) return where;
  return where.Condition ? { ...where, Sid: `${where.Sid}AnyResource`, Resource: '*' } : { Sid: 'NoResourceLevelPermissions', Resource: '*' };
}

/**
 * The actions the execution policies grant: those the handlers of `types` call (less the withheld ones)
 * and the additional ones. A name a wildcard of the table also covers (`ec2:DescribeVpcs`, `ec2:Describe*`)
 * is left to the wildcard, so that each action is granted by one pattern.
 */
export function grantedActions(types: Iterable<string>, table: HandlerPermissionTable = handlerPermissionTable()): string[] {
  const handled = requiredActions(types, table).filter((a) => isIamAction(a) && !(a in WITHHELD_ACTIONS));
  for (const action of handled) {
    if (/:\*$/.test(action)) throw new Error(`${action}: a handler lists a whole service; grant its actions by name or withhold it in WITHHELD_ACTIONS`);
  }
  const all = [...new Set([...handled, ...Object.keys(ADDITIONAL_ACTIONS)])];
  const wildcards = all.filter((a) => a.includes('*'));
  return all.filter((a) => !wildcards.some((w) => w !== a && actionPatternMatches(w, a))).sort();
}

const CUSTOM_RESOURCE = 'AWS::CloudFormation::CustomResource';

/** Length of a document as IAM counts it (without whitespace). */
export function policySize(document: PolicyDocument): number {
  return JSON.stringify(document).length;
}

/** Every resource type the policies cover by default: the table's, the unregistered types and custom resources. */
export function defaultResourceTypes(table: HandlerPermissionTable = handlerPermissionTable()): string[] {
  return [...Object.keys(table.types), ...Object.keys(UNREGISTERED_TYPES), CUSTOM_RESOURCE];
}

/** The statements, grouped by where they act; statements too big for one policy are split. */
function statements(options: ExecutionPolicyOptions): PolicyStatement[] {
  const table = options.table ?? handlerPermissionTable();
  const types = options.resourceTypes ?? defaultResourceTypes(table);
  const facts = options.iamActions ?? iamActionTable();
  const groups = new Map<string, PolicyStatement>();
  for (const action of grantedActions(types, table)) {
    const where = placementOf(action, options, facts);
    const group = groups.get(where.Sid) ?? { ...where, Effect: 'Allow' as const, Action: [] };
    group.Action.push(action);
    groups.set(where.Sid, group);
  }
  const budget = MANAGED_POLICY_MAX_CHARS - policySize({ Version: '2012-10-17', Statement: [] });
  return [...groups.values()].flatMap((statement) => splitToFit(statement, budget));
}

/** `statement` as one or more statements of the same scope, each within `budget` characters. */
function splitToFit(statement: PolicyStatement, budget: number): PolicyStatement[] {
  const parts: PolicyStatement[] = [];
  let current: PolicyStatement = { ...statement, Sid: statement.Sid, Action: [] };
  for (const action of statement.Action) {
    const grown = { ...current, Action: [...current.Action, action] };
    if (current.Action.length > 0 && JSON.stringify(grown).length + 1 > budget) {
      parts.push(current);
      current = { ...statement, Sid: `${statement.Sid}${parts.length + 1}`, Action: [action] };
    } else {
      current = grown;
    }
  }
  parts.push(current);
  return parts;
}

/**
 * The execution policies for CloudFormation's execution role in an account that hosts
 * `options.environments`: every action the handlers of the app's resource types call
 * (from the CloudFormation registry schemas), scoped to the environments' names where
 * IAM allows it, roles only with the permissions boundary, keys only when tagged with
 * one of the environments. Packed into as few customer-managed policies as fit IAM's size limit.
 */
export function executionPolicies(options: ExecutionPolicyOptions): PolicyDocument[] {
  const documents: PolicyDocument[] = [];
  for (const statement of statements(options)) {
    const fits = documents.find((d) => policySize({ ...d, Statement: [...d.Statement, statement] }) <= MANAGED_POLICY_MAX_CHARS);
    if (fits) fits.Statement.push(statement);
    else documents.push({ Version: '2012-10-17', Statement: [statement] });
  }
  return documents;
}
