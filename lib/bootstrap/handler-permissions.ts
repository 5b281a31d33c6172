import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The handlers CloudFormation runs on a resource during a deploy, an update, a rollback or a delete. */
export const DEPLOY_HANDLERS = ['create', 'read', 'update', 'delete'] as const;
export type DeployHandler = (typeof DEPLOY_HANDLERS)[number];

/** The IAM actions each handler of one resource type calls. */
export type HandlerPermissions = Readonly<Partial<Record<DeployHandler, readonly string[]>>>;

/** Where the generated table lives; `npm run generate:handler-permissions -- <schema folder>` rewrites it. */
export const HANDLER_PERMISSIONS_FILE = path.join(__dirname, 'handler-permissions.generated.json');

/** A resource type whose public registry schema declares no handlers, with what deploying it calls. */
export interface UnregisteredType {
  /** What CloudFormation's own provider (or the transform) calls for it. */
  readonly handlers: HandlerPermissions;
  /** Resource types it creates in a nested stack, whose handlers run with the same role. */
  readonly creates?: readonly string[];
  /** Where the permissions come from. */
  readonly source: string;
}

/**
 * Types that CloudFormation still deploys with its legacy, non-registry providers (or
 * that a transform expands), so their schemas carry no `handlers` section. Reviewed by
 * hand; each entry says where its permissions come from.
 */
export const UNREGISTERED_TYPES: Readonly<Record<string, UnregisteredType>> = {
  'AWS::CDK::Metadata': {
    handlers: {},
    source: 'CloudFormation stores the metadata in the template and calls no service',
  },
  'AWS::IAM::Policy': {
    handlers: {
      create: ['iam:PutRolePolicy', 'iam:GetRolePolicy'],
      read: ['iam:GetRolePolicy'],
      update: ['iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy'],
      delete: ['iam:DeleteRolePolicy'],
    },
    source: 'IAM API reference: an inline policy on a role is written by PutRolePolicy and removed by DeleteRolePolicy',
  },
  'AWS::CodeBuild::Project': {
    handlers: {
      create: ['codebuild:CreateProject', 'codebuild:BatchGetProjects', 'iam:PassRole'],
      read: ['codebuild:BatchGetProjects'],
      update: ['codebuild:UpdateProject', 'codebuild:BatchGetProjects', 'iam:PassRole'],
      delete: ['codebuild:DeleteProject'],
    },
    source: 'CodeBuild API reference: CreateProject/UpdateProject pass the service role (iam:PassRole)',
  },
  'AWS::Route53::RecordSet': {
    handlers: {
      create: ['route53:ChangeResourceRecordSets', 'route53:GetChange', 'route53:GetHostedZone', 'route53:ListResourceRecordSets'],
      read: ['route53:ListResourceRecordSets'],
      update: ['route53:ChangeResourceRecordSets', 'route53:GetChange', 'route53:GetHostedZone', 'route53:ListResourceRecordSets'],
      delete: ['route53:ChangeResourceRecordSets', 'route53:GetChange', 'route53:ListResourceRecordSets'],
    },
    source: 'Route 53 API reference: records change through ChangeResourceRecordSets, whose status GetChange reports',
  },
};

/**
 * Permissions a registry type's handlers need beyond what its schema lists, each with why.
 */
export const SUPPLEMENTARY_PERMISSIONS: Readonly<Record<string, { handlers: HandlerPermissions; source: string }>> = {
  'AWS::CodePipeline::Pipeline': {
    handlers: { create: ['codeconnections:PassConnection'], update: ['codeconnections:PassConnection'] },
    source:
      'the schema lists codestar-connections:PassConnection; a connection created under the newer codeconnections ARN prefix ' +
      '(as the config\'s connectionArn may be) is authorized under that prefix',
  },
  // What newer revisions of these types' registry schemas declare beyond the table
  // (lib/bootstrap/registry-handlers.generated.json, test/handler-permissions-registry.test.ts), for
  // what the app's templates set: tags, and the log groups' resource policies and deletion protection.
  // Not adopted: actions for properties the app does not set (S3 ABAC, metadata and table buckets,
  // log-group index policies and bearer-token authentication).
  'AWS::EC2::LaunchTemplate': {
    handlers: { update: ['ec2:CreateTags', 'ec2:DeleteTags'] },
    source: 'newer registry schema revision: the update handler tags the launch template itself',
  },
  'AWS::Lambda::Function': {
    handlers: { create: ['kms:DescribeKey'], update: ['kms:DescribeKey'] },
    source: 'newer registry schema revision: the handlers describe the key a function names',
  },
  'AWS::Logs::LogGroup': {
    handlers: {
      read: ['logs:DescribeResourcePolicies'],
      update: ['logs:DescribeResourcePolicies', 'logs:DeleteResourcePolicy', 'logs:ListTagsForResource', 'logs:PutLogGroupDeletionProtection', 'logs:PutResourcePolicy'],
    },
    source: 'newer registry schema revision: the update handler reads tags with ListTagsForResource and manages resource policies and deletion protection',
  },
  'AWS::S3::Bucket': {
    handlers: { read: ['s3:ListTagsForResource'], update: ['s3:TagResource', 's3:UntagResource'] },
    source: 'newer registry schema revision: the handlers tag the bucket through the resource-tagging actions',
  },
};

/** Lambda-backed custom resources: CloudFormation invokes the provider's function; the function's own role makes its calls. */
export const CUSTOM_RESOURCE_PERMISSIONS: HandlerPermissions = {
  create: ['lambda:InvokeFunction'],
  update: ['lambda:InvokeFunction'],
  delete: ['lambda:InvokeFunction'],
};

