/**
 * The execution policies evaluated, not only read: for every (resource type, handler action) the
 * templates need, a request for a representative resource of this app is checked against the
 * generated statements with a small IAM evaluator (test/support/policy-evaluator.ts), and the
 * Service Authorization Reference's facts (lib/bootstrap/iam-actions.generated.json) say which
 * actions can be scoped at all.
 *
 * What the evaluator does not evaluate: service control policies, the permissions boundary of the
 * execution role (it has none), resource-based policies (KMS key policies, bucket policies), session
 * policies; condition operators other than String/Arn Equals/Like and their Not and IfExists forms; keys
 * other than those each request below supplies; the several resources one call may authorize (RunInstances
 * checks the subnet, the security group, the image… each; one representative resource is checked here);
 * which of a handler's listed actions the handler really calls; a pattern a handler lists (`ec2:Describe*`)
 * is checked as written, not expanded.
 */
import {
  ADDITIONAL_ACTIONS,
  NAME_SCOPED_SERVICES,
  SHARED_RESOURCE_ACTIONS,
  WITHHELD_ACTIONS,
  defaultResourceTypes,
  executionPolicies,
  grantedActions,
  handlerPermissionsOf,
  iamActionTable,
  isIamAction,
  normalizedAction,
  permissionsBoundaryArn,
  takesNoResource,
  DEPLOY_HANDLERS,
  type IamActionTable,
  type PolicyDocument,
} from '../lib/bootstrap';
import { ENVIRONMENT_NAMES, REGIONS } from '../lib/config';
import { Naming, type Location, type Service } from '../lib/naming';
import { synthesized } from './support/assembly';
import { asList, type Statement } from './support/iam';
import { evaluate, fillArn, keyMatches, type AuthorizationRequest } from './support/policy-evaluator';
import { passedTo, roleReferences } from './support/pass-role';
import { offlineConfig } from './support/synth';

type Resource = { Type: string; Properties?: Record<string, any> };

const BOUNDARY_PATTERN = permissionsBoundaryArn('webtier', '*');
const facts = iamActionTable();
const policiesFor = (environments: readonly string[], options: { resourceTypes?: string[]; iamActions?: IamActionTable } = {}): PolicyDocument[] =>
  executionPolicies({ environments, permissionsBoundaryArn: BOUNDARY_PATTERN, ...options });
const statementsOf = (documents: PolicyDocument[]): Statement[] => documents.flatMap((d) => d.Statement as Statement[]);
const allStatements = statementsOf(policiesFor(ENVIRONMENT_NAMES));
const serviceOf = (action: string) => action.split(':')[0];

describe('the IAM action facts', () => {
  it('come from the Service Authorization Reference and say how to regenerate them', () => {
    expect(facts.source).toMatch(/Service Authorization Reference.*npx tsx scripts\/iam-actions\.ts/);
    expect(facts.withoutResourceTypes.s3).toContain('ListAllMyBuckets');
    expect(facts.actions['s3:ListAllMyBuckets'].resources).toEqual([]);
    expect(facts.actions['iam:PassRole'].resources).toEqual(['role*']);
  });

  it('know every action the execution policies grant (else: npx tsx scripts/iam-actions.ts <iam-data folder>)', () => {
    const granted = grantedActions(defaultResourceTypes());
    const unknown = granted.filter((a) => !(a in facts.actions) && !facts.unknown.includes(a) && !(a.includes('*') && takesNoResource(a, facts)));
    expect(unknown).toEqual([]);
    // Names the schemas list that IAM does not define grant nothing; they are few and reviewed.
    expect(facts.unknown.length).toBeLessThan(25);
  });
});

