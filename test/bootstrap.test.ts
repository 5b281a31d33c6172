import {
  ASSUMABLE_ROLES,
  ATTACHABLE_AWS_POLICIES,
  BOUNDED_KMS_ACTIONS,
  MANAGED_POLICIES_PER_ROLE,
  MANAGED_POLICY_MAX_CHARS,
  PASS_ROLE_SERVICES,
  PASS_THROUGH_SERVICES,
  UNREGISTERED_TYPES,
  WITHHELD_ACTIONS,
  executionPolicies,
  handledTypes,
  handlerPermissionTable,
  isIamAction,
  permissionsBoundaryArn,
  permissionsBoundaryDocument,
  policySize,
  requiredActions,
  type PolicyDocument,
} from '../lib/bootstrap';
import { ENVIRONMENT_NAMES } from '../lib/config';
import { synthesized } from './support/assembly';
import { actionMatches, asList, isServiceWildcard, type Statement } from './support/iam';
import { offlineConfig } from './support/synth';

type Resource = { Type: string; Properties?: Record<string, any> };

const BOUNDARY_PATTERN = permissionsBoundaryArn('webtier', '*');

/** The execution policies of an account that hosts `environments`. */
const policiesFor = (environments: readonly string[], resourceTypes?: string[]): PolicyDocument[] =>
  executionPolicies({ environments, permissionsBoundaryArn: BOUNDARY_PATTERN, resourceTypes });

const statementsOf = (documents: PolicyDocument[]): Statement[] => documents.flatMap((d) => d.Statement as Statement[]);

/** A compiled IAM action pattern. */
const matcher = (pattern: string) => {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return (action: string) => regex.test(action);
};

/** For each required action, the patterns of `documents` that grant it. */
function grantsOf(required: string[], documents: PolicyDocument[]): Map<string, string[]> {
  const patterns = [...new Set(statementsOf(documents).flatMap((s) => asList(s.Action)))].map((p) => ({ p, matches: matcher(p) }));
  return new Map(required.map((action) => [action, patterns.filter(({ matches }) => matches(action)).map(({ p }) => p)]));
}

/** The required actions no Allow statement of `documents` grants. */
function ungranted(required: string[], documents: PolicyDocument[]): string[] {
  return [...grantsOf(required, documents)].filter(([, patterns]) => patterns.length === 0).map(([action]) => action);
}

/** Every resource of every stack of an environment. */
function resourcesOf(envName: string): Array<{ stack: string; id: string; resource: Resource }> {
  const assembly = synthesized(envName);
  return assembly.stackNames.flatMap((stack) =>
    Object.entries(assembly.template(stack).toJSON().Resources as Record<string, Resource>).map(([id, resource]) => ({ stack, id, resource })),
  );
}

/** What an environment's handlers need and the execution role is meant to get. */
const requiredFor = (envName: string): string[] =>
  requiredActions(synthesized(envName).resourceTypes).filter((a) => isIamAction(a) && !(a in WITHHELD_ACTIONS));