/** The generated table: each registry type's handler permissions, from its public schema. */
export interface HandlerPermissionTable {
  /** Where the table came from and how to regenerate it. */
  readonly source: string;
  readonly types: Readonly<Record<string, HandlerPermissions>>;
}

/** Reads the committed table. */
export function handlerPermissionTable(file = HANDLER_PERMISSIONS_FILE): HandlerPermissionTable {
  return JSON.parse(readFileSync(file, 'utf8')) as HandlerPermissionTable;
}

/** Whether `type` is a Lambda-backed custom resource. */
export function isCustomResource(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

/** A resource type with no entry in the table. */
export class UnknownResourceTypeError extends Error {
  constructor(type: string) {
    super(
      `${type} has no handler permissions in lib/bootstrap/handler-permissions.generated.json: ` +
        'regenerate it with `npm run generate:handler-permissions -- <folder of registry schemas>` (see docs/bootstrap.md)',
    );
    this.name = 'UnknownResourceTypeError';
  }
}

/**
 * The resource types `types` make CloudFormation handle: each type itself, and what
 * an unregistered type creates in a nested stack.
 */
export function handledTypes(types: Iterable<string>): string[] {
  const all = new Set<string>();
  for (const type of types) {
    all.add(type);
    for (const created of UNREGISTERED_TYPES[type]?.creates ?? []) all.add(created);
  }
  return [...all].sort();
}

/** The handler permissions of one resource type. @throws UnknownResourceTypeError when the table lacks it */
export function handlerPermissionsOf(type: string, table: HandlerPermissionTable = handlerPermissionTable()): HandlerPermissions {
  if (isCustomResource(type)) return CUSTOM_RESOURCE_PERMISSIONS;
  const permissions = UNREGISTERED_TYPES[type]?.handlers ?? table.types[type];
  if (!permissions) throw new UnknownResourceTypeError(type);
  const extra = SUPPLEMENTARY_PERMISSIONS[type]?.handlers;
  if (!extra) return permissions;
  return Object.fromEntries(DEPLOY_HANDLERS.map((h) => [h, [...(permissions[h] ?? []), ...(extra[h] ?? [])]]));
}

/** An action with its service prefix in lower case, as IAM reads it (`S3:GetBucketWebsite` is `s3:GetBucketWebsite`). */
export function normalizedAction(action: string): string {
  return action.replace(/^[^:]+/, (service) => service.toLowerCase());
}

/** Every action the deploy handlers of `types` (and what they create) call, sorted; service prefixes in lower case. */
export function requiredActions(types: Iterable<string>, table: HandlerPermissionTable = handlerPermissionTable()): string[] {
  const actions = new Set<string>();
  for (const type of handledTypes(types)) {
    const permissions = handlerPermissionsOf(type, table);
    for (const handler of DEPLOY_HANDLERS) for (const action of permissions[handler] ?? []) actions.add(normalizedAction(action));
  }
  return [...actions].sort();
}

/** Where the IAM action facts live; `npx tsx scripts/iam-actions.ts <iam-data folder>` rewrites them. */
export const IAM_ACTIONS_FILE = path.join(__dirname, 'iam-actions.generated.json');

/** What the Service Authorization Reference says about one action. */
export interface IamActionFacts {
  /** The resource types it may be scoped to (`*` marks a required one); empty: it supports no resource-level permissions. */
  readonly resources: readonly string[];
  /** The condition keys it supports besides those of its resource types. */
  readonly conditions: readonly string[];
}

/** What the Service Authorization Reference says about one resource type. */
export interface IamResourceTypeFacts {
  /** Its ARN format, with `${Partition}`, `${Region}`, `${Account}` and name placeholders. */
  readonly arn: string;
  /** The condition keys that apply to it (such as `aws:ResourceTag/${TagKey}`). */
  readonly conditions: readonly string[];
}

/** The generated facts about the IAM actions the execution policies grant. */
export interface IamActionTable {
  /** Where the facts come from and how to regenerate them. */
  readonly source: string;
  /**
   * Every action of each service the policies use that supports no resource-level permissions: the Service
   * Authorization Reference lists no resource type for it, so IAM matches it against `Resource: "*"` only.
   */
  readonly withoutResourceTypes: Readonly<Record<string, readonly string[]>>;
  /** Each action the policies grant by name, as `service:Action`. */
  readonly actions: Readonly<Record<string, IamActionFacts>>;
  /** Each resource type those actions name, as `service:type`. */
  readonly resourceTypes: Readonly<Record<string, IamResourceTypeFacts>>;
  /** Names the registry schemas list that the Service Authorization Reference does not define (they grant nothing). */
  readonly unknown: readonly string[];
}

let iamActionCache: IamActionTable | undefined;

/** Reads the committed IAM action facts. */
export function iamActionTable(file = IAM_ACTIONS_FILE): IamActionTable {
  if (file !== IAM_ACTIONS_FILE) return JSON.parse(readFileSync(file, 'utf8')) as IamActionTable;
  iamActionCache ??= JSON.parse(readFileSync(file, 'utf8')) as IamActionTable;
  return iamActionCache;
}

/** Whether an IAM action pattern (`ec2:Describe*`) covers `action`; IAM matches actions case-insensitively. */
export function actionPatternMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return regex.test(action);
}

/**
 * Whether `action` (or, for a pattern such as `ec2:Describe*`, any action it covers) supports no
 * resource-level permissions, so that only a statement on `Resource: "*"` can grant it.
 */
export function takesNoResource(action: string, table: IamActionTable = iamActionTable()): boolean {
  const [service, name] = action.split(':');
  return (table.withoutResourceTypes[service.toLowerCase()] ?? []).some((unscoped) => actionPatternMatches(name, unscoped));
}