describe('where the execution policies put each action', () => {
  it('grant every action that supports no resource-level permissions on "*", never on an ARN pattern', () => {
    const misplaced = allStatements.flatMap((s) => asList(s.Action).filter((a) => takesNoResource(a, facts) && s.Resource !== '*').map((a) => `${s.Sid} ${a}`));
    expect(misplaced).toEqual([]);
    const listBuckets = allStatements.filter((s) => asList(s.Action).includes('s3:ListAllMyBuckets'));
    expect(listBuckets).toEqual([expect.objectContaining({ Sid: 'NoResourceLevelPermissions', Resource: '*' })]);
  });

  it('scope every other action of the name-scoped services, on "*" only what AWS owns or the app names none of', () => {
    const onStar = allStatements
      .filter((s) => s.Resource === '*' && !s.Condition)
      .flatMap((s) => asList(s.Action).map((a) => ({ sid: s.Sid, action: a })))
      .filter(({ action }) => (NAME_SCOPED_SERVICES as readonly string[]).includes(serviceOf(action)))
      .filter(({ action }) => !takesNoResource(action, facts) && !(action in SHARED_RESOURCE_ACTIONS) && !facts.unknown.includes(action));
    expect(onStar).toEqual([]);
    // And an action scoped to an ARN pattern is one that can be: the reference lists a resource type for it.
    const scopedWithoutType = allStatements
      .filter((s) => s.Resource !== '*')
      .flatMap((s) => asList(s.Action).filter((a) => !facts.unknown.includes(a) && (facts.actions[a]?.resources.length ?? 0) === 0).map((a) => `${s.Sid} ${a}`));
    expect(scopedWithoutType).toEqual([]);
  });

  it('put s3:ListAllMyBuckets on the app\'s buckets, where it is never granted, without the facts', () => {
    const request: AuthorizationRequest = { action: 's3:ListAllMyBuckets', resource: '*' };
    const blind = { ...facts, withoutResourceTypes: {} };
    expect(evaluate(statementsOf(policiesFor(['prod'], { iamActions: blind })), request).allowed).toBe(false);
    expect(evaluate(statementsOf(policiesFor(['prod'])), request)).toMatchObject({ allowed: true, allowedBy: ['NoResourceLevelPermissions'] });
  });

  it('name each condition key only on actions that support it, or IAM never sets it and the statement grants nothing', () => {
    const unsupported: string[] = [];
    for (const statement of allStatements.filter((s) => s.Condition)) {
      const keys = Object.values(statement.Condition!).flatMap((entries) => Object.keys(entries));
      for (const action of asList(statement.Action).filter((a) => a in facts.actions)) {
        const { conditions, resources } = facts.actions[action];
        const listed = [...conditions, ...resources.flatMap((r) => facts.resourceTypes[`${serviceOf(action)}:${r.replace(/\*$/, '')}`]?.conditions ?? [])];
        const supported = (key: string) => listed.some((l) => keyMatches(l, key));
        for (const key of keys.filter((k) => !supported(k))) unsupported.push(`${statement.Sid} ${action} ${key}`);
      }
    }
    expect(unsupported).toEqual([]);
  });
});

describe('iam:UpdateAssumeRolePolicy', () => {
  const statements = statementsOf(policiesFor(['prod']));
  const role = (name: string) => `arn:aws:iam::111111111111:role/${name}`;
  const update = (resource: string, boundary?: string): AuthorizationRequest => ({
    action: 'iam:UpdateAssumeRolePolicy',
    resource,
    resourceType: 'iam:role',
    context: boundary ? { 'iam:PermissionsBoundary': boundary } : {},
  });

  it('is a request that can carry iam:PermissionsBoundary, per the Service Authorization Reference', () => {
    expect(facts.actions['iam:UpdateAssumeRolePolicy'].conditions).toContain('iam:PermissionsBoundary');
  });

  it('rewrites the trust only of the environment\'s roles that carry the permissions boundary', () => {
    const boundary = permissionsBoundaryArn('webtier', '111111111111');
    expect(evaluate(statements, update(role('prod-app-us-east-1-WebTierInstanceRole'), boundary))).toMatchObject({ allowed: true, allowedBy: ['WriteOnlyBoundedRoles'] });
    expect(evaluate(statements, update(role('prod-data-us-east-1-RotationRole'))).allowed).toBe(false);
    expect(evaluate(statements, update(role('prod-app-us-east-1-WebTierInstanceRole'), 'arn:aws:iam::111111111111:policy/other')).allowed).toBe(false);
    expect(evaluate(statements, update(role('test-app-us-east-1-WebTierInstanceRole'), boundary)).allowed).toBe(false);
  });
});