describe('the handler-permission table', () => {
  it('comes from the CloudFormation registry schemas and says how to regenerate it', () => {
    expect(handlerPermissionTable().source).toMatch(/registry resource schemas.*npm run generate:handler-permissions/);
  });

  it.each(ENVIRONMENT_NAMES)('knows the handler permissions of every resource type %s deploys', (envName) => {
    const types = handledTypes(synthesized(envName).resourceTypes);
    expect(types).toEqual(expect.arrayContaining(['AWS::RDS::DBInstance', 'AWS::Lambda::Function', 'Custom::VpcRestrictDefaultSG']));
    expect(() => requiredActions(types)).not.toThrow();
  });

  it('names the regeneration command when a type is missing', () => {
    expect(() => requiredActions(['AWS::DynamoDB::Table'])).toThrow(/AWS::DynamoDB::Table has no handler permissions.*npm run generate:handler-permissions/);
  });

  it('holds the permissions a hand-written policy missed: reboot after create, secret attachment, ASG metrics, reads for rollback', () => {
    const all = requiredActions(ENVIRONMENT_NAMES.flatMap((e) => synthesized(e).resourceTypes));
    expect(all).toEqual(
      expect.arrayContaining([
        'rds:RebootDBInstance',
        'secretsmanager:PutSecretValue',
        'autoscaling:EnableMetricsCollection',
        'cloudwatch:GetDashboard',
        'kms:RetireGrant',
        'lambda:GetRuntimeManagementConfig',
        'iam:ListAttachedRolePolicies',
        'iam:ListRolePolicies',
        'sns:GetSubscriptionAttributes',
        'route53:ListTagsForResource',
      ]),
    );
  });

  it('says where each unregistered type\'s permissions come from: the API reference of the service whose calls it lists', () => {
    expect(Object.fromEntries(Object.entries(UNREGISTERED_TYPES).map(([type, entry]) => [type, entry.source]))).toEqual({
      'AWS::CDK::Metadata': 'CloudFormation stores the metadata in the template and calls no service',
      'AWS::IAM::Policy': expect.stringMatching(/^IAM API reference: .*PutRolePolicy.*DeleteRolePolicy/),
      'AWS::CodeBuild::Project': expect.stringMatching(/^CodeBuild API reference: .*CreateProject.*UpdateProject.*iam:PassRole/),
      'AWS::Route53::RecordSet': expect.stringMatching(/^Route 53 API reference: .*ChangeResourceRecordSets.*GetChange/),
    });
  });
});

describe.each(ENVIRONMENT_NAMES)('the execution policies of an account hosting %s', (envName) => {
  const documents = policiesFor([envName]);
  const required = requiredFor(envName);

  it('grant every action the handlers of its resource types call', () => {
    expect(required.length).toBeGreaterThan(300);
    expect(ungranted(required, documents)).toEqual([]);
  });

  it('miss any one action taken out of them: each is granted by its own name alone, or by the handler\'s own pattern', () => {
    // A name that a pattern of the table covers (ec2:DescribeVpcs, ec2:Describe*) is granted by that pattern only.
    const patterns = required.filter((a) => a.includes('*'));
    const alone = [...grantsOf(required, documents)].filter(
      ([action, granting]) => granting.length !== 1 || (granting[0] !== action && !(patterns.includes(granting[0]) && actionMatches(granting[0], action))),
    );
    expect(alone).toEqual([]);
    const [first] = required;
    const without = documents.map((d) => ({ ...d, Statement: d.Statement.map((s) => ({ ...s, Action: s.Action.filter((a) => a !== first) })) }));
    expect(ungranted(required, without)).toEqual([first]);
  });

  it('fit IAM\'s size limits: each policy under 6,144 characters, at most 10 on the role', () => {
    expect(documents.length).toBeLessThanOrEqual(MANAGED_POLICIES_PER_ROLE);
    for (const document of documents) expect(policySize(document)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
  });

  it('scope names to the environment and to nothing else', () => {
    const resources = statementsOf(documents).flatMap((s) => asList(s.Resource as string | string[]));
    expect(resources).toEqual(expect.arrayContaining([`arn:aws:iam::*:role/${envName}-*`, `arn:aws:s3:::${envName}-*`, `arn:aws:cloudformation:*:*:stack/${envName}-*`]));
    const others = ENVIRONMENT_NAMES.filter((e) => e !== envName);
    expect(resources.filter((r) => others.some((other) => r.includes(`/${other}-`) || r.includes(`:${other}-`)))).toEqual([]);
  });
});

describe('the action patterns of the handler-permission table', () => {
  it('are granted as the schemas list them, not dropped as non-actions (the Auto Scaling group\'s Describe* and Get*)', () => {
    const table = handlerPermissionTable();
    const listed = Object.values(table.types).flatMap((h) => Object.values(h).flat()).filter((a) => a.includes('*'));
    expect(listed).toEqual(expect.arrayContaining(['autoscaling:Describe*', 'ec2:Describe*', 'ec2:Get*', 'elasticloadbalancing:Describe*', 'ssm:Get*']));
    expect(listed.every(isIamAction)).toBe(true);
    const granted = statementsOf(policiesFor(['prod'])).flatMap((s) => asList(s.Action));
    expect(granted).toEqual(expect.arrayContaining([...new Set(listed)]));
    expect(isIamAction('s3:REST.PUT.OBJECT')).toBe(false);
  });

  it('read a service prefix in any case, as IAM does', () => {
    expect(requiredActions(['AWS::S3::Bucket'])).toContain('s3:GetBucketWebsite');
    expect(requiredActions(['AWS::S3::Bucket']).filter((a) => /^[^:]*[A-Z][^:]*:/.test(a))).toEqual([]);
  });
});

describe('the execution policies', () => {
  const documents = policiesFor(ENVIRONMENT_NAMES);
  const statements = statementsOf(documents);
  const allowing = (action: string) => statements.filter((s) => asList(s.Action).some((a) => actionMatches(a, action)));

  it('allow, never deny, and name no "*" or "service:*" action', () => {
    for (const statement of statements) {
      expect({ sid: statement.Sid, effect: statement.Effect, wildcards: asList(statement.Action).filter(isServiceWildcard) }).toEqual({ sid: statement.Sid, effect: 'Allow', wildcards: [] });
    }
  });

  it('grow with the configured environments: a new one gets its own ARN patterns and still fits', () => {
    const withNew = policiesFor([...ENVIRONMENT_NAMES, 'staging', 'perf', 'sandbox']);
    const resources = statementsOf(withNew).flatMap((s) => asList(s.Resource as string | string[]));
    expect(resources).toEqual(expect.arrayContaining(['arn:aws:iam::*:role/staging-*', 'arn:aws:lambda:*:*:function:perf-*', 'arn:aws:s3:::sandbox-*']));
    expect(withNew.length).toBeLessThanOrEqual(MANAGED_POLICIES_PER_ROLE);
    for (const document of withNew) expect(policySize(document)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
  });

  it('let CloudFormation create or write a role only with the permissions boundary: no exception', () => {
    for (const action of ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:DeleteRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePermissionsBoundary']) {
      const granting = allowing(action);
      expect({ action, granted: granting.length > 0 }).toEqual({ action, granted: true });
      const unbounded = granting.filter((s) => s.Condition?.StringLike?.['iam:PermissionsBoundary'] !== BOUNDARY_PATTERN);
      expect({ action, unbounded }).toEqual({ action, unbounded: [] });
    }
    expect(allowing('iam:DeleteRolePermissionsBoundary')).toEqual([]);
  });

  it('act on roles, policies and instance profiles only under the environments\' names', () => {
    const iamStatements = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('iam:')));
    const anywhere = ['ListIdentities', 'NoResourceLevelPermissions', 'ServiceLinkedRoles'];
    for (const statement of iamStatements.filter((s) => !anywhere.some((sid) => (s.Sid ?? "").startsWith(sid)))) {
      const resources = asList(statement.Resource as string | string[]);
      expect({ sid: statement.Sid, unscoped: resources.filter((r) => !ENVIRONMENT_NAMES.some((e) => new RegExp(`^arn:aws:iam::\\*:(role|policy|instance-profile)/${e}-\\*$`).test(r))) }).toEqual({
        sid: statement.Sid,
        unscoped: [],
      });
    }
    // The unscoped ones list the account or name AWS's own paths.
    expect(iamStatements.filter((s) => anywhere.some((sid) => (s.Sid ?? "").startsWith(sid))).flatMap((s) => asList(s.Action)).sort()).toEqual(
      expect.arrayContaining(['iam:CreateServiceLinkedRole']),
    );
    for (const statement of iamStatements.filter((s) => (s.Sid ?? "").startsWith("ServiceLinkedRoles"))) expect(statement.Resource).toBe('arn:aws:iam::*:role/aws-service-role/*');
  });

  it('attach only the app\'s own policies and named AWS service policies', () => {
    for (const statement of allowing('iam:AttachRolePolicy')) {
      const policies = asList(statement.Condition?.ArnLike?.['iam:PolicyARN'] as string[]);
      expect(policies.length).toBeGreaterThan(0);
      expect(policies.filter((arn) => !(ATTACHABLE_AWS_POLICIES as readonly string[]).includes(arn) && !/:policy\/[a-z]+-\*$/.test(arn))).toEqual([]);
    }
  });

  it('can write no policy at the boundary\'s path, so no change can loosen the boundary', () => {
    const boundary = permissionsBoundaryArn('webtier', '111111111111');
    for (const action of ['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:CreatePolicy']) {
      const resources = allowing(action).flatMap((s) => asList(s.Resource as string | string[]));
      expect(resources.length).toBeGreaterThan(0);
      expect(resources.filter((pattern) => actionMatches(pattern, boundary))).toEqual([]);
    }
  });

  it('pass roles only to the services whose principals the roles trust, and never their own role', () => {
    const [passRole] = allowing('iam:PassRole');
    expect(allowing('iam:PassRole')).toHaveLength(1);
    expect(asList(passRole.Resource as string | string[]).filter((r) => r.includes('cfn-exec-role'))).toEqual([]);
    expect(passRole.Condition?.StringEquals?.['iam:PassedToService']).toEqual([...PASS_ROLE_SERVICES, ...PASS_THROUGH_SERVICES]);
    const trusted = new Set(
      ENVIRONMENT_NAMES.flatMap((e) => resourcesOf(e))
        .filter(({ resource }) => resource.Type === 'AWS::IAM::Role')
        .flatMap(({ resource }) => resource.Properties!.AssumeRolePolicyDocument.Statement.flatMap((s: Statement & { Principal: { Service?: string } }) => asList(s.Principal.Service))),
    );
    expect([...trusted].sort()).toEqual([...PASS_ROLE_SERVICES]);
  });

  it('administer only keys tagged with one of the environments, and create keys only so tagged', () => {
    for (const action of ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:EnableKeyRotation', 'kms:TagResource']) {
      expect({ action, conditions: allowing(action).map((s) => s.Condition?.StringEquals?.['aws:ResourceTag/environment']) }).toEqual({ action, conditions: [[...ENVIRONMENT_NAMES]] });
    }
    expect(allowing('kms:CreateKey').map((s) => s.Condition?.StringEquals?.['aws:RequestTag/environment'])).toEqual([[...ENVIRONMENT_NAMES]]);
    for (const statement of allowing('kms:Decrypt')) expect(statement.Condition?.StringLike?.['kms:ViaService']).toBeDefined();
  });

  it('withhold only removing a role\'s boundary, and attaching policies to groups and users, which no environment creates', () => {
    expect(Object.keys(WITHHELD_ACTIONS).sort()).toEqual(['iam:AttachGroupPolicy', 'iam:AttachUserPolicy', 'iam:DeleteRolePermissionsBoundary', 'iam:DetachGroupPolicy', 'iam:DetachUserPolicy']);
    for (const action of Object.keys(WITHHELD_ACTIONS)) expect({ action, allowedBy: allowing(action) }).toEqual({ action, allowedBy: [] });
    const types = ENVIRONMENT_NAMES.flatMap((envName) => synthesized(envName).resourceTypes);
    expect(types.filter((type) => type === 'AWS::IAM::Group' || type === 'AWS::IAM::User')).toEqual([]);
    expect(WITHHELD_ACTIONS['iam:DeleteRolePermissionsBoundary']).toMatch(/every role keeps the permissions boundary/);
  });
});