describe('cloudformation:DescribeStacks for Fn::GetStackOutput', () => {
  it('is granted on the environment\'s stacks by a statement of its own, whatever resource types are deployed', () => {
    expect(ADDITIONAL_ACTIONS['cloudformation:DescribeStacks']).toMatch(/Fn::GetStackOutput/);
    for (const documents of [policiesFor(['prod']), policiesFor(['prod'], { resourceTypes: ['AWS::SNS::Topic'] })]) {
      const granting = statementsOf(documents).filter((s) => asList(s.Action).includes('cloudformation:DescribeStacks'));
      expect(granting).toEqual([{ Sid: 'ReadEnvironmentStacks', Effect: 'Allow', Action: ['cloudformation:DescribeStacks'], Resource: ['arn:aws:cloudformation:*:*:stack/prod-*'] }]);
    }
  });

  it.each(ENVIRONMENT_NAMES)('lets every Fn::GetStackOutput of %s read its producer stack', (envName) => {
    const { account } = offlineConfig(envName);
    const statements = statementsOf(policiesFor([envName]));
    const producers = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        const output = (value as Record<string, any>)['Fn::GetStackOutput'];
        if (output) producers.add(`arn:aws:cloudformation:${output.Region}:${account}:stack/${output.StackName}/0a1b2c3d-4e5f-6789-abcd-ef0123456789`);
        else Object.values(value).forEach(walk);
      }
    };
    const assembly = synthesized(envName);
    for (const stack of assembly.stackNames) walk(assembly.template(stack).toJSON().Resources);
    expect(producers.size).toBeGreaterThan(0);
    const denied = [...producers].filter((resource) => !evaluate(statements, { action: 'cloudformation:DescribeStacks', resource, resourceType: 'cloudformation:stack' }).allowed);
    expect(denied).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The table test: every (resource type, handler action) of every environment, evaluated.

const SERVICES: Service[] = ['network', 'data', 'app', 'monitoring', 'dns', 'pipeline'];
const CDK_QUALIFIER = 'hnb659fds';

/** The service-linked role each type's handler may create, by the service that owns it; `null`: the app's resources of that type need none, with why. */
const SERVICE_LINKED_ROLES: Readonly<Record<string, string | null>> = {
  'AWS::AutoScaling::AutoScalingGroup': 'autoscaling.amazonaws.com',
  'AWS::Backup::BackupSelection': 'backup.amazonaws.com',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'elasticloadbalancing.amazonaws.com',
  'AWS::RDS::DBInstance': 'rds.amazonaws.com',
  'AWS::RDS::DBParameterGroup': 'rds.amazonaws.com',
  'AWS::RDS::DBSubnetGroup': 'rds.amazonaws.com',
  'AWS::WAFv2::LoggingConfiguration': 'wafv2.amazonaws.com',
  // The flow logs deliver to CloudWatch Logs with their own role (DeliverLogsPermissionArn).
  'AWS::EC2::FlowLog': null,
};

/** The service through which each type's handler uses a KMS key (`kms:ViaService`). */
const KMS_VIA: Readonly<Record<string, string>> = {
  'AWS::Backup::BackupVault': 'backup',
  'AWS::Lambda::Function': 'lambda',
  'AWS::Logs::LogGroup': 'logs',
  'AWS::RDS::DBInstance': 'rds',
  'AWS::SecretsManager::Secret': 'secretsmanager',
  'AWS::SNS::Topic': 'sns',
};

/** Where a type's handler reads code from the CDK assets bucket (`s3:GetObject` with the caller's permissions). */
const READS_CDK_ASSETS = new Set(['AWS::Lambda::Function', 'AWS::Synthetics::Canary', 'AWS::SSM::Document']);

interface Row {
  readonly label: string;
  readonly request: AuthorizationRequest;
}

/** `<env>-<service>-<location>` of a stack, through the naming helper. */
function stackNaming(naming: Naming, stack: string): { service: Service; location: Location } {
  for (const service of SERVICES) {
    for (const location of [...REGIONS, 'global'] as Location[]) if (naming.stackName(service, location) === stack) return { service, location };
  }
  throw new Error(`${stack}: not a stack name of ${naming.environment}`);
}

/** Resolves the few intrinsic functions a role's ManagedPolicyArns hold. */
function resolve(value: any, stack: string, account: string): string {
  if (typeof value === 'string') return value;
  if (value?.Ref === 'AWS::Partition') return 'aws';
  if (value?.Ref === 'AWS::AccountId') return account;
  if (typeof value?.Ref === 'string') return `arn:aws:iam::${account}:policy/${stack}-${value.Ref}`;
  if (typeof value?.['Fn::Sub'] === 'string') return value['Fn::Sub'].replace('${AWS::Partition}', 'aws').replace('${AWS::AccountId}', account);
  if (value?.['Fn::Join']) return value['Fn::Join'][1].map((part: any) => resolve(part, stack, account)).join(value['Fn::Join'][0]);
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** The properties through which a resource names the KMS key that encrypts it. */
const KEY_PROPERTIES = ['EncryptionKey', 'EncryptionKeyArn', 'KmsKeyArn', 'KmsKeyId', 'KmsMasterKeyId', 'PerformanceInsightsKMSKeyId'];

/** Whether a resource names a KMS key of its template as its encryption key. */
function namesKey(resource: Resource, resources: Record<string, Resource>): boolean {
  const text = JSON.stringify(KEY_PROPERTIES.map((p) => resource.Properties?.[p] ?? null));
  return Object.keys(resources).some((id) => resources[id].Type === 'AWS::KMS::Key' && text.includes(`"${id}"`));
}

/** The resource types of a service the app's resources are, in the order a representative is chosen when the handler's type names none. */
const APP_RESOURCE_KINDS: Readonly<Record<string, readonly string[]>> = {
  lambda: ['function', 'layer', 'layerVersion'],
  s3: ['bucket', 'object'],
};

/** The requests the handlers of an environment's resources make, one representative each, and the pairs left out with why. */
function rowsOf(envName: string): { rows: Row[]; skipped: Map<string, string> } {
  const { account } = offlineConfig(envName);
  const naming = new Naming(envName);
  const boundary = permissionsBoundaryArn('webtier', account);
  const assembly = synthesized(envName);
  const rows: Row[] = [];
  const skipped = new Map<string, string>();
  const seen = new Set<string>();
  const baseContext = { 'iam:PermissionsBoundary': boundary, 'aws:RequestTag/environment': envName, 'aws:ResourceTag/environment': envName };

  const policyArns = new Set<string>();
  for (const stack of assembly.stackNames) {
    for (const [id, resource] of Object.entries(assembly.template(stack).toJSON().Resources as Record<string, Resource>)) {
      if (resource.Type === 'AWS::IAM::Role') for (const arn of asList(resource.Properties?.ManagedPolicyArns)) policyArns.add(resolve(arn, stack, account));
      if (resource.Type === 'AWS::IAM::ManagedPolicy') policyArns.add(`arn:aws:iam::${account}:policy/${stack}-${id}`);
    }
  }

  // iam:PassRole, once for each role-passing property of the templates.
  for (const reference of roleReferences(envName)) {
    const service = passedTo(reference);
    if (!service) continue;
    const resource = `arn:aws:iam::${account}:role/${`${reference.stack}-${reference.role}`.slice(0, 64)}`;
    rows.push({ label: `${reference.type} iam:PassRole ${reference.path}`, request: { action: 'iam:PassRole', resource, resourceType: 'iam:role', context: { 'iam:PassedToService': service } } });
  }

  for (const stack of assembly.stackNames) {
    const resources = assembly.template(stack).toJSON().Resources as Record<string, Resource>;
    const { service, location } = stackNaming(naming, stack);
    const region = assembly.stackEnvironment(stack).split('/').pop()!;
    for (const resource of Object.values(resources)) {
      const type = resource.Type;
      const permissions = handlerPermissionsOf(type);
      const actions = [...new Set(DEPLOY_HANDLERS.flatMap((h) => permissions[h] ?? []).map(normalizedAction))].filter((a) => isIamAction(a) && !(a in WITHHELD_ACTIONS));
      for (const action of actions) {
        const key = `${type} ${action}`;
        const [actionService] = action.split(':');
        if (facts.unknown.includes(action)) {
          skipped.set(key, 'not an action the Service Authorization Reference defines: no policy grants or needs it');
          continue;
        }
        if (action === 'iam:PassRole') {
          if (!rows.some((r) => r.label.startsWith(`${type} iam:PassRole`))) {
            skipped.set(key, 'no resource of this type in the templates hands a role to a service');
          }
          continue;
        }
        if (actionService === 'kms' && type !== 'AWS::KMS::Key' && !namesKey(resource, resources)) {
          if (!seen.has(key)) skipped.set(key, 'the resource names no key of the app (AWS-owned keys need no key permission)');
          continue;
        }
        if (seen.has(key)) continue;
        seen.add(key);
        skipped.delete(key);
        const context: Record<string, string> = { ...baseContext };
        if (KMS_VIA[type]) context['kms:ViaService'] = `${KMS_VIA[type]}.${region}.amazonaws.com`;
        const request = (resourceArn: string, resourceType?: string, extra: Record<string, string> = {}): AuthorizationRequest => ({
          action,
          resource: resourceArn,
          resourceType,
          context: { ...context, ...extra },
        });

        if (action === 'iam:CreateServiceLinkedRole') {
          if (!(type in SERVICE_LINKED_ROLES)) throw new Error(`${type}: say in SERVICE_LINKED_ROLES which service-linked role its handler creates`);
          const linked = SERVICE_LINKED_ROLES[type];
          if (!linked) skipped.set(key, 'the app\'s resources of this type use no service-linked role');
          else rows.push({ label: key, request: request(`arn:aws:iam::${account}:role/aws-service-role/${linked}/AWSServiceRoleForApp`, 'iam:role', { 'iam:AWSServiceName': linked }) });
          continue;
        }
        if (/^s3:GetObject(Version)?$/.test(action) && READS_CDK_ASSETS.has(type)) {
          rows.push({ label: key, request: request(`arn:aws:s3:::cdk-${CDK_QUALIFIER}-assets-${account}-${region}/${'0'.repeat(64)}.zip`, 's3:object') });
          continue;
        }
        const actionFacts = facts.actions[action];
        if (!actionFacts || actionFacts.resources.length === 0) {
          rows.push({ label: key, request: request('*') });
          continue;
        }
        const kinds = actionFacts.resources.map((r) => r.replace(/\*$/, ''));
        const wanted = type.split('::').pop()!.toLowerCase();
        const kind =
          kinds.find((k) => k.replace(/[^a-z0-9]/gi, '').toLowerCase() === wanted) ??
          APP_RESOURCE_KINDS[actionService]?.find((k) => kinds.includes(k)) ??
          actionFacts.resources.find((r) => r.endsWith('*'))?.slice(0, -1) ??
          kinds[0];
        const resourceType = `${actionService}:${kind}`;
        const format = facts.resourceTypes[resourceType]?.arn;
        if (!format) throw new Error(`${resourceType}: no ARN format in lib/bootstrap/iam-actions.generated.json (regenerate it)`);
        // CloudWatch Synthetics names a canary's function and layer cwsyn-<canary>-<id>.
        const canary = type === 'AWS::Synthetics::Canary' && actionService === 'lambda' ? `cwsyn-${resource.Properties?.Name}-0a1b2c3d` : undefined;
        const name = (placeholder: string) =>
          /Version$/.test(placeholder) ? '1' : canary ?? naming.name('nameTag', service, location, placeholder.toLowerCase());
        const arn = fillArn(format, { region, account, name });
        if (/^iam:(Attach|Detach)RolePolicy$/.test(action)) {
          for (const policy of policyArns) rows.push({ label: `${key} ${policy}`, request: request(arn, resourceType, { 'iam:PolicyARN': policy }) });
          continue;
        }
        rows.push({ label: key, request: request(arn, resourceType) });
      }
    }
  }
  return { rows, skipped };
}

describe.each(ENVIRONMENT_NAMES)('the execution policies of an account hosting %s, evaluated', (envName) => {
  const statements = statementsOf(policiesFor([envName]));
  const { rows, skipped } = rowsOf(envName);

  it('allow every (resource type, handler action) the templates need, for a representative resource of the app', () => {
    expect(rows.length).toBeGreaterThan(400);
    const denied = rows
      .map((row) => ({ row, decision: evaluate(statements, row.request) }))
      .filter(({ decision }) => !decision.allowed)
      .map(({ row, decision }) => `${row.label} on ${row.request.resource}${decision.unsupportedKeys.length ? ` (keys IAM would not set: ${decision.unsupportedKeys.join(', ')})` : ''}`);
    expect(denied).toEqual([]);
  });

  it('say why each pair they do not evaluate is left out', () => {
    for (const [pair, reason] of skipped) expect({ pair, reason: reason.length > 20 }).toEqual({ pair, reason: true });
    expect([...skipped.keys()].filter((pair) => pair.includes('iam:PassRole') && !pair.startsWith('AWS::'))).toEqual([]);
  });

  it('deny the same requests for another environment\'s resources', () => {
    const other = ENVIRONMENT_NAMES.find((e) => e !== envName)!;
    const named = (resource: string) => resource.includes(`/${envName}-`) || resource.includes(`:${envName}-`);
    const bySid = new Map(statements.map((s) => [s.Sid, s]));
    // The requests granted only by statements that name the environment (not those on "*").
    const scoped = rows.filter(
      (row) => named(row.request.resource) && evaluate(statements, row.request).allowedBy.every((sid) => bySid.get(sid)?.Resource !== '*'),
    );
    expect(scoped.length).toBeGreaterThan(50);
    const allowedElsewhere = scoped
      .map((row) => ({ ...row.request, resource: row.request.resource.replace(new RegExp(`([/:])${envName}-`, 'g'), `$1${other}-`) }))
      .filter((request) => evaluate(statements, request).allowed)
      .map((request) => `${request.action} on ${request.resource}`);
    expect(allowedElsewhere).toEqual([]);
  });
});