describe.each(ENVIRONMENT_NAMES)('the roles %s creates', (envName) => {
  const resources = resourcesOf(envName);
  const roles = resources.filter(({ resource }) => resource.Type === 'AWS::IAM::Role');
  const { account } = offlineConfig(envName);

  it('all carry the project\'s permissions boundary', () => {
    expect(roles.length).toBeGreaterThan(5);
    for (const { stack, id, resource } of roles) {
      expect({ stack, id, boundary: resource.Properties?.PermissionsBoundary }).toEqual({ stack, id, boundary: permissionsBoundaryArn('webtier', account) });
    }
  });

  it('are granted nothing beyond the boundary', () => {
    const boundary = permissionsBoundaryDocument().Statement as Statement[];
    const bounded = boundary.flatMap((s) => asList(s.Action));
    // A wildcard grant (kms:GenerateDataKey*) is within the boundary where the boundary allows some action it names.
    const withinBoundary = (action: string) =>
      bounded.some((pattern) => actionMatches(pattern, action)) || (action.includes('*') && bounded.some((allowed) => actionMatches(action, allowed)));
    const granted = resources
      .filter(({ resource }) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(resource.Type))
      .flatMap(({ resource }) => resource.Properties!.PolicyDocument.Statement.flatMap((s: Statement) => asList(s.Action)))
      .concat(roles.flatMap(({ resource }) => asList(resource.Properties?.Policies).flatMap((p: any) => p.PolicyDocument.Statement.flatMap((s: Statement) => asList(s.Action)))));
    expect(granted.length).toBeGreaterThan(10);
    expect([...new Set(granted.filter((a) => !withinBoundary(a)))]).toEqual([]);
  });

  it('carry only AWS managed policies the execution policy lets CloudFormation attach', () => {
    const attached = roles.flatMap(({ resource }) => asList(resource.Properties?.ManagedPolicyArns))
      .map((arn) => JSON.stringify(arn))
      .filter((arn) => arn.includes(':iam::aws:policy/'))
      .map((arn) => `arn:aws:iam::aws:policy/${arn.split(':iam::aws:policy/')[1].replace(/"\]*\}*\]*$/, '')}`);
    expect(attached.length).toBeGreaterThan(0);
    expect(attached.filter((arn) => !(ATTACHABLE_AWS_POLICIES as readonly string[]).includes(arn))).toEqual([]);
  });

  it('invoke custom resources only through functions of the same stack, named after it', () => {
    for (const { stack, id, resource } of resources.filter(({ resource }) => resource.Type.startsWith('Custom::'))) {
      const token = resource.Properties?.ServiceToken;
      expect({ stack, id, target: resources.find((r) => r.stack === stack && r.id === token?.['Fn::GetAtt']?.[0])?.resource.Type }).toEqual({ stack, id, target: 'AWS::Lambda::Function' });
      expect(stack.startsWith(`${envName}-`)).toBe(true);
    }
  });
});

describe('the permissions boundary', () => {
  const statements = permissionsBoundaryDocument().Statement;
  const actions = statements.flatMap((s) => s.Action);

  // Two IAM actions grant nothing: the Region switch plan simulates its own role's policy (read-only),
  // and the switch's backup action may pass a role to AWS Backup only.
  it('allows no IAM, Organizations or account action that could grant more, so no bounded role can', () => {
    expect(actions.filter((a) => /^(iam|organizations|account):/.test(a)).sort()).toEqual(['iam:PassRole', 'iam:SimulatePrincipalPolicy']);
    expect(statements.filter((s) => s.Action.includes('iam:PassRole'))).toEqual([
      expect.objectContaining({ Action: ['iam:PassRole'], Condition: { StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } } }),
    ]);
  });

  it('allows KMS use but not key administration, and assuming only the CDK bootstrap roles', () => {
    expect(actions.filter((a) => a.startsWith('kms:'))).toEqual([...BOUNDED_KMS_ACTIONS]);
    expect(actions.filter((a) => a.startsWith('kms:')).some((a) => actionMatches(a, 'kms:PutKeyPolicy'))).toBe(false);
    expect(statements.filter((s) => s.Action.some((a) => a.startsWith('sts:')))).toEqual([
      { Sid: 'AssumeOnlyCdkBootstrapRoles', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: ASSUMABLE_ROLES },
    ]);
  });

  it('allows of CloudFormation only reading stacks, signalling and setting stack policies: no stack create, update or delete', () => {
    expect(actions.filter((a) => a.startsWith('cloudformation:')).sort()).toEqual(['cloudformation:DescribeStacks', 'cloudformation:SetStackPolicy', 'cloudformation:SignalResource']);
  });

  it('fits one managed policy', () => {
    expect(policySize(permissionsBoundaryDocument())).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
  });
});

describe('supplementary handler permissions', () => {
  it('let the pipeline pass a connection under either CodeConnections prefix', () => {
    expect(requiredActions(['AWS::CodePipeline::Pipeline'])).toEqual(expect.arrayContaining(['codestar-connections:PassConnection', 'codeconnections:PassConnection']));
  });
});
